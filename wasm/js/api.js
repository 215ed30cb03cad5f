// The package's API over one build of the WebAssembly core: ky's instance
// (`uf(url, options)`, `uf.get(…)`, `uf.create(…)`, `uf.extend(…)`),
// `Session`, `crawl` (in the builds that have the crawler), the response
// class, and the bridge through which the core runs JS hooks. The core
// does the work (limits, timeouts, retries, hooks, redirects, cookies);
// this file converts options and runs JS hooks by ky's rules when the core
// calls them. Each entry (index.js, crawl.js, node.js) binds its build.
import { HTTPError, UnifetchError, makeError } from './errors.js';
import { responseClass } from './response.js';

/** Returned by a `beforeRetry` hook: no more retries, the last failure stands. */
export const stop = Symbol('unifetch.stop');

const METHODS = ['get', 'post', 'put', 'patch', 'head', 'delete'];
/** ky's body shortcuts and the `Accept` each one asks for. */
const SHORTCUTS = {
  json: 'application/json',
  text: 'text/*',
  formData: 'multipart/form-data',
  arrayBuffer: '*/*',
  blob: '*/*',
  bytes: '*/*',
};
/** Options that apply per request in JS (the rest configure the session). */
const PER_REQUEST = ['hooks', 'signal', 'onDownloadProgress', 'onUploadProgress', 'parseJson', 'stringifyJson', 'searchParams'];
const HOOK_KINDS = ['beforeRequest', 'afterResponse', 'beforeRetry', 'beforeError'];
const NONE = Object.freeze({});
/** Where an instance keeps its core session (for `Session.crawl`). */
const SESSION = Symbol('unifetch.session');

/** `options` over `defaults`: headers and hooks are merged, the rest replaced. */
function merge(defaults, options) {
  const merged = { ...defaults, ...options };
  if (defaults.headers && options.headers) {
    const headers = new Headers(defaults.headers);
    for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
    merged.headers = headers;
  }
  if (defaults.hooks && options.hooks) {
    merged.hooks = {};
    for (const kind of HOOK_KINDS) merged.hooks[kind] = [...(defaults.hooks[kind] ?? []), ...(options.hooks[kind] ?? [])];
  }
  if (defaults.signal && options.signal) merged.signal = anySignal([defaults.signal, options.signal]);
  return merged;
}

/** A signal that aborts when any of `signals` does. */
function anySignal(signals) {
  if (AbortSignal.any) return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) return AbortSignal.abort(signal.reason);
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

/** A request's options over the instance's per-request ones. */
function requestOptions(shared, given) {
  const options = { ...given };
  for (const key of PER_REQUEST) {
    if (shared[key] !== undefined && given[key] === undefined) options[key] = shared[key];
  }
  if (shared.hooks && given.hooks) options.hooks = merge({ hooks: shared.hooks }, { hooks: given.hooks }).hooks;
  if (shared.signal && given.signal) options.signal = anySignal([shared.signal, given.signal]);
  return options;
}

/** `options` asking for `mime` unless they name an `Accept` already ('*' is the session's default). */
function withAccept(options, mime) {
  if (mime === '*/*') return options;
  const headers = new Headers(options.headers);
  if (headers.has('accept')) return options;
  headers.set('accept', mime);
  return { ...options, headers };
}

/**
 * ky's `onUploadProgress`, as far as fetch lets it be seen: bodies are
 * handed to the platform whole, so it reports the start and the end.
 */
function uploadProgress(options) {
  const { json, body } = options;
  let totalBytes = 0;
  if (json !== undefined) totalBytes = new TextEncoder().encode((options.stringifyJson ?? JSON.stringify)(json)).byteLength;
  else if (typeof body === 'string') totalBytes = new TextEncoder().encode(body).byteLength;
  else if (body?.byteLength !== undefined) totalBytes = body.byteLength;
  else if (body?.size !== undefined) totalBytes = body.size;
  return (percent) =>
    options.onUploadProgress({ percent, transferredBytes: percent * totalBytes, totalBytes }, new Uint8Array());
}

