// Types of the npm package `unifetch` (hand-written: wasm-bindgen's are
// `any` for every options object).

/** Milliseconds of `total`, `false` for no limit, or aiohttp's four limits. */
export type TimeoutOption =
  | number
  | false
  | {
      /** The whole request, body included. */
      total?: number;
      /** Waiting for a free slot plus connecting (not separable in browsers: folded into total). */
      connect?: number;
      /** Connecting one socket (not separable in browsers). */
      sockConnect?: number;
      /** The longest silence between two reads. */
      sockRead?: number;
    };

/** A number of retries, or ky's retry options. */
export type RetryOption =
  | number
  | {
      /** Retries after the first attempt (default 2). */
      limit?: number;
      /** Methods retried; include 'post' or 'patch' to retry those too (default: the idempotent ones). */
      methods?: string[];
      /** Statuses retried (default 408, 429, 500, 502, 503, 504). */
      statusCodes?: number[];
      /** First wait in ms, doubled after each attempt (default 300). */
      delay?: number;
      /** The longest wait in ms (default 30000). */
      backoffLimit?: number;
      /** The longest Retry-After honoured, in ms (default 60000). */
      maxRetryAfter?: number;
      /** Full jitter on the waits (default true). */
      jitter?: boolean;
    };

export type HeadersOption = Record<string, string> | Headers | Array<[string, string]>;
export type ParamsOption =
  | Record<string, string | number | boolean>
  | URLSearchParams
  | Array<[string, string]>
  | string;

export interface SessionOptions {
  /** Prepended to every URL, with one `/` in between. */
  prefixUrl?: string;
  /** Sent with every request. */
  headers?: HeadersOption;
  timeout?: TimeoutOption;
  retry?: RetryOption;
  /** `'follow'` (default), `'manual'` (never follow), or the most hops. */
  redirect?: 'follow' | 'manual' | number;
  /** Requests in flight at most (default 100). */
  limit?: number;
  /** Requests in flight to one host at most (default: no limit). */
  limitPerHost?: number;
  /** Keep cookies (the browser's jar in browsers, the core's in Node). */
  cookies?: boolean;
  /** The largest body read, in bytes (default 1 GiB). */
  maxBodySize?: number;
  /** Reject non-2xx responses with an HTTPError (default true). */
  throwHttpErrors?: boolean;
}

export interface RequestOptions {
  searchParams?: ParamsOption;
  headers?: HeadersOption;
  /** A JSON body (sets Content-Type). */
  json?: unknown;
  /** An application/x-www-form-urlencoded body. */
  form?: ParamsOption;
  /** A raw body, or a FormData sent as multipart/form-data. */
  body?: string | Uint8Array | ArrayBuffer | FormData;
  timeout?: TimeoutOption;
  retry?: RetryOption;
  maxBodySize?: number;
  throwHttpErrors?: boolean;
}

export class Response {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  /** The final URL, after redirects. */
  readonly url: string;
  readonly headers: Headers;
  /** Decoded by the charset of Content-Type (UTF-8 otherwise). */
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
  bytes(): Promise<Uint8Array>;
  /** The body chunk by chunk, as it arrives. */
  chunks(): AsyncIterableIterator<Uint8Array>;
  /** Throws an HTTPError unless the status is 2xx. */
  raiseForStatus(): this;
}

export interface CrawlOptions {
  /** Requests in flight (default 16). */
  concurrency?: number;
  /** Requests in flight per host (default 8). */
  perHost?: number;
  /** Milliseconds between two requests to one host. */
  delay?: number;
  maxDepth?: number;
  maxPages?: number;
  /** Obey robots.txt (default true). */
  obeyRobots?: boolean;
  /** Follow links in HTML pages (default true). */
  followLinks?: boolean;
  /** URL patterns (`*` wildcards) a URL must match one of. */
  allow?: string[];
  /** URL patterns (`*` wildcards) that exclude a URL. */
  deny?: string[];
}

export interface PageRecord {
  url: string;
  finalUrl: string;
  status: number | null;
  depth: number;
  contentType: string | null;
  bytes: number;
  elapsedMs: number;
  title: string | null;
  links: string[];
  /** 'status', 'timeout', 'connect', 'body', 'too_large', … when the page failed. */
  error: string | null;
  errorMessage: string | null;
}

export interface CrawlProgress {
  pages: number;
  ok: number;
  errors: Record<string, number>;
  bytes: number;
  inFlight: number;
  queued: number;
  disallowed: number;
  duplicates: number;
  outOfScope: number;
  /** Distinct URLs seen so far. */
  seen: number;
  /** Seconds since the crawl started. */
  elapsedSecs: number;
  pagesPerSecond: number;
  stopped: boolean;
  finished: boolean;
}

export interface Crawl extends AsyncIterableIterator<PageRecord> {
  /** Nothing new starts; pages in flight still arrive. */
  stop(): void;
  progress(): CrawlProgress;
}

export class Session {
  constructor(options?: SessionOptions);
  get(url: string, options?: RequestOptions): Promise<Response>;
  post(url: string, options?: RequestOptions): Promise<Response>;
  put(url: string, options?: RequestOptions): Promise<Response>;
  patch(url: string, options?: RequestOptions): Promise<Response>;
  delete(url: string, options?: RequestOptions): Promise<Response>;
  head(url: string, options?: RequestOptions): Promise<Response>;
  options(url: string, options?: RequestOptions): Promise<Response>;
  request(method: string, url: string, options?: RequestOptions): Promise<Response>;
  crawl(urls: string[], options?: CrawlOptions): Crawl;
}

export function crawl(urls: string[], options?: CrawlOptions & { session?: SessionOptions }): Crawl;

export interface ErrorDetails {
  kind?: string;
  phase?: string;
  timeout?: string;
  url?: string;
  cause?: Error;
}

export class UnifetchError extends Error {
  constructor(message: string, details?: ErrorDetails);
  readonly kind: string;
  readonly phase?: 'pool' | 'dns' | 'connect' | 'tls' | 'send' | 'headers' | 'body';
  readonly timeout?: 'total' | 'connect' | 'sock_connect' | 'sock_read';
  readonly url?: string;
}
export class TimeoutError extends UnifetchError {}
export class NetworkError extends UnifetchError {}
export class HTTPError extends UnifetchError {
  constructor(response: Response);
  readonly response: Response;
}
