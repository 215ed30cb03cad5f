// The ky-level API cases (ky.cases.mjs) in Node, against the test site.
import { test } from 'node:test';

import * as lib from 'unifetch';

import { cases } from './ky.cases.mjs';

const env = { site: process.env.UNIFETCH_SITE, crawlModule: 'unifetch/crawl' };
for (const [name, run] of Object.entries(cases)) {
  test(name, { timeout: 60_000 }, () => run(lib, env));
}
