// The demo: a crawl of the demo site, run by unifetch's Rust crawler in
// this page (WebAssembly over the browser's fetch), shown as it goes.
import { Session } from './pkg/crawl.js';

const $ = (id) => document.getElementById(id);
const form = $('controls');
const tbody = document.querySelector('#pages tbody');
const latencies = [];
let running = null;

$('start').value = new URL('/web/500x5/', location.href).href;
for (const id of ['concurrency', 'per-host']) {
  $(id).addEventListener('input', () => { $(`${id}-value`).value = $(id).value; });
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (running) return;
  tbody.replaceChildren();
  latencies.length = 0;
  const session = new Session({ timeout: 15000, retry: 2 });
  running = session.crawl([$('start').value], {
    concurrency: Number($('concurrency').value),
    perHost: Number($('per-host').value),
    maxPages: Number($('max-pages').value),
  });
  $('start-button').disabled = true;
  $('stop-button').disabled = false;
  document.body.dataset.state = 'running';
  const ticker = setInterval(showProgress, 100);
  try {
    for await (const page of running) addRow(page);
  } catch (error) {
    $('status').textContent = `Crawl failed: ${error.message}`;
  } finally {
    clearInterval(ticker);
    showProgress();
    $('start-button').disabled = false;
    $('stop-button').disabled = true;
    running = null;
    document.body.dataset.state = 'done';
  }
});

$('stop-button').addEventListener('click', () => running?.stop());
// Set up (the module and its WebAssembly loaded, the default start URL in
// place): what a script that drives the page waits for.
document.body.dataset.state = 'ready';

function addRow(page) {
  const row = tbody.insertRow();
  row.className = page.error ? 'error' : '';
  row.dataset.url = page.url;
  const cells = [tbody.rows.length, page.status ?? page.error, page.elapsedMs.toFixed(1), formatSize(page.bytes), page.title ?? page.errorMessage ?? '', page.url];
  cells.forEach((value, i) => {
    const cell = row.insertCell();
    cell.textContent = value;
    if (i === 5) cell.className = 'url';
  });
  latencies.push(page.elapsedMs);
  drawLatency();
}

let lastProgress = null;
function showProgress() {
  const p = running?.progress() ?? lastProgress;
  if (!p) return;
  lastProgress = p;
  const known = p.pages + p.inFlight + p.queued;
  $('progress').max = Math.max(known, 1);
  $('progress').value = p.pages;
  const errors = Object.values(p.errors).reduce((a, b) => a + b, 0);
  const state = p.finished ? (p.stopped ? 'Stopped' : 'Done') : 'Crawling';
  $('status').textContent = `${state}: ${p.pages} pages, ${p.inFlight} in flight, ${p.queued} queued, ${errors} errors, ` +
    `${p.disallowed} disallowed by robots.txt, ${p.pagesPerSecond.toFixed(1)} pages/s`;
}

function drawLatency() {
  const canvas = $('latency');
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const recent = latencies.slice(-300);
  const max = Math.max(...recent, 1);
  const step = width / Math.max(recent.length, 1);
  ctx.fillStyle = '#3056d3';
  recent.forEach((ms, i) => {
    const h = (ms / max) * (height - 16);
    ctx.fillRect(i * step, height - h, Math.max(step - 1, 1), h);
  });
  ctx.fillStyle = '#5b6275';
  ctx.font = '12px system-ui';
  ctx.fillText(`latency per page (ms), max ${max.toFixed(0)}`, 6, 14);
}

function formatSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
