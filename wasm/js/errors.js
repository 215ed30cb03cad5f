// The errors unifetch throws: check them with `instanceof`.

/** The base class: every unifetch error, with `.kind`, `.phase`, `.url` and `.cause`. */
export class UnifetchError extends Error {
  constructor(message, details = {}) {
    super(message, details.cause ? { cause: details.cause } : undefined);
    this.name = 'UnifetchError';
    /** 'timeout', 'connect', 'request', 'body', 'too_large', 'status', 'decode', 'redirect', 'hook' or 'builder'. */
    this.kind = details.kind;
    /** Where in the exchange: 'pool', 'dns', 'connect', 'tls', 'send', 'headers' or 'body'. */
    this.phase = details.phase ?? undefined;
    /** For timeouts: 'total', 'connect', 'sock_connect' or 'sock_read'. */
    this.timeout = details.timeout ?? undefined;
    this.url = details.url ?? undefined;
  }
}

/** A timeout fired (`.timeout` says which). */
export class TimeoutError extends UnifetchError {
  constructor(message, details) {
    super(message, details);
    this.name = 'TimeoutError';
  }
}

/** The request did not get a complete response: connect, send or body failure. */
export class NetworkError extends UnifetchError {
  constructor(message, details) {
    super(message, details);
    this.name = 'NetworkError';
  }
}

/**
 * The server answered with a non-2xx status: `.response` is the response
 * (its body already read, so it holds no connection), with ky's `.request`
 * and `.options`.
 */
export class HTTPError extends UnifetchError {
  constructor(response, request = undefined, options = undefined) {
    const reason = response.statusText ? ` ${response.statusText}` : '';
    super(`Request failed with status code ${response.status}${reason}: ${response.url}`, {
      kind: 'status',
      url: response.url,
    });
    this.name = 'HTTPError';
    this.response = response;
    this.request = request;
    this.options = options;
  }
}

/** The class of each kind of the core's errors (`Error::kind_name`); other kinds are plain UnifetchErrors. */
const CLASS_OF_KIND = {
  timeout: TimeoutError,
  connect: NetworkError,
  request: NetworkError,
  body: NetworkError,
  too_large: NetworkError,
};

/** Makes the error for a core error: `details.kind` picks the class. */
export function makeError(message, details) {
  const Class = CLASS_OF_KIND[details.kind] ?? UnifetchError;
  return new Class(message, details);
}
