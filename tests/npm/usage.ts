// Compiled with `tsc --noEmit --strict` against the packed package's
// hand-written types: a wrong option or result type fails the test.
import { Crawl, HTTPError, PageRecord, Response, Session, SessionOptions, TimeoutError, crawl } from 'unifetch';

const options: SessionOptions = {
  prefixUrl: 'http://127.0.0.1:8080',
  headers: { 'User-Agent': 'types' },
  timeout: { total: 5000, sockRead: 1000 },
  retry: { limit: 2, methods: ['get', 'post'], statusCodes: [503], delay: 100 },
  limit: 10,
  limitPerHost: 2,
  redirect: 'manual',
  cookies: true,
};

export async function use(): Promise<number> {
  const session = new Session(options);
  const response: Response = await session.get('get', { searchParams: { q: 'x', n: 1 }, timeout: 1000 });
  const body = await response.json<{ args: Record<string, string> }>();
  const text: string = await (await session.post('post', { json: { a: 1 } })).text();
  for await (const chunk of response.chunks()) {
    const bytes: Uint8Array = chunk;
    void bytes;
  }
  try {
    await session.delete('status/404', { retry: 0 });
  } catch (error) {
    if (error instanceof HTTPError) return error.response.status;
    if (error instanceof TimeoutError) return error.timeout === 'total' ? 1 : 2;
  }
  const run: Crawl = crawl(['http://127.0.0.1:8080/web/10/'], { concurrency: 2, deny: ['*/private/*'] });
  for await (const page of run) {
    const record: PageRecord = page;
    if (record.error !== null) run.stop();
  }
  return Object.keys(body.args).length + text.length + run.progress().pages;
}
