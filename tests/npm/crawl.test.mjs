// The crawler from JS: an async iterator of page records, progress, stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Session } from 'unifetch';
import { crawl } from 'unifetch/crawl';

const site = process.env.UNIFETCH_SITE;

test('a crawl yields the pages of the demo site, robots.txt obeyed', async () => {
  const session = new Session({ retry: 0 });
  const run = session.crawl([`${site}/web/60/`], { concurrency: 4, perHost: 2 });
  const pages = [];
  for await (const page of run) pages.push(page);
  const sitemap = await session.get(`${site}/web/60/sitemap.json`).then((r) => r.json());
  const fetched = new Set(pages.map((p) => new URL(p.url).pathname));
  assert.deepEqual([...fetched].sort(), sitemap.fetched.map((e) => e.url).sort());
  assert.ok(pages.every((p) => !p.url.includes('/private/')));
  const page = pages.find((p) => p.title === 'Page 3');
  assert.ok(page && page.status === 200 && page.contentType.startsWith('text/html') && page.links.length > 0);
  const progress = run.progress();
  assert.equal(progress.pages, pages.length);
  assert.ok(progress.finished && progress.disallowed > 0 && progress.pagesPerSecond > 0);
});

test('stop() ends a crawl and keeps what was fetched', async () => {
  const run = crawl([`${site}/web/2000x20/`], { concurrency: 4, session: { retry: 0 } });
  let count = 0;
  for await (const page of run) {
    count += 1;
    if (count === 10) run.stop();
    assert.ok(page.url);
  }
  const progress = run.progress();
  assert.ok(progress.stopped && count >= 10 && count < 20, `${count} pages`);
  assert.equal(progress.pages, count);
});

test('maxPages and maxDepth limit the crawl', async () => {
  const run = crawl([`${site}/web/500/`], { maxPages: 15 });
  let count = 0;
  for await (const page of run) count += page ? 1 : 0;
  assert.equal(count, 15);
  const shallow = crawl([`${site}/web/500/`], { maxDepth: 0 });
  const pages = [];
  for await (const page of shallow) pages.push(page);
  assert.deepEqual(pages.map((p) => p.depth), [0]);
});
