// unifetch/crawl: the portable crawler. `crawl(urls, options)` is an async
// iterator of page records: leaving the loop (or aborting `signal`) ends the
// crawl and its requests in flight.
import { Session, UnifetchError } from './index.js';

/** Crawls from `urls`; `options.session` holds the Session options. */
export function crawl(urls, options = {}) {
  const session = options.session instanceof Session ? options.session : new Session(options.session ?? {});
  return session.crawl(urls, options);
}

export { Session, UnifetchError };
