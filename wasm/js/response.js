// The response class: fetch's `Response` members over the core's response,
// plus `chunks()`, charset-aware `text()` and `Symbol.asyncDispose`.
//
// A response holds its connection and its `limit` slot until its body is
// read, cancelled (`body.cancel()`), disposed (`await using`) or left in a
// `for await` loop; an `HTTPError`'s response is read before it is thrown.
import { HTTPError } from './errors.js';

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

/** The response class over `core`, a loaded build of the WebAssembly core. */
export function responseClass(core) {
  const { CoreResponse, decodeBody } = core;

  /** A response whose head has arrived; its body is read on demand, once. */
  class UnifetchResponse {
    /** The core's response while the body comes from it. */
    #core;
    /** The body as a stream, once asked for (or after `clone()`). */
    #stream;
    #head;
    #headers;
    #used = false;
    #options;

    /** @internal — made by unifetch from a core response. */
    constructor(core, options = {}, head = undefined, stream = undefined) {
      this.#core = core;
      this.#options = options;
      this.#head = head;
      this.#stream = stream;
    }

    /** The HTTP status. */
    get status() {
      return this.#head?.status ?? this.#core.status;
    }

    /** The status's reason phrase (`"Not Found"`). */
    get statusText() {
      return this.#head?.statusText ?? this.#core.statusText;
    }

    /** Whether the status is 2xx. */
    get ok() {
      const status = this.status;
      return status >= 200 && status < 300;
    }

    /** The final URL, after redirects. */
    get url() {
      return this.#head?.url ?? this.#core.url;
    }

    /** Whether a redirect was followed. */
    get redirected() {
      return this.#head?.redirected ?? this.#core.redirected;
    }

    /** Always `'basic'`: the response as the server sent it. */
    get type() {
      return 'basic';
    }

    /** The response headers, as a `Headers`. */
    get headers() {
      if (!this.#headers) {
        const list = this.#head?.headerList ?? this.#core.headerList();
        const headers = new Headers();
        for (let i = 0; i < list.length; i += 2) headers.append(list[i], list[i + 1]);
        this.#headers = headers;
      }
      return this.#headers;
    }

    /** Whether the body has been read (or its stream disturbed). */
    get bodyUsed() {
      return this.#used;
    }

    /** The body as a `ReadableStream` of `Uint8Array` chunks. */
    get body() {
      if (!this.#stream) {
        const core = this.#core;
        const progress = this.#progress();
        this.#stream = new ReadableStream(
          {
            start: () => progress?.start(),
            pull: async (controller) => {
              this.#used = true;
              const chunk = await core.next();
              if (chunk === undefined) {
                progress?.end();
                controller.close();
              } else {
                progress?.chunk(chunk);
                controller.enqueue(chunk);
              }
            },
            cancel: () => {
              this.#used = true;
              core.release();
            },
          },
          { highWaterMark: 0 },
        );
      }
      return this.#stream;
    }

    /** The body as a `Uint8Array`. */
    async bytes() {
      if (this.#stream || this.#options.onDownloadProgress) return new Uint8Array(await this.#fromStream().arrayBuffer());
      this.#use();
      return this.#core.bytes();
    }

    /** The body as an `ArrayBuffer`. */
    async arrayBuffer() {
      const bytes = await this.bytes();
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? bytes.buffer
        : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }

    /** The body as text: a byte-order mark, else the `charset` of `Content-Type`, else UTF-8. */
    async text() {
      if (this.#stream || this.#options.onDownloadProgress) {
        return decodeBody(this.headers.get('content-type') ?? undefined, await this.bytes());
      }
      this.#use();
      return this.#core.text();
    }

    /** The body parsed as JSON (with `parseJson` if given); `''` for a 204 or an empty body, as ky. */
    async json() {
      const text = await this.text();
      if (this.status === 204 || text === '') return '';
      return (this.#options.parseJson ?? JSON.parse)(text);
    }

    /** The body as a `Blob` of the response's type. */
    async blob() {
      return new Blob([await this.bytes()], { type: this.headers.get('content-type') ?? '' });
    }

    /** The body parsed as a form (`multipart/form-data` or urlencoded). */
    async formData() {
      return new Response(await this.bytes(), { headers: this.headers }).formData();
    }

    /** The body as an async iterator of `Uint8Array` chunks; leaving the loop releases it. */
    chunks() {
      const reader = this.body.getReader();
      return {
        next: async () => {
          const { done, value } = await reader.read();
          return done ? { done: true, value: undefined } : { done: false, value };
        },
        return: async () => {
          await reader.cancel();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    }

    /** A second response with the same head whose body is a copy (the stream is teed). */
    clone() {
      if (this.#used) throw new TypeError('Response.clone: the body was already read');
      const [mine, theirs] = this.body.tee();
      this.#stream = mine;
      return new UnifetchResponse(this.#core, this.#options, this.#snapshot(), theirs);
    }

    /** Throws an `HTTPError` unless the status is 2xx; returns the response. */
    raiseForStatus() {
      if (!this.ok) throw new HTTPError(this);
      return this;
    }

    /** Releases the body unread: its connection and `limit` slot are free at once. */
    async [asyncDispose]() {
      if (this.#stream) await this.#stream.cancel().catch(() => {});
      else this.#core.release();
    }

    /** @internal — a token that hands this response back to the core (see hooks). */
    handOff() {
      if (!this.#stream && !this.#used && !this.#head) return this.#core.detach();
      return handOffForeign(this);
    }

    /** The head, kept for a clone (the core's may be handed off later). */
    #snapshot() {
      return (this.#head ??= {
        status: this.status,
        statusText: this.statusText,
        url: this.url,
        redirected: this.redirected,
        headerList: this.#core.headerList(),
      });
    }

    /** The body read whole through the stream (reporting progress). */
    #fromStream() {
      if (this.#used && !this.#stream) throw new TypeError('the body was already read');
      const body = this.body;
      this.#used = true;
      return new Response(body);
    }

    #use() {
      if (this.#used) throw new TypeError('the body was already read');
      this.#used = true;
    }

    /** ky's `onDownloadProgress`: called at the start, on each chunk and at the end. */
    #progress() {
      const report = this.#options.onDownloadProgress;
      if (!report) return undefined;
      const totalBytes = this.#core.contentLength ?? 0;
      let transferredBytes = 0;
      return {
        start: () => report({ percent: 0, transferredBytes: 0, totalBytes }, new Uint8Array()),
        chunk: (chunk) => {
          transferredBytes += chunk.byteLength;
          const percent = totalBytes === 0 ? 0 : Math.min(transferredBytes / totalBytes, 1);
          report({ percent, transferredBytes, totalBytes }, chunk);
        },
        end: () => {
          const total = Math.max(totalBytes, transferredBytes);
          report({ percent: 1, transferredBytes, totalBytes: total }, new Uint8Array());
        },
      };
    }
  }

  /** A token for any fetch-like response, for the core (its body streams on). */
  function handOffForeign(response) {
    const pairs = [];
    for (const [name, value] of response.headers) pairs.push(name, value);
    return CoreResponse.fromStream(response.status, pairs, response.body, response.url ?? '').detach();
  }

  return { UnifetchResponse, handOffForeign };
}
