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
      /** Statuses whose Retry-After is honoured (default 413, 429, 503). */
      afterStatusCodes?: number[];
      /** ky's `(attemptCount) => ms` (1 for the first retry), or the first wait in ms, doubled after each attempt (default 300). */
      delay?: number | ((attemptCount: number) => number);
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

/** What `onDownloadProgress` and `onUploadProgress` are given, as in ky. */
export interface Progress {
  /** From 0 to 1 (0 while the total is unknown). */
  percent: number;
  transferredBytes: number;
  /** 0 when the server did not say. */
  totalBytes: number;
}

/** ky's hooks, with ky's arguments and return rules. */
export interface Hooks {
  /**
   * Before each attempt: change `request` in place, return a new `Request`
   * (later hooks are skipped) or a `Response` (sent instead of the request).
   */
  beforeRequest?: Array<
    (
      request: Request,
      options: Options,
      state: { retryCount: number },
    ) => Request | globalThis.Response | Response | void | Promise<Request | globalThis.Response | Response | void>
  >;
  /** After each attempt, on a clone of the response: a `Response` returned replaces it. */
  afterResponse?: Array<
    (
      request: Request,
      options: Options,
      response: Response,
      state: { retryCount: number },
    ) => globalThis.Response | Response | void | Promise<globalThis.Response | Response | void>
  >;
  /**
   * After the wait before a retry; return `stop` to end the retries (the
   * failure that was about to be retried stands: unlike ky, whose promise
   * then resolves with `undefined`).
   */
  beforeRetry?: Array<
    (state: {
      request: Request;
      options: Options;
      error: Error;
      retryCount: number;
    }) => typeof stop | void | Promise<typeof stop | void>
  >;
  /** On any error the request rejects with (ky: HTTPError only); returns the error to throw. */
  beforeError?: Array<(error: Error) => Error | Promise<Error>>;
}

/** What a request takes, and an instance gives each of its requests. */
export interface SharedOptions {
  searchParams?: ParamsOption;
  /** An instance's are sent with every request; a request's are added (by name). */
  headers?: HeadersOption;
  timeout?: TimeoutOption;
  retry?: RetryOption;
  /** The largest body read, in bytes (default 1 GiB). */
  maxBodySize?: number;
  /** Reject non-2xx responses with an HTTPError (default true), or decide by status. */
  throwHttpErrors?: boolean | ((status: number) => boolean);
  /**
   * Aborting rejects at once with the signal's reason, in any phase (body
   * included). An instance's and a request's: either aborts.
   */
  signal?: AbortSignal;
  /** An instance's run before a request's. */
  hooks?: Hooks;
  onDownloadProgress?: (progress: Progress, chunk: Uint8Array) => void;
  /** Bodies go to the platform whole: called at the start and at the end. */
  onUploadProgress?: (progress: Progress, chunk: Uint8Array) => void;
  /** Parses the text of `json()` (default `JSON.parse`). */
  parseJson?: (text: string) => unknown;
  /** Makes the text of a `json` body (default `JSON.stringify`). */
  stringifyJson?: (data: unknown) => string;
}

/** The options of a session or an instance (`uf.create`, `uf.extend`). */
export interface SessionOptions extends SharedOptions {
  /** Prepended to every URL, with one `/` in between. */
  prefixUrl?: string;
  /** `'follow'` (default), `'manual'` (never follow), or the most hops. */
  redirect?: 'follow' | 'manual' | number;
  /** Requests in flight at most (default 100). */
  limit?: number;
  /** Requests in flight to one host at most (default: no limit). */
  limitPerHost?: number;
  /** Keep cookies (the browser's jar in browsers, the core's in Node). */
  cookies?: boolean;
  /**
   * How requests go out: in Node `'node'` (node:http, the default there) or
   * `'fetch'` (Node's undici, e.g. for fetch mocks); elsewhere `'fetch'`.
   */
  transport?: 'node' | 'fetch';
}

/** The options of one request. */
export interface RequestOptions extends SharedOptions {
  /** For `uf(url, options)`: the method (default `'get'`). */
  method?: string;
  /** A JSON body (sets Content-Type unless `headers` has one). */
  json?: unknown;
  /** An application/x-www-form-urlencoded body. */
  form?: ParamsOption;
  /** A raw body, or a FormData sent as multipart/form-data. */
  body?: string | Uint8Array | ArrayBuffer | Blob | URLSearchParams | FormData;
}

/** Everything an instance or a request can be given. */
export type Options = SessionOptions & RequestOptions;

/**
 * A response with fetch's members. Its connection and `limit` slot are held
 * until the body is read, cancelled (`body.cancel()`), disposed (`await
 * using`) or left in a `for await` loop; an HTTPError's body is read first.
 */
