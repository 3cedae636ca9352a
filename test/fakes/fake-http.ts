/**
 * Plumbing shared by the fake provider servers: a loopback HTTP server, a script of responses
 * with a default, a request log that tests can wait on, and helpers that survive a client that
 * hangs up mid-delay.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StepOrFactory<Req, Step> = Step | ((request: Req) => Step);

/** Scripted answers: queued steps are used once each, in order; then the default answers. */
export class ResponseScript<Req, Step> {
  private queue: Step[] = [];
  private fallback: StepOrFactory<Req, Step>;
  private readonly initialFallback: StepOrFactory<Req, Step>;

  constructor(fallback: StepOrFactory<Req, Step>) {
    this.fallback = fallback;
    this.initialFallback = fallback;
  }

  enqueue(...steps: Step[]): void {
    this.queue.push(...steps);
  }

  /** Replaces whatever is still queued. */
  setScript(steps: Step[]): void {
    this.queue = [...steps];
  }

  setDefault(step: StepOrFactory<Req, Step>): void {
    this.fallback = step;
  }

  get pending(): number {
    return this.queue.length;
  }

  next(request: Req): Step {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    return typeof this.fallback === 'function'
      ? (this.fallback as (request: Req) => Step)(request)
      : this.fallback;
  }

  reset(): void {
    this.queue = [];
    this.fallback = this.initialFallback;
  }
}

/** Every request the fake received, in arrival order; tests wait on a count instead of sleeping. */
export class RequestLog<Req> {
  readonly items: Req[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  push(request: Req): void {
    this.items.push(request);
    for (const waiter of this.waiters.filter((w) => this.items.length >= w.count)) waiter.resolve();
    this.waiters = this.waiters.filter((w) => this.items.length < w.count);
  }

  async waitFor(count: number, timeoutMs = 5_000): Promise<Req[]> {
    if (this.items.length >= count) return this.items.slice(0, count);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`expected ${count} request(s) within ${timeoutMs} ms, got ${this.items.length}`));
      }, timeoutMs);
      const waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
    return this.items.slice(0, count);
  }

  clear(): void {
    this.items.length = 0;
  }
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export async function startLoopbackServer(handler: RequestHandler): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendJson(response, 500, { fakeServerError: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Also ends delayed answers and keep-alive sockets, so close never waits on a client.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export async function readRawBody(request: IncomingMessage): Promise<string> {
  return (await readRawBytes(request)).toString('utf8');
}

/** The request body as bytes (uploads, multipart forms). */
export async function readRawBytes(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(JSON.stringify(body));
}

export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

/** Waits `ms`; resolves false (and stops waiting) if the client hangs up first. */
export function waitUnlessClientGone(response: ServerResponse, ms: number | undefined): Promise<boolean> {
  if (!ms || ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(!response.destroyed);
    }, ms);
    response.once('close', onClose);
  });
}

/** Simulates a dropped connection: no HTTP answer at all. */
export function hangUp(response: ServerResponse): void {
  response.socket?.destroy();
}

/** Deterministic token estimate (~4 characters per token). */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits a reply into `count` roughly equal stream chunks. */
export function splitText(text: string, count: number): string[] {
  if (text === '') return [''];
  const size = Math.ceil(text.length / count);
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += size) chunks.push(text.slice(at, at + size));
  return chunks;
}

/**
 * What a fake model server answers next: text (in chunks when streamed), an error in the API's own
 * shape (`message` overrides its default text), or a dropped connection.
 */
export type FakeModelStep =
  | { text: string | string[]; delayMs?: number }
  | { status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  | { disconnect: true; delayMs?: number };

/** A fake model API on 127.0.0.1: its base URL, what it was asked, and what it answers next. */
export interface FakeModelServer<Req, Step = FakeModelStep> {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  readonly requests: Req[];
  enqueue(...steps: Step[]): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<Req[]>;
  reset(): void;
  close(): Promise<void>;
}
