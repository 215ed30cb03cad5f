// Compiled with `tsc --noEmit --strict` against the packed package's
// hand-written types: a wrong option or result type fails the test.
import uf, {
  Crawl,
  HTTPError,
  Instance,
  Options,
  PageRecord,
  Progress,
  Response,
  ResponsePromise,
  Session,
  SessionOptions,
  TimeoutError,
  stop,
} from 'unifetch';
import { crawl } from 'unifetch/crawl';

const options: SessionOptions = {
  prefixUrl: 'http://127.0.0.1:8080',
  headers: { 'User-Agent': 'types' },
  timeout: { total: 5000, sockRead: 1000 },
  retry: { limit: 2, methods: ['get', 'post'], statusCodes: [503], afterStatusCodes: [429], delay: (n) => 100 * n },
  limit: 10,
  limitPerHost: 2,
  redirect: 'manual',
  cookies: true,
  transport: 'node',
  throwHttpErrors: (status) => status >= 500,
};

export async function use(): Promise<number> {
  const api: Instance = uf.create(options);
  const extended: Instance = api.extend((parent: Options) => ({ ...parent, timeout: false }));
  const controller = new AbortController();
  const pending: ResponsePromise = extended.get('get', {
    searchParams: { q: 'x', n: 1 },
    signal: controller.signal,
    onDownloadProgress: (progress: Progress, chunk: Uint8Array) => void [progress.percent, chunk.length],
    hooks: {
      beforeRequest: [(request, _options, { retryCount }) => void request.headers.set('x-retry', String(retryCount))],
      afterResponse: [(_request, _options, response) => (response.ok ? undefined : new globalThis.Response('{}'))],
      beforeRetry: [({ retryCount }) => (retryCount > 1 ? stop : undefined)],
      beforeError: [(error) => error],
    },
  });
  const body = await pending.json<{ args: Record<string, string> }>();
  const response: Response = await uf('http://127.0.0.1:8080/get', { method: 'post', json: { a: 1 } });
  const stream: ReadableStream<Uint8Array> = response.clone().body;
  const text: string = await response.text();
  await using unread = await uf.get('http://127.0.0.1:8080/bytes/10');
  const session = new Session(options);
  for await (const chunk of (await session.get('stream-bytes/100')).chunks()) {
    const bytes: Uint8Array = chunk;
    void bytes;
  }
  try {
    await session.delete('status/404', { retry: 0 });
  } catch (error) {
    if (error instanceof HTTPError) return error.response.status + (await error.response.text()).length;
    if (error instanceof TimeoutError) return error.timeout === 'total' ? 1 : 2;
  }
  const run: Crawl = crawl(['http://127.0.0.1:8080/web/10/'], { concurrency: 2, deny: ['*/private/*'], signal: controller.signal });
  for await (const page of run) {
    const record: PageRecord = page;
    if (record.error !== null) break;
  }
  void [stream, unread.status];
  return Object.keys(body.args).length + text.length + run.progress().pages;
}
