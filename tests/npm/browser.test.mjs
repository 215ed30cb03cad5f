// The ky-level API cases (ky.cases.mjs) in headless Chromium, in a window
// and in a dedicated worker, with the package as the test site serves it
// (/www/pkg/, the build in target/npm/unifetch). The cases module is handed
// to the page as source and imported from a blob: URL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { chromium } from 'playwright-core';

const site = process.env.UNIFETCH_SITE;
const casesSource = readFileSync(new URL('./ky.cases.mjs', import.meta.url), 'utf8');

/** Runs every case where it is evaluated; resolves with `{ name: error or null }`. */
async function runCases({ casesSource, site }) {
  const casesUrl = URL.createObjectURL(new Blob([casesSource], { type: 'text/javascript' }));
  const lib = await import(`${site}/www/pkg/index.js`);
  const { cases } = await import(casesUrl);
  const env = { site, crawlModule: `${site}/www/pkg/crawl.js` };
  const results = {};
  for (const [name, run] of Object.entries(cases)) {
    try {
      await run(lib, env);
      results[name] = null;
    } catch (error) {
      results[name] = `${error?.name}: ${error?.message}`;
    }
  }
  return results;
}

/** In a dedicated worker started by the page: the same, its results posted back. */
async function runCasesInWorker({ casesSource, site, runner }) {
  const source = `const runCases = ${runner};
    self.onmessage = async (event) => self.postMessage(await runCases(event.data));`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
  const results = new Promise((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  worker.postMessage({ casesSource, site });
  return results;
}

for (const where of ['window', 'worker']) {
  test(`the ky-level cases pass in Chromium (${where})`, { timeout: 180_000 }, async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const problems = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${site}/www/`);
      const results =
        where === 'window'
          ? await page.evaluate(runCases, { casesSource, site })
          : await page.evaluate(runCasesInWorker, { casesSource, site, runner: runCases.toString() });
      const failures = Object.entries(results).filter(([, error]) => error !== null);
      assert.deepEqual(failures, [], `failed in the ${where}`);
      assert.ok(Object.keys(results).length >= 10, `ran ${Object.keys(results).length} cases`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
}

/** What the browser build leaves out is a clear error, not a silent difference. */
async function leftOut(site) {
  const { Session } = await import(`${site}/www/pkg/index.js`);
  const failure = async (run) => {
    try {
      await run();
      return 'no error';
    } catch (error) {
      return `${error.name} (${error.kind}): ${error.message}`;
    }
  };
  return {
    node: await failure(() => new Session({ transport: 'node' }).get(`${site}/get`)),
    crawl: await failure(() => new Session().crawl([`${site}/web/`])),
  };
}

test('the browser build names what it leaves out', { timeout: 60_000 }, async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${site}/www/`);
    const { node, crawl } = await page.evaluate(leftOut, site);
    assert.match(node, /^UnifetchError \(builder\): .*transport 'node' is in the package's Node build only/);
    assert.match(crawl, /^UnifetchError \(builder\): the crawler is in 'unifetch\/crawl'/);
  } finally {
    await browser.close();
  }
});
