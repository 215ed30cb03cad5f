// The npm package, installed from its packed tarball, against the test site
// (UNIFETCH_SITE, started by scripts/test.sh).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HTTPError, NetworkError, Session, TimeoutError, UnifetchError } from 'unifetch';

const site = process.env.UNIFETCH_SITE;
assert.ok(site, 'UNIFETCH_SITE must name the test site');
const api = new Session({ prefixUrl: site, headers: { 'X-Client': 'npm-test' }, retry: 0 });
const track = (name) => `${name}-${process.pid}-${Date.now()}`;
const stats = (key) => api.get(`track/${key}`).then((r) => r.json());

test('every method reaches the server with its body', async () => {
  for (const method of ['post', 'put', 'patch', 'delete']) {
    const echo = await api[method]('anything', { body: `${method} body` }).then((r) => r.json());
    assert.equal(echo.method, method.toUpperCase());
    assert.equal(echo.data, `${method} body`);
  }
  const get = await api.get('anything').then((r) => r.json());
  assert.equal(get.method, 'GET');
  const head = await api.head('get');
  assert.equal(head.status, 200);
  assert.equal((await head.bytes()).length, 0);
  const options = await api.options('anything').then((r) => r.json());
  assert.equal(options.method, 'OPTIONS');
  const purge = await api.request('PURGE', 'anything').then((r) => r.json());
  assert.equal(purge.method, 'PURGE');
});

test('searchParams from objects, URLSearchParams and strings, non-ASCII included', async () => {
  for (const searchParams of [{ name: '钢铁知识库', age: 23 }, new URLSearchParams({ name: '钢铁知识库', age: '23' }), 'name=钢铁知识库&age=23']) {
    const echo = await api.get('get', { searchParams }).then((r) => r.json());
    assert.deepEqual(echo.args, { name: '钢铁知识库', age: '23' });
    assert.match(echo.url, /name=%E9%92%A2%E9%93%81%E7%9F%A5%E8%AF%86%E5%BA%93/);
  }
});

test('json and form bodies, default and request headers', async () => {
  const payload = { book: '西游记', chapters: [1, 2, 3], nested: { ok: true } };
  const json = await api.post('post', { json: payload }).then((r) => r.json());
  assert.deepEqual(json.json, payload);
  assert.equal(json.headers['Content-Type'], 'application/json');
  assert.equal(json.headers['X-Client'], 'npm-test');
  const form = await api.post('post', { form: { a: '1', b: 'x y' }, headers: { 'X-Extra': 'yes' } }).then((r) => r.json());
  assert.deepEqual(form.form, { a: '1', b: 'x y' });
  assert.equal(form.headers['X-Extra'], 'yes');
});

test('a FormData body is sent as multipart/form-data, files included', async () => {
  const form = new FormData();
  form.append('name', '钢铁知识库');
  form.append('notes', new Blob(['chapter one'], { type: 'text/plain' }), 'notes.txt');
  const echo = await api.post('post', { body: form }).then((r) => r.json());
  assert.equal(echo.form.name, '钢铁知识库');
  assert.equal(echo.files.notes, 'chapter one');
  assert.match(echo.headers['Content-Type'], /^multipart\/form-data; boundary=/);
});

test('responses: status, ok, url, a real Headers, text by charset, bytes', async () => {
  const response = await api.get('response-headers', { searchParams: { 'X-Custom': 'Value' } });
  assert.equal(response.status, 200);
  assert.equal(response.ok, true);
  assert.ok(response.headers instanceof Headers);
  assert.equal(response.headers.get('x-custom'), 'Value');
  assert.match(response.url, /\/response-headers\?X-Custom=Value$/);
  assert.equal(await api.get('encoding/gbk').then((r) => r.text()), '钢铁知识库：西游记');
  for (const charset of ['utf-8', 'utf-16le', 'utf-16be']) {
    const searchParams = { bom: 'true', declare_as: 'windows-1252' };
    const text = await api.get(`encoding/${charset}`, { searchParams }).then((r) => r.text());
    assert.equal(text, 'Grüße, café — 钢铁知识库 ✓', `${charset}: the byte-order mark wins and is dropped`);
  }
  const bytes = await api.get('bytes/1000').then((r) => r.bytes());
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(bytes.length, 1000);
});

test('non-2xx rejects with HTTPError carrying the response, unless told not to', async () => {
  await assert.rejects(api.get('status/404'), (error) => {
    assert.ok(error instanceof HTTPError && error instanceof UnifetchError && error instanceof Error);
    assert.equal(error.response.status, 404);
    assert.equal(error.kind, 'status');
    return true;
  });
  const quiet = await api.get('status/503', { throwHttpErrors: false });
  assert.equal(quiet.status, 503);
  assert.throws(() => quiet.raiseForStatus(), HTTPError);
});

