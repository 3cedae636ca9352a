/**
 * A lean `fetch` for the Slack WebClient (its documented `fetch` option): undici's request() over
 * one keep-alive Agent instead of the WHATWG fetch machinery, which costs about twice the CPU per
 * Web API call (Request/Response/Headers objects, web streams). It does what WebClient asks of a
 * fetch and no more:
 * - method, headers and body (a form string, or FormData for file uploads) go out as given;
 * - `signal` aborts the request, body included (WebClient's `timeout` is an AbortSignal.timeout);
 * - redirects are never followed (WebClient always asks `redirect: 'error'`; a 3xx is just a
 *   non-200 answer, which WebClient turns into an error);
 * - the answer is read whole before it is returned (Slack answers are small, and a 429 whose
 *   body WebClient never reads must not hold its connection): `status`, `statusText`, `ok`, `url`,
 *   `headers.get/entries`, `text()`, `arrayBuffer()`, `json()`;
 * - no Accept-Encoding is sent; should a proxy compress anyway, gzip/deflate/br bodies are
 *   decoded like fetch would.
 */
import { STATUS_CODES } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { webApi } from '@slack/bolt';
import { Agent, type Dispatcher, request } from 'undici';

type FetchResponse = Awaited<ReturnType<webApi.FetchFunction>>;
type FetchInit = NonNullable<Parameters<webApi.FetchFunction>[1]>;
type RawHeaders = Dispatcher.ResponseData['headers'];

export interface SlackFetchOptions {
  /** Idle keep-alive sockets close after this unless the server says sooner [10000]. */
  keepAliveTimeoutMs?: number;
  /** TCP + TLS connect limit [10000]. */
  connectTimeoutMs?: number;
}

export interface SlackFetch {
  /** Give to every WebClient: `new WebClient(token, { fetch: slackFetch.fetch })`. */
  fetch: webApi.FetchFunction;
  /**
   * Closes the pooled connections once requests in flight end (at most `graceMs` [2000], then
   * they are cut); a later call opens new ones.
   */
  close(graceMs?: number): Promise<void>;
}

const decoders: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/** One Agent and the requests running on it (close() waits for them, then cuts what is left). */
interface Pool {
  agent: Agent;
  inFlight: number;
  drained?: () => void;
}

export function createSlackFetch(options: SlackFetchOptions = {}): SlackFetch {
  let pool: Pool | undefined;
  const current = (): Pool => {
    pool ??= {
      agent: new Agent({
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
        connect: { timeout: options.connectTimeoutMs ?? 10_000 },
      }),
      inFlight: 0,
    };
    return pool;
  };

  async function slackFetch(input: string | URL, init: FetchInit = {}): Promise<FetchResponse> {
    const url = String(input);
    const used = current();
    used.inFlight += 1;
    try {
      const answer = await request(url, {
        dispatcher: used.agent,
        method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
        ...(init.headers && { headers: init.headers }),
        body: init.body ?? null,
        ...(init.signal && { signal: init.signal }),
      });
      let bytes: Buffer = Buffer.from(await answer.body.arrayBuffer());
      const encoding = header(answer.headers, 'content-encoding')?.trim().toLowerCase();
      const decode = encoding ? decoders[encoding] : undefined;
      if (decode && bytes.length > 0) bytes = await decode(bytes);
      return new LeanResponse(url, answer.statusCode, answer.headers, bytes);
    } finally {
      used.inFlight -= 1;
      if (used.inFlight === 0) used.drained?.();
    }
  }

  return {
    fetch: slackFetch,
    async close(graceMs = 2000) {
      const closing = pool;
      pool = undefined;
      if (!closing) return;
      if (closing.inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          closing.drained = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      // destroy(), not close(): undici's close() would leave a request that never ends pending.
      await closing.agent.destroy();
    },
  };
}

class LeanResponse implements FetchResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: LeanHeaders;

  constructor(
    readonly url: string,
    readonly status: number,
    headers: RawHeaders,
    private readonly bytes: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
    this.headers = new LeanHeaders(headers);
  }

  async text(): Promise<string> {
    return this.bytes.toString('utf8');
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.bytes;
    return buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.bytes.toString('utf8'));
  }
}

/** Read-only, case-insensitive, repeated headers joined with ", " (as Headers does). */
class LeanHeaders {
  constructor(private readonly raw: RawHeaders) {}

  get(name: string): string | null {
    return header(this.raw, name) ?? null;
  }

  has(name: string): boolean {
    return header(this.raw, name) !== undefined;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of Object.entries(this.raw)) {
      if (value !== undefined) yield [name, Array.isArray(value) ? value.join(', ') : value];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

function header(raw: RawHeaders, name: string): string | undefined {
  const value = raw[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