/** The API over `core`, a loaded build of the WebAssembly core. */
export function bind(core) {
  const { UnifetchResponse, handOffForeign } = responseClass(core);
  const isResponse = (value) =>
    value instanceof UnifetchResponse || (typeof Response !== 'undefined' && value instanceof Response);

  /** The token under which the core claims a response (ours hand over their core; others stream in). */
  const handOff = (response) => (response instanceof UnifetchResponse ? response.handOff() : handOffForeign(response));

  /** Releases a response that will not be used. */
  const discard = (response) => {
    if (response instanceof UnifetchResponse) response[Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]();
    else response.body?.cancel().catch(() => {});
  };

  core.registerBridge({
    makeError,
    handOff,
    makeHttpError: (coreResponse) => new HTTPError(new UnifetchResponse(coreResponse)),
    // ky: the first hook to return a Request replaces it and ends the list;
    // one that returns a Response answers the request without sending it.
    async runBeforeRequest(hooks, request, options, retryCount) {
      for (const hook of hooks) {
        const result = await hook(request, options, { retryCount });
        if (result instanceof Request || isResponse(result)) return result;
      }
      return request;
    },
    // ky: each hook gets a clone; a Response it returns replaces the response.
    async runAfterResponse(hooks, request, options, coreResponse, retryCount) {
      // Progress is reported once, by the response the caller reads.
      const quiet = options.onDownloadProgress ? { ...options, onDownloadProgress: undefined } : options;
      let response = new UnifetchResponse(coreResponse, quiet);
      for (const hook of hooks) {
        const copy = response.clone();
        const result = await hook(request, options, copy, { retryCount });
        const next = isResponse(result) ? result : response;
        if (copy !== next) discard(copy);
        if (response !== next) discard(response);
        response = next;
      }
      return response;
    },
    async runBeforeRetry(hooks, state) {
      for (const hook of hooks) {
        if ((await hook(state)) === stop) return true;
      }
      return false;
    },
  });

  /** An instance over a new session made from `defaults`. */
  function instance(defaults) {
    const session = new core.CoreSession(defaults);
    const shared = PER_REQUEST.some((key) => defaults[key] !== undefined) ? defaults : undefined;
    const uf = (input, options) => start(session, shared, input, options ?? NONE, options?.method);
    for (const method of METHODS) uf[method] = (input, options) => start(session, shared, input, options ?? NONE, method);
    uf.create = (options) => instance(options ?? {});
    uf.extend = (options) => instance(merge(defaults, typeof options === 'function' ? options(defaults) : (options ?? {})));
    uf.stop = stop;
    uf[SESSION] = session;
    return uf;
  }

  /** Starts a request on the next microtask (so that a body shortcut can set `Accept` first). */
  function start(session, shared, input, given, method) {
    if (typeof Request !== 'undefined' && input instanceof Request) {
      throw new TypeError('unifetch takes a URL (a string or a URL), not a Request: give its method, headers and body as options');
    }
    let options = shared ? requestOptions(shared, given) : given;
    const url = typeof input === 'string' ? input : String(input);
    const verb = (method ?? 'get').toUpperCase();
    let accept;
    const promise = Promise.resolve().then(() => {
      if (accept !== undefined) options = withAccept(options, accept);
      return send(session, verb, url, options);
    });
    for (const [type, mime] of Object.entries(SHORTCUTS)) {
      promise[type] = () => {
        accept ??= mime;
        return promise.then((response) => response[type]());
      };
    }
    return promise;
  }

  async function send(session, method, url, options) {
    const upload = options.onUploadProgress && uploadProgress(options);
    upload?.(0);
    try {
      const core = await session.send(method, url, options === NONE ? undefined : options);
      const response = new UnifetchResponse(core, options);
      upload?.(1);
      return response;
    } catch (error) {
      if (error instanceof HTTPError) {
        error.request = new Request(error.response.url, { method });
        error.options = options;
      }
      let thrown = error;
      for (const hook of options.hooks?.beforeError ?? []) thrown = await hook(thrown);
      throw thrown;
    }
  }

  /**
   * A session: the same as an instance made with `uf.create(options)`, as a
   * class with `request(method, url, options)`, `get`, `post`, … and `crawl`.
   */
  class Session {
    #uf;

    constructor(options = {}) {
      this.#uf = instance(options);
    }

    /** Any method: `session.request('PURGE', url, options)`. */
    request(method, url, options) {
      return this.#uf(url, { ...options, method });
    }

    /** Crawls from `urls` (see `unifetch/crawl`). */
    crawl(urls, options = {}) {
      const session = this.#uf[SESSION];
      if (!session.crawl) throw new UnifetchError("the crawler is in 'unifetch/crawl': take Session from there", { kind: 'builder' });
      return session.crawl(urls, options);
    }
  }
  for (const method of [...METHODS, 'options']) {
    Session.prototype[method] = function request(url, options) {
      return this.request(method, url, options);
    };
  }

  if (core.Crawl) {
    core.Crawl.prototype[Symbol.asyncIterator] = function iterator() {
      return this;
    };
    /** Leaving a `for await` loop ends the crawl and its requests in flight. */
    core.Crawl.prototype.return = function close() {
      this.close();
      return Promise.resolve({ done: true, value: undefined });
    };
  }

  /** Crawls from `urls`; `options.session` holds the Session options (or is a Session). */
  function crawl(urls, options = {}) {
    const session = options.session instanceof Session ? options.session : new Session(options.session ?? {});
    return session.crawl(urls, options);
  }

  return { uf: instance({}), Session, crawl, Response: UnifetchResponse };
}