test('timeouts reject with TimeoutError naming the limit', async () => {
  await assert.rejects(api.get('delay/3', { timeout: 500 }), (error) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.kind, 'timeout');
    assert.equal(error.timeout, 'total');
    assert.equal(error.phase, 'headers');
    return true;
  });
  const stalled = await api.get('fault/stall-body', { searchParams: { bytes: 10, seconds: 30 }, timeout: { sockRead: 500 } });
  await assert.rejects(stalled.text(), (error) => error instanceof TimeoutError && error.timeout === 'sock_read');
});

test('Node transport: connect and sock_connect cover a TLS handshake that never ends', async () => {
  const { createServer } = await import('node:net');
  const silent = createServer(() => {}); // accepts, never answers the ClientHello
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${silent.address().port}/`;
  try {
    for (const [option, name] of [['sockConnect', 'sock_connect'], ['connect', 'connect']]) {
      const started = Date.now();
      await assert.rejects(new Session({ retry: 0, timeout: { [option]: 300 } }).get(url), (error) => {
        assert.ok(error instanceof TimeoutError, `${error}`);
        assert.equal(error.timeout, name);
        return true;
      });
      assert.ok(Date.now() - started < 2000, `${name} fired after ${Date.now() - started} ms`);
    }
  } finally {
    silent.close();
  }
});

test('a failed request leaves no timer behind: the process exits at once', async () => {
  const { execFile } = await import('node:child_process');
  const script = `import uf from 'unifetch';
    await uf.get('http://127.0.0.1:${process.env.UNIFETCH_CLOSED_PORT}/', { retry: 0 }).catch(() => {});`;
  const started = Date.now();
  await new Promise((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 20_000 }, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  assert.ok(Date.now() - started < 2000, `exited after ${Date.now() - started} ms (a 30 s sock_connect timer kept it alive)`);
});

test('network failures reject with NetworkError and a cause', async () => {
  const closed = new Session({ retry: 0 });
  await assert.rejects(closed.get(`http://127.0.0.1:${process.env.UNIFETCH_CLOSED_PORT}/`), (error) => {
    assert.ok(error instanceof NetworkError);
    assert.equal(error.kind, 'connect');
    assert.ok(error.cause instanceof Error);
    return true;
  });
  await assert.rejects(api.get('get', { headers: { 'X-Bad': 'a\r\nb' } }), (error) => error.kind === 'builder');
  assert.throws(() => new Session({ transport: 'carrier-pigeon' }), (error) => {
    assert.equal(error.kind, 'builder');
    assert.match(error.message, /option transport must be "fetch" or "node"/);
    return true;
  });
  await assert.rejects(api.get('get', { hooks: { beforeRequest: () => {} } }), (error) => {
    assert.equal(error.kind, 'builder');
    assert.match(error.message, /hooks\.beforeRequest must be an array/);
    return true;
  });
});

test('retries with ky-style options', async () => {
  const id = track('npm-retry');
  const retrying = new Session({ prefixUrl: site, retry: { limit: 2, delay: 50 } });
  const response = await retrying.get(`flaky/2`, { searchParams: { id, track: id } });
  assert.equal(response.status, 200);
  assert.equal((await stats(id)).requests, 3);
  const postId = track('npm-retry-post');
  await assert.rejects(retrying.post('flaky/1', { searchParams: { id: postId, track: postId } }), HTTPError);
  assert.equal((await stats(postId)).requests, 1, 'POST is not retried by default');
});

test('limit and limitPerHost cap requests in flight (seen by the server)', async () => {
  const id = track('npm-limit');
  const limited = new Session({ prefixUrl: site, limit: 2 });
  await Promise.all(Array.from({ length: 6 }, () => limited.get('delay/0.3', { searchParams: { track: id } }).then((r) => r.bytes())));
  const seen = await stats(id);
  assert.equal(seen.requests, 6);
  assert.equal(seen.max_in_flight, 2);
});

test('chunks() streams a large body as an async iterator', async () => {
  const response = await api.get('stream-bytes/4000000', { searchParams: { chunk_size: 65536 } });
  let total = 0;
  let count = 0;
  for await (const chunk of response.chunks()) {
    assert.ok(chunk instanceof Uint8Array);
    total += chunk.length;
    count += 1;
  }
  assert.equal(total, 4000000);
  assert.ok(count > 1);
});
