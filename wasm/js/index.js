// unifetch: the npm package. Loads the WebAssembly core (from the file
// next to this one, in Node or in a browser), registers the error classes,
// and adds what JS has and Rust cannot export: async iterators and
// raiseForStatus().
import init, * as core from './unifetch_wasm.js';
import { HTTPError, NetworkError, TimeoutError, UnifetchError, makeError, makeHttpError } from './errors.js';

const wasm = new URL('./unifetch_wasm_bg.wasm', import.meta.url);
if (typeof process !== 'undefined' && process.versions?.node) {
  const { readFileSync } = await import('node:fs');
  core.initSync({ module: readFileSync(wasm) });
} else {
  await init({ module_or_path: wasm });
}
core.registerErrors(makeError, makeHttpError);

const Response = core.UnifetchResponse;

/** Throws an HTTPError unless the status is 2xx; returns the response. */
Response.prototype.raiseForStatus = function raiseForStatus() {
  if (!this.ok) throw new HTTPError(this);
  return this;
};

/** The body as an async iterator of Uint8Array chunks. */
Response.prototype.chunks = function chunks() {
  const reader = this.chunkReader();
  return { next: () => reader.next(), [Symbol.asyncIterator]() { return this; } };
};

if (core.Crawl) {
  core.Crawl.prototype[Symbol.asyncIterator] = function iterator() {
    return this;
  };
}

export const Session = core.Session;
export { Response, UnifetchError, TimeoutError, NetworkError, HTTPError };

/** Crawls from `urls`; `options.session` holds the Session options. */
export function crawl(urls, options = {}) {
  if (!core.Crawl) throw new UnifetchError('this build of unifetch has no crawler', { kind: 'builder' });
  return new Session(options.session ?? {}).crawl(urls, options);
}