export class Response {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  /** The final URL, after redirects. */
  readonly url: string;
  readonly redirected: boolean;
  readonly type: 'basic';
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array>;
  readonly bodyUsed: boolean;
  /** Decoded by a byte-order mark, else the charset of Content-Type, else UTF-8. */
  text(): Promise<string>;
  /** `''` for a 204 or an empty body, as in ky. */
  json<T = unknown>(): Promise<T>;
  bytes(): Promise<Uint8Array>;
  arrayBuffer(): Promise<ArrayBuffer>;
  blob(): Promise<Blob>;
  formData(): Promise<FormData>;
  /** A second response whose body is a copy (the stream is teed). */
  clone(): Response;
  /** The body chunk by chunk, as it arrives; leaving the loop releases it. */
  chunks(): AsyncIterableIterator<Uint8Array>;
  /** Throws an HTTPError unless the status is 2xx. */
  raiseForStatus(): this;
  /** Releases the body unread. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `uf(…)` and `uf.get(…)` return: a response promise with ky's body shortcuts. */
export interface ResponsePromise extends Promise<Response> {
  json<T = unknown>(): Promise<T>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  blob(): Promise<Blob>;
  bytes(): Promise<Uint8Array>;
  formData(): Promise<FormData>;
}

/** A ky-like instance: call it, or its methods; make new ones with create and extend. */
export interface Instance {
  (url: string | URL, options?: RequestOptions): ResponsePromise;
  get(url: string | URL, options?: RequestOptions): ResponsePromise;
  post(url: string | URL, options?: RequestOptions): ResponsePromise;
  put(url: string | URL, options?: RequestOptions): ResponsePromise;
  patch(url: string | URL, options?: RequestOptions): ResponsePromise;
  head(url: string | URL, options?: RequestOptions): ResponsePromise;
  delete(url: string | URL, options?: RequestOptions): ResponsePromise;
  /** A new instance over a new session, from these options only. */
  create(options?: Options): Instance;
  /** A new instance over a new session: these options over this instance's (headers and hooks merged). */
  extend(options?: Options | ((parent: Options) => Options)): Instance;
  /** For `beforeRetry` hooks: return it to stop retrying. */
  readonly stop: typeof stop;
}

/** Returned by a `beforeRetry` hook: no more retries. */
export declare const stop: unique symbol;

/** The default instance: `uf(url)`, `uf.get(url).json()`, `uf.create({ … })`. */
declare const uf: Instance;
export default uf;

export interface CrawlOptions {
  /** Aborting ends the crawl and its requests in flight; the iterator rejects with the reason. */
  signal?: AbortSignal;
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

/** A running crawl: leaving a `for await` loop (`return()`) ends it at once. */
export interface Crawl extends AsyncIterableIterator<PageRecord> {
  /** Nothing new starts; pages in flight still arrive. */
  stop(): void;
  /** Ends the crawl at once: requests in flight are dropped. */
  close(): void;
  progress(): CrawlProgress;
}

/** A session as a class: the same as `uf.create(options)`. */
export class Session {
  constructor(options?: SessionOptions);
  get(url: string, options?: RequestOptions): ResponsePromise;
  post(url: string, options?: RequestOptions): ResponsePromise;
  put(url: string, options?: RequestOptions): ResponsePromise;
  patch(url: string, options?: RequestOptions): ResponsePromise;
  delete(url: string, options?: RequestOptions): ResponsePromise;
  head(url: string, options?: RequestOptions): ResponsePromise;
  options(url: string, options?: RequestOptions): ResponsePromise;
  request(method: string, url: string, options?: RequestOptions): ResponsePromise;
  /**
   * Crawls from `urls`. Browsers load the crawler with `unifetch/crawl`
   * only: there, take `Session` from that entry (in Node either works).
   */
  crawl(urls: string[], options?: CrawlOptions): Crawl;
}

export interface ErrorDetails {
  kind?: string;
  phase?: string;
  timeout?: string;
  url?: string;
  cause?: Error;
}

export class UnifetchError extends Error {
  constructor(message: string, details?: ErrorDetails);
  /** 'timeout', 'connect', 'request', 'body', 'too_large', 'status', 'decode', 'redirect', 'hook' or 'builder'. */
  readonly kind: string;
  readonly phase?: 'pool' | 'dns' | 'connect' | 'tls' | 'send' | 'headers' | 'body';
  readonly timeout?: 'total' | 'connect' | 'sock_connect' | 'sock_read';
  readonly url?: string;
}
export class TimeoutError extends UnifetchError {}
export class NetworkError extends UnifetchError {}
/** A non-2xx status; `response` has its body read already. */
export class HTTPError extends UnifetchError {
  constructor(response: Response, request?: Request, options?: Options);
  readonly response: Response;
  readonly request?: Request;
  readonly options?: Options;
}
