// The JavaScript side of the Node transport (node/mod.rs binds it):
// one exchange over node:http or node:https, decoded with node:zlib.

import { headerPairs } from '../glue.js';

let loading;
export function nodeModules() {
  loading ??= Promise.all([import('node:http'), import('node:https'), import('node:zlib')]).then(
    ([http, https, zlib]) => ({ http, https, zlib }),
  );
  return loading;
}

export function nodeAgents(modules) {
  return {
    http: new modules.http.Agent({ keepAlive: true }),
    https: new modules.https.Agent({ keepAlive: true }),
  };
}

const DECODERS = { gzip: 'createGunzip', 'x-gzip': 'createGunzip', deflate: 'createInflate', br: 'createBrotliDecompress', zstd: 'createZstdDecompress' };

export function acceptedEncodings(modules) {
  return modules.zlib.createZstdDecompress ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br';
}

function failure(error, phase, code) {
  const failed = error instanceof Error ? error : new Error(String(error));
  failed.ufPhase ??= phase;
  if (code) failed.ufCode ??= code;
  return failed;
}

export class NodeExchange {
  constructor(modules, agents, url, method, headerBlock, body, decompress, wholeUpTo, connectMs, sockConnectMs) {
    this.done = false;
    this.phase = 'connect';
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const headers = {};
    for (const [name, value] of headerPairs(headerBlock)) {
      const known = headers[name];
      headers[name] = known === undefined ? value : [].concat(known, value);
    }
    this.response = new Promise((resolve, reject) => {
      this.reject = reject;
      const options = { method, headers, agent: secure ? agents.https : agents.http };
      const request = (secure ? modules.https : modules.http).request(target, options, (response) =>
        this.#received(modules, response, decompress && method !== 'HEAD', wholeUpTo, resolve, reject),
      );
      this.request = request;
      request.on('error', (error) => this.#fail(failure(error, this.#phaseOf(error))));
      this.#guardConnect(request, secure, connectMs, sockConnectMs);
      request.end(body);
    });
  }

  /** The phase of a request error: a reset of a reused keep-alive socket is
   *  the server closing it while idle, a connect failure (retried). */
  #phaseOf(error) {
    if (this.phase !== 'body' && this.request?.reusedSocket && error?.code === 'ECONNRESET') return 'connect';
    if (error?.code === 'ENOTFOUND' || error?.code === 'EAI_AGAIN') return 'dns';
    return this.phase;
  }

  #guardConnect(request, secure, connectMs, sockConnectMs) {
    const timers = [];
    const clear = () => timers.forEach(clearTimeout);
    const expire = (ms, code) => {
      if (ms >= 0) timers.push(setTimeout(() => request.destroy(failure(new Error(code), this.phase, code)), ms));
    };
    request.once('close', clear);
    expire(connectMs, 'connect');
    request.once('socket', (socket) => {
      const connected = () => {
        this.phase = 'headers';
        clear();
      };
      if (!socket.connecting && (!secure || socket.encrypted)) return connected();
      expire(sockConnectMs, 'sock_connect');
      if (secure) {
        socket.once('connect', () => (this.phase = 'tls'));
        socket.once('secureConnect', connected);
      } else {
        socket.once('connect', connected);
      }
    });
  }

  #received(modules, response, decompress, wholeUpTo, resolve, reject) {
    this.phase = 'body';
    this.status = response.statusCode;
    const raw = response.rawHeaders;
    let coding;
    let length;
    let block = '';
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (name === 'content-encoding') coding = raw[i + 1].trim().toLowerCase();
      if (name === 'content-length') length = Number(raw[i + 1]);
    }
    const bodiless = this.status === 204 || this.status === 304;
    const decoder = decompress && !bodiless && coding && DECODERS[coding] && modules.zlib[DECODERS[coding]];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (decoder && (name === 'content-encoding' || name === 'content-length')) continue;
      block += raw[i] + ':' + raw[i + 1] + '\n';
    }
    this.headerBlock = block;
    let stream = response;
    if (decoder) {
      stream = decoder.call(modules.zlib);
      response.on('error', (error) => stream.destroy(failure(error, 'body')));
      response.pipe(stream);
    }
    this.stream = stream;
    stream.on('end', () => (this.done = true));
    // Kept for the reader (an error before the first read must not go unheard).
    stream.on('error', (error) => (this.error ??= error));
    // A decoded body is read as it comes: its size is not its Content-Length.
    if (!decoder && length !== undefined && length <= wholeUpTo) {
      // Collected here; often complete before Rust looks (the parser ends
      // a small response in the same tick as its head).
      this.whole = new Promise((done, failed) => {
        const chunks = [];
        stream.on('data', (chunk) => chunks.push(chunk));
        stream.on('error', (error) => failed(failure(error, 'body')));
        stream.on('close', () => this.done || failed(failure(new Error('the connection closed before the body ended'), 'body')));
        stream.on('end', () => {
          this.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          done(this.body);
        });
      });
      this.whole.catch(() => {});
    } else {
      this.chunks = stream[Symbol.asyncIterator]();
      this.decoding = Boolean(decoder);
    }
    resolve();
  }

  #fail(error) {
    if (this.phase === 'body' && this.stream) this.stream.destroy(error);
    else this.reject(error);
  }

  /** The next chunk of a streamed body, `undefined` at its end. */
  read() {
    return this.chunks.next().then(
      (next) => (next.done ? undefined : next.value),
      (error) => {
        throw failure(error, 'body', this.decoding && !error.ufPhase ? 'decode' : undefined);
      },
    );
  }

  /** Ends the exchange early: the request and its socket are destroyed. */
  abort() {
    if (this.done) return;
    this.done = true;
    this.stream?.destroy();
    this.request?.destroy();
  }
}
