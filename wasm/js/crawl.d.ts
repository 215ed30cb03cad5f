import type { Crawl, CrawlOptions, SessionOptions } from './index.js';
export { default, Session, Response, stop, UnifetchError, TimeoutError, NetworkError, HTTPError } from './index.js';
export type { Crawl, CrawlOptions, CrawlProgress, PageRecord } from './index.js';

/** Crawls from `urls`: an async iterator of page records. Leaving the loop or aborting `signal` ends the crawl. */
export function crawl(urls: string[], options?: CrawlOptions & { session?: SessionOptions | import('./index.js').Session }): Crawl;
