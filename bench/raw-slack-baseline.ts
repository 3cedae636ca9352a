/**
 * The least a service on the Slack DM path has to do, as a yardstick for `npm run bench:slack`:
 * a node:http server that verifies Slack's signature (node:crypto), parses the JSON, adds one
 * BullMQ job (with the same DEBOUNCE_MS delay the service's reply job has) and answers 200; and
 * one BullMQ Worker on the same Redis that posts chat.postMessage as the agent to the Slack Web
 * API with a plain keep-alive request. No database, no model, no typing signal, no dedupe.
 *
 * Run as its own process by the bench (`node --import tsx bench/raw-slack-baseline.ts`), configured
 * like the service: PORT, HOST, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, REDIS_URL,
 * AGENT_BRIDGE_QUEUE_PREFIX, DEBOUNCE_MS; BASELINE_CONCURRENCY [64]. GET /healthz and /readyz
 * answer 200; SIGTERM closes it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const port = Number(env('PORT'));
const host = env('HOST', '127.0.0.1');
const secret = env('SLACK_SIGNING_SECRET');
const token = env('SLACK_BOT_TOKEN');
const postUrl = new URL('chat.postMessage', env('SLACK_API_URL'));
const prefix = env('AGENT_BRIDGE_QUEUE_PREFIX', 'ab-raw');
const delay = Number(env('DEBOUNCE_MS', '0'));
const concurrency = Number(env('BASELINE_CONCURRENCY', '64'));
const agentName = env('BASELINE_AGENT_NAME', 'Aria');

interface ReplyJob {
  channel: string;
  text: string;
}

const connection = new Redis(env('REDIS_URL', 'redis://127.0.0.1:6379'), { maxRetriesPerRequest: null });
const queue = new Queue<ReplyJob>('replies', { connection, prefix });
const slackAgent = new Agent({ keepAlive: true, maxSockets: 128 });

function postMessage(channel: string, text: string): Promise<void> {
  const form = new URLSearchParams({ channel, text, username: agentName }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: postUrl.hostname,
        port: postUrl.port,
        path: postUrl.pathname,
        method: 'POST',
        agent: slackAgent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(form),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            ok?: boolean;
            error?: string;
          };
          if (answer.ok) resolve();
          else reject(new Error(`chat.postMessage: ${answer.error ?? res.statusCode}`));
        });
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

const worker = new Worker<ReplyJob>(
  'replies',
  async (job) => postMessage(job.data.channel, `You said: ${job.data.text}`),
  {
    connection: new Redis(env('REDIS_URL', 'redis://127.0.0.1:6379'), { maxRetriesPerRequest: null }),
    prefix,
    concurrency,
  },
);
worker.on('error', (error) => console.error('worker error', error));

function verified(req: IncomingMessage, raw: Buffer): boolean {
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  const signature = req.headers['x-slack-signature'];
  if (!Number.isFinite(timestamp) || typeof signature !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function onEvent(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
  if (!verified(req, raw)) return end(res, 401, 'invalid signature');
  const body = JSON.parse(raw.toString('utf8')) as {
    type?: string;
    challenge?: string;
    event?: { type?: string; channel?: string; text?: string; bot_id?: string; subtype?: string };
  };
  if (body.type === 'url_verification') return end(res, 200, body.challenge ?? '');
  const event = body.event;
  if (body.type === 'event_callback' && event?.type === 'message' && !event.bot_id && !event.subtype) {
    await queue.add(
      'reply',
      { channel: event.channel ?? '', text: event.text ?? '' },
      { delay, removeOnComplete: true, removeOnFail: 1000 },
    );
  }
  end(res, 200, '');
}

function end(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) return end(res, 200, 'ok');
  if (req.method !== 'POST' || req.url !== '/slack/events') return end(res, 404, 'not found');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    onEvent(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
      console.error('event failed', error);
      if (!res.headersSent) end(res, 500, 'error');
    });
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, host, () => console.log(`raw slack baseline listening on http://${host}:${port}`));

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void Promise.all([worker.close(), queue.close()]).finally(() => {
    connection.disconnect();
    slackAgent.destroy();
    process.exit(0);
  });
});
