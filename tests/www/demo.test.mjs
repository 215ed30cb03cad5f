// The browser demo (www/), driven in headless Chromium by Playwright: load
// the page, crawl a demo site, check the table against the site's sitemap,
// keep a screenshot (target/www/demo.png).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';

import { chromium } from 'playwright-core';

const site = process.env.UNIFETCH_SITE;
const screenshot = process.env.UNIFETCH_SCREENSHOT ?? 'demo.png';

test('the demo page crawls the demo site in the browser', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${site}/www/`);
    // The page's module loads its WebAssembly first, and then puts its
    // default in #start: filled before that, the default would win.
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    const start = `${site}/web/150x5/`;
    await page.fill('#start', start);
    await page.click('#start-button');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });

    const rows = await page.$$eval('#pages tbody tr', (trs) =>
      trs.map((tr) => ({ url: tr.dataset.url, error: tr.classList.contains('error'), status: tr.cells[1].textContent })),
    );
    const sitemap = await fetch(`${start}sitemap.json`).then((r) => r.json());
    const expected = sitemap.fetched.map((e) => e.url).sort();
    assert.deepEqual(rows.map((r) => new URL(r.url).pathname).sort(), expected);
    const broken = sitemap.fetched.filter((e) => e.status === 404).length;
    assert.equal(rows.filter((r) => r.error).length, broken, 'broken links are highlighted');
    assert.ok(rows.filter((r) => r.error).every((r) => r.status === '404'));
    const status = await page.textContent('#status');
    assert.match(status, new RegExp(`^Done: ${rows.length} pages`));
    assert.deepEqual(problems, []);

    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
  } finally {
    await browser.close();
  }
});
