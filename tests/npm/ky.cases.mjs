// The package's ky-level API, written once and run in Node (ky.test.mjs,
// node:test) and in Chromium, in a window and in a dedicated worker
// (browser.test.mjs). Each case is `async (lib, env) => void` and throws
// on failure; `lib` is the package's module, `env` = { site, closedPort }.
// Nothing here may hang: every wait that could is bounded by a timeout.

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function equal(actual, expected, message) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${message}: got ${a}, expected ${e}`);
}

/** Resolves with the rejection of `promise` (fails if it resolves). */
async function rejection(promise, message) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection: ${message}`);
}

const track = (name) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const stats = (uf, site, key) => uf.get(`${site}/track/${key}`).json();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** The status of a response whose body is read (an unread body keeps its slot). */
const statusOf = async (promise) => {
  const response = await promise;
  await response.arrayBuffer();
  return response.status;
};

export const cases = {
  async 'uf(url), uf.get/post/put/patch/delete/head and the body shortcuts'({ default: uf }, { site }) {
    equal((await uf(`${site}/get`)).status, 200, 'uf(url)');
    for (const method of ['post', 'put', 'patch', 'delete']) {
      const echo = await uf[method](`${site}/anything`, { body: `${method} body` }).json();
      equal([echo.method, echo.data], [method.toUpperCase(), `${method} body`], method);
    }
    equal((await uf.head(`${site}/get`)).status, 200, 'head');
    const echo = await uf.get(`${site}/get`, { searchParams: { q: 'ü' } }).json();
    equal(echo.args.q, 'ü', 'searchParams');
    equal(echo.headers.Accept, 'application/json', '.json() asks for JSON as ky does');
    check((await uf.get(`${site}/encoding/utf-8`).text()).length > 0, '.text()');
    equal((await uf.get(`${site}/bytes/100`).arrayBuffer()).byteLength, 100, '.arrayBuffer()');
    equal((await uf.get(`${site}/bytes/100`).bytes()).length, 100, '.bytes()');
    const head = await uf.head(`${site}/gzip`);
    equal([head.status, (await head.bytes()).length], [200, 0], 'HEAD of a compressed resource');
    const gzip = await uf.get(`${site}/gzip`).json();
    check(gzip.gzipped === true, 'a gzip body, decoded');
    check(
      (await rejection(Promise.resolve().then(() => uf(new Request(`${site}/get`))), 'Request')) instanceof TypeError,
      'a Request as input is refused',
    );
    const blob = await uf.get(`${site}/encoding/utf-8`).blob();
    check(blob instanceof Blob && blob.type.startsWith('text/plain'), `.blob() of type ${blob.type}`);
  },

  async 'create and extend make instances; extend merges headers and hooks'({ default: uf }, { site }) {
    const api = uf.create({ prefixUrl: site, headers: { 'x-one': '1' } });
    const seen = [];
    const more = api.extend({
      headers: { 'x-two': '2' },
      hooks: { beforeRequest: [() => void seen.push('extended')] },
    });
    const echo = await more.get('get').json();
    equal([echo.headers['X-One'], echo.headers['X-Two']], ['1', '2'], 'merged headers');
    equal(seen, ['extended'], 'the hook ran');
    const replaced = api.extend((parent) => ({ headers: { ...parent.headers, 'x-one': 'one' } }));
    equal((await replaced.get('get').json()).headers['X-One'], 'one', 'extend with a function');
  },

  async "responses have fetch's members"({ default: uf }, { site }) {
    const response = await uf.get(`${site}/redirect/1`);
    check(response.ok && response.status === 200 && response.statusText === 'OK', 'status');
    check(response.redirected && response.url.endsWith('/get'), `redirected to ${response.url}`);
    check(response.headers instanceof Headers, 'headers is a Headers');
    check(response.headers.get('content-type').startsWith('application/json'), 'content-type');
    check(response.body instanceof ReadableStream && !response.bodyUsed, 'body is an unread stream');
    const copy = response.clone();
    const [a, b] = await Promise.all([response.json(), copy.json()]);
    check(a.url === b.url && response.bodyUsed, 'clone() gives the same body twice');
    const reader = (await uf.get(`${site}/bytes/1000`)).body.getReader();
    let read = 0;
    for (let next = await reader.read(); !next.done; next = await reader.read()) read += next.value.length;
    equal(read, 1000, 'the body stream');
  },

  async 'no stall: twenty 404s with limit 2, then a success'({ default: uf }, { site }) {
    const api = uf.create({ prefixUrl: site, limit: 2, retry: 0, timeout: 10_000 });
    for (let i = 0; i < 20; i += 1) {
      const error = await rejection(api.get('status/404'), '404');
      check(error instanceof Error && error.name === 'HTTPError' && error.response.status === 404, 'an HTTPError');
    }
    const errors = await Promise.all(Array.from({ length: 20 }, () => api.get('status/404').catch((e) => e)));
    check(errors.every((e) => e.response.status === 404), 'twenty at once');
    equal(await statusOf(api.get('get')), 200, 'the next request gets a slot');
    const error = await rejection(api.get('status/418'), '418');
    equal(typeof (await error.response.text()), 'string', "the error's response is readable");
  },

  async 'cancel, dispose and leaving a loop free the slot at once'({ default: uf }, { site }) {
    const api = uf.create({ prefixUrl: site, limit: 1, timeout: 5000 });
    const cancelled = await api.get('stream-bytes/10000000');
    await cancelled.body.cancel();
    equal(await statusOf(api.get('get')), 200, 'after body.cancel()');
    const disposed = await api.get('stream-bytes/10000000');
    await disposed[Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]();
    equal(await statusOf(api.get('get')), 200, 'after asyncDispose');
    for await (const chunk of (await api.get('stream-bytes/10000000')).chunks()) {
      check(chunk.length > 0, 'a chunk');
      break;
    }
    equal(await statusOf(api.get('get')), 200, 'after leaving a for await');
    const stalled = await api.get('fault/stall-body', { searchParams: { bytes: 10, seconds: 30 } });
    const reader = stalled.body.getReader();
    await reader.read();
    const pending = reader.read(); // waits on the stalled body
    await reader.cancel();
    await pending.catch(() => {});
    equal(await statusOf(api.get('get')), 200, 'after cancelling with a read in flight');
  },

  async 'signal rejects at once with its reason in every phase'({ default: uf }, { site }) {
    const aborted = (ms, reason) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), ms);
      return controller.signal;
    };
    const isAbort = (error) => error?.name === 'AbortError';
    const api = uf.create({ prefixUrl: site, limit: 1, timeout: 20_000 });
    const started = Date.now();
    check(isAbort(await rejection(api.get('delay/5', { signal: aborted(100) }), 'request')), 'request phase');
    const holder = await api.get('stream-bytes/10000000');
    check(isAbort(await rejection(api.get('get', { signal: aborted(100) }), 'slot')), 'waiting for a slot');
    await holder.body.cancel();
    const retry = { limit: 3, delay: 5000, statusCodes: [503] };
    const id = track('abort-retry');
    check(isAbort(await rejection(api.get(`flaky/5?id=${id}`, { retry, signal: aborted(300) }), 'retry')), 'retry delay');
    const body = await api.get('drip?duration=5&numbytes=5', { signal: aborted(200) });
    check(isAbort(await rejection(body.text(), 'body')), 'reading the body');
    check(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    const reason = new Error('custom reason');
    equal(await rejection(api.get('delay/5', { signal: aborted(50, reason) }), 'reason'), reason, "the signal's own reason");
    check(isAbort(await rejection(api.get('get', { signal: AbortSignal.abort() }), 'aborted')), 'an aborted signal');
    const instance = api.extend({ signal: AbortSignal.abort() });
    check(isAbort(await rejection(instance.get('get'), 'instance')), "the instance's signal");
    equal(await statusOf(api.get('get')), 200, 'the slot is free after all that');
  },

  async 'hooks run in order with their return rules'({ default: uf, stop }, { site }) {
    const order = [];
    const api = uf.create({
      prefixUrl: site,
      retry: { limit: 2, delay: 10 },
      hooks: { beforeRequest: [() => void order.push('instance beforeRequest')] },
    });
    const echo = await api
      .get('get', {
        hooks: {
          beforeRequest: [
            (request, options, { retryCount }) => {
              order.push(`beforeRequest ${retryCount}`);
              request.headers.set('x-hooked', 'yes');
            },
          ],
          afterResponse: [
            async (request, options, response) => {
              order.push(`afterResponse ${response.status} ${request.method}`);
              equal((await response.json()).headers['X-Hooked'], 'yes', 'the hook reads a clone');
            },
          ],
        },
      })
      .json();
    equal(echo.headers['X-Hooked'], 'yes', 'the changed request was sent');
    equal(order, ['instance beforeRequest', 'beforeRequest 0', 'afterResponse 200 GET'], 'order');

    const answered = await api.get('status/500', {
      hooks: { beforeRequest: [() => new Response('from the hook', { status: 201 })] },
    });
    equal([answered.status, await answered.text()], [201, 'from the hook'], 'beforeRequest may answer');

    const replaced = await api.get('status/404', {
      hooks: { afterResponse: [() => new Response('{"replaced":true}', { status: 200 })] },
    }).json();
    equal(replaced, { replaced: true }, 'afterResponse may replace the response');

    const retries = [];
    const id = track('hooks-retry');
    const stopped = await rejection(
      api.get(`flaky/5?id=${id}&track=${id}`, {
        hooks: {
          beforeRetry: [
            ({ request, error, retryCount }) => {
              retries.push([retryCount, error.name, error.response?.status, request.method]);
              return retryCount >= 1 ? stop : undefined;
            },
          ],
        },
      }),
      'stopped',
    );
    equal(retries, [[1, 'HTTPError', 503, 'GET']], 'beforeRetry heard the retry');
    equal([stopped.name, stopped.response.status], ['HTTPError', 503], 'stop: the last failure stands');
    equal((await stats(uf, site, id)).requests, 1, 'no request after stop');

    const rethrown = await rejection(
      api.get('status/404', {
        hooks: {
          beforeError: [
            (error) => {
              error.message = `decorated: ${error.message}`;
              return error;
            },
          ],
        },
      }),
      'beforeError',
    );
    check(rethrown.message.startsWith('decorated: '), 'beforeError returns the error thrown');
    const started = Date.now();
    const events = [];
    const streaming = await uf.get(`${site}/drip?duration=2&numbytes=4`, {
      hooks: { afterResponse: [() => undefined] },
      onDownloadProgress: (progress) => events.push(progress.percent),
    });
    check(Date.now() - started < 1500, `afterResponse left the body streaming (${Date.now() - started} ms to the head)`);
    equal([await streaming.text(), events[0], events.at(-1)], ['****', 0, 1], 'the body and its progress');
    equal(events.filter((percent) => percent === 0).length, 1, 'progress reported once');

    const thrown = new Error('from a hook');
    const failed = await rejection(api.get('get', { hooks: { beforeRequest: [() => Promise.reject(thrown)] } }), 'throw');
    equal(failed, thrown, 'a hook that throws rejects with what it threw');
  },

  async 'onDownloadProgress reports a 64 KiB body'({ default: uf }, { site }) {
    const events = [];
    let bytes = 0;
    const body = await uf
      .get(`${site}/bytes/65536`, {
        onDownloadProgress: (progress, chunk) => {
          events.push(progress);
          bytes += chunk.length;
        },
      })
      .bytes();
    equal(body.length, 65536, 'the body');
    equal(events[0], { percent: 0, transferredBytes: 0, totalBytes: 65536 }, 'the first event');
    equal(events.at(-1), { percent: 1, transferredBytes: 65536, totalBytes: 65536 }, 'the last event');
    equal(bytes, 65536, 'the chunks add up');
    const uploads = [];
    await uf.post(`${site}/post`, { body: 'x'.repeat(1000), onUploadProgress: (progress) => uploads.push(progress.percent) });
    equal(uploads, [0, 1], 'onUploadProgress: start and end');
  },

  async "ky's retry options"({ default: uf }, { site }) {
    const api = uf.create({ prefixUrl: site });
    const id = track('retry-post');
    const post = await api.post(`flaky/1?id=${id}`, { retry: { limit: 1, methods: ['post'], delay: 10 } });
    equal(post.status, 200, 'POST retried when methods lists it');
    const statusId = track('retry-status');
    const error = await rejection(api.get(`flaky/1?id=${statusId}&track=${statusId}&status=500`, { retry: { limit: 2, statusCodes: [503] } }), '500');
    equal([error.response.status, (await stats(uf, site, statusId)).requests], [500, 1], 'statusCodes');
    const waitId = track('retry-after');
    const started = Date.now();
    equal((await api.get(`retry-after/1?id=${waitId}`, { retry: 1 })).status, 200, '429 then 200');
    check(Date.now() - started >= 900, `Retry-After honoured (${Date.now() - started} ms)`);
    const delayedId = track('retry-delay');
    const asked = [];
    const slow = Date.now();
    const delay = (attemptCount) => (asked.push(attemptCount), 200 * attemptCount);
    equal(await statusOf(api.get(`flaky/2?id=${delayedId}`, { retry: { limit: 2, delay, jitter: false } })), 200, 'retried');
    equal(asked, [1, 2], "ky's delay function is asked with the attempt count");
    check(Date.now() - slow >= 550, `waited 200 + 400 ms (${Date.now() - slow} ms)`);
    const ignoredId = track('retry-after-ignored');
    const quick = Date.now();
    await api.get(`retry-after/1?id=${ignoredId}`, { retry: { limit: 1, afterStatusCodes: [], delay: 10 } });
    check(Date.now() - quick < 900, `afterStatusCodes: [] ignores Retry-After (${Date.now() - quick} ms)`);
  },

  async 'ky-compatible bodies and JSON'({ default: uf }, { site }) {
    const typed = await uf.post(`${site}/post`, { json: { a: 1 }, headers: { 'content-type': 'application/vnd.api+json' } }).json();
    equal(typed.headers['Content-Type'], 'application/vnd.api+json', "exactly the user's content type");
    equal(typed.json, { a: 1 }, 'the JSON body');
    equal(await uf.get(`${site}/status/204`).json(), '', '.json() of a 204');
    equal(await uf.get(`${site}/bytes/0`).json(), '', '.json() of an empty body');
    const parsed = await uf.get(`${site}/get`, { parseJson: (text) => ({ length: text.length }) }).json();
    check(parsed.length > 10, 'parseJson');
    const sent = await uf.post(`${site}/post`, { json: { a: 1 }, stringifyJson: () => '{"b":2}' }).json();
    equal(sent.json, { b: 2 }, 'stringifyJson');
  },

  async 'unifetch/crawl: leaving the loop or aborting ends the crawl'(lib, { site, crawlModule }) {
    const { crawl } = await import(crawlModule);
    const run = crawl([`${site}/web/2000x20/`], { concurrency: 4, session: { retry: 0 } });
    let pages = 0;
    for await (const page of run) {
      check(page.url, 'a page record');
      pages += 1;
      if (pages === 5) break;
    }
    const after = run.progress();
    await sleep(300);
    equal(run.progress().pages, after.pages, 'no page after break');
    equal(await run.next(), { done: true, value: undefined }, 'next() after break is done');
    const controller = new AbortController();
    const aborted = crawl([`${site}/web/2000x20/`], { concurrency: 4, signal: controller.signal });
    const seen = [];
    const error = await rejection(
      (async () => {
        for await (const page of aborted) {
          seen.push(page);
          if (seen.length === 3) controller.abort();
        }
      })(),
      'crawl abort',
    );
    equal(error.name, 'AbortError', 'the loop rejects with the reason');
  },
};
