// The Node build, loaded once for both of Node's entries (node.js and
// node-crawl.js): node:http, the core's cookie jar and the crawler.
import { readFileSync } from 'node:fs';
import { initSync } from './node/unifetch_wasm.js';
import * as core from './node/unifetch_wasm.js';
import { bind } from './api.js';

initSync({ module: readFileSync(new URL('./node/unifetch_wasm_bg.wasm', import.meta.url)) });

/** The API over the Node build. */
export const api = bind(core);
