// The README's JavaScript quick start, run as written (its URL pointed at
// the test site) with the installed package, so that it cannot drift.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';

const site = process.env.UNIFETCH_SITE;
assert.ok(site, 'UNIFETCH_SITE must name the test site');

test('the README JavaScript quick start runs as written', async () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const section = readme.split('## JavaScript quick start')[1];
  const snippet = section.split('```js\n')[1].split('```')[0];
  const script = new URL('./readme-quick-start.mjs', import.meta.url);
  writeFileSync(script, snippet.replaceAll('http://127.0.0.1:8080', site));
  const { stdout } = await promisify(execFile)(process.execPath, [script.pathname], { timeout: 60_000 });
  assert.match(stdout, /^404 status$/m, 'the HTTPError was caught');
  assert.match(stdout, /^200 true .*\/stream-bytes\/1000000 application\/octet-stream$/m);
  assert.match(stdout, /^200 .*\/web\/200\/ /m, 'the crawl printed its pages');
  assert.match(stdout, /^1 1000000$/m, 'the last progress event');
});
