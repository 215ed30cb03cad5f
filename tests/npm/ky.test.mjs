// The ky-level API cases (ky.cases.mjs) in Node, against the test site:
// over node:http (the transport unifetch picks in Node), then over Node's
// fetch (`transport: 'fetch'`, for those who want undici's).
import { test } from 'node:test';

import * as lib from 'unifetch';

import { cases } from './ky.cases.mjs';

const env = { site: process.env.UNIFETCH_SITE, crawlModule: 'unifetch/crawl' };
const viaFetch = (options = {}) => lib.default.create({ ...options, transport: 'fetch' });
const fetchUf = viaFetch();
fetchUf.create = viaFetch;
const overFetch = { ...lib, default: fetchUf };

for (const [name, run] of Object.entries(cases)) {
  test(name, { timeout: 60_000 }, () => run(lib, env));
  test(`${name} (transport: 'fetch')`, { timeout: 60_000 }, () => run(overFetch, env));
}
