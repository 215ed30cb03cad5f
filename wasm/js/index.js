// unifetch in browsers, workers and Deno: the client, over the build that
// leaves to the host what it does itself (decoding, redirects, cookies).
// The crawler is in `unifetch/crawl`; Node loads node.js instead.
import init, * as core from './web/unifetch_wasm.js';
import { bind } from './api.js';

await init({ module_or_path: new URL('./web/unifetch_wasm_bg.wasm', import.meta.url) });
const api = bind(core);

/** The ky-like default instance: `uf(url)`, `uf.get(url).json()`, `uf.create({...})`. */
export default api.uf;
export const { Session, Response } = api;
export { stop } from './api.js';
export { UnifetchError, TimeoutError, NetworkError, HTTPError } from './errors.js';
