// unifetch/crawl in browsers, workers and Deno: the client and the
// portable crawler, in a build of their own (so that `unifetch` stays
// small). `crawl(urls, options)` is an async iterator of page records:
// leaving the loop (or aborting `signal`) ends the crawl and its requests
// in flight. Node loads node-crawl.js instead.
import init, * as core from './web-crawl/unifetch_wasm.js';
import { bind } from './api.js';

await init({ module_or_path: new URL('./web-crawl/unifetch_wasm_bg.wasm', import.meta.url) });
const api = bind(core);

export default api.uf;
export const { crawl, Session, Response } = api;
export { stop } from './api.js';
export { UnifetchError, TimeoutError, NetworkError, HTTPError } from './errors.js';
