/**
 * `npm run bench:stream`: time to first visible token of streamed replies, measured from outside.
 *
 *   npm run bench:stream -- [--replies 60] [--concurrency 4] [--mode dm|thread|both]
 *
 * The service runs as `npm start` does, in a temp folder with a fresh SQLite file, against the fake
 * Slack Web API (with chat.startStream / appendStream / stopStream) and the real @ai-sdk/google
 * streaming from a fake Gemini that writes 50 tokens over 2 s (one token every 41 ms, each after a
 * space, as models write). Per reply: from the moment the fake Gemini writes the first token to
 * the moment the fake Slack receives the first call that shows text (chat.postMessage in a DM,
 * chat.startStream in a thread). The first token alone is not a whole word yet: what shows first
 * is the text up to the second token's space (see core/live-text.ts), so one token interval (41 ms)
 * is part of every figure. Goal: p99 under 300 ms. Also checks what a user sees at the end: one
 * message per reply, holding the whole answer.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type FakeGemini, type GeminiRequest, startFakeGemini } from '../test/fakes/gemini-server.ts';
import { type FakeSlackApi, type SlackCall, startFakeSlackApi } from '../test/fakes/slack-api.ts';
import {
  channelMessage,
  directMessage,
  eventCallback,
  postSigned,
  slashCommand,
} from '../test/fakes/slack-events.ts';
import buildIfStale from '../test/setup/build.ts';
import { ServiceProcess } from '../test/support/service-process.ts';
import { openServiceSandbox } from '../test/support/service-sandbox.ts';
import { TEST_SECRETS } from '../test/support/test-secrets.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { summarize } from './support.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? (argv[at + 1] ?? fallback) : fallback;
};
const REPLIES = Number(option('replies', '60'));
const CONCURRENCY = Number(option('concurrency', '4'));
const MODE = option('mode', 'both');
const TOKENS = 50;
const TOKEN_INTERVAL_MS = Math.round(2000 / (TOKENS - 1));
const ANSWER = Array.from({ length: TOKENS }, (_, i) => `${i === 0 ? '' : ' '}token${i + 1}`);
const SECRET = TEST_SECRETS.chaosSigningSecret;

interface Timing {
  firstToken?: number;
  firstVisible?: number;
}

async function main(): Promise<void> {
  await buildIfStale();
  const slack = await startFakeSlackApi();
  const gemini = await startFakeGemini();
  const sandbox = await openServiceSandbox('benchstream');
  const service = new ServiceProcess({
    cwd: sandbox.dir,
    env: {
      ...sandbox.env,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      GOOGLE_GENERATIVE_AI_API_KEY: gemini.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: gemini.baseURL,
      DEFAULT_MODEL: 'google:gemini-2.5-flash',
      DEBOUNCE_MS: '50',
      AGENT_RATE_LIMIT_PER_MIN: '0',
      AGENT_MAX_CONCURRENT: '100',
      LOG_LEVEL: 'warn',
    },
  });
  try {
    const timings = instrument(slack, gemini);
    service.start();
    await service.waitReady(60_000);
    await command(service, slack, 'create Bench role="streaming benchmark"', 'DBENCHADMIN');
    await command(service, slack, 'join Bench', 'CBENCH');
    const modes = MODE === 'both' ? ['dm', 'thread'] : [MODE];
    for (const mode of modes) {
      const ids = Array.from({ length: REPLIES }, (_, n) => `${mode}${n}`);
      let next = 0;
      const lane = async () => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          await sendAndWait(service, slack, mode, id);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      const ttft = ids.flatMap((id) => {
        const t = timings.get(id);
        return t?.firstToken !== undefined && t.firstVisible !== undefined
          ? [t.firstVisible - t.firstToken]
          : [];
      });
      const s = summarize(ttft);
      const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
      console.log(
        `${mode === 'dm' ? 'DM (post, then edits)' : 'thread (chat.startStream)'}: ${s.count} replies, ` +
          `time to first visible token p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)}, max ${fmt(s.max)} ` +
          `(${TOKENS} tokens over 2 s, ${CONCURRENCY} at once)`,
      );
    }
  } finally {
    await service.kill();
    await Promise.all([slack.close(), gemini.close()]);
    await sandbox.cleanup();
  }
}

/** Records, per benchmark message id, when the model's first token went out and when text showed. */
function instrument(slack: FakeSlackApi, gemini: FakeGemini): Map<string, Timing> {
  const timings = new Map<string, Timing>();
  const at = (id: string | undefined): Timing | undefined => {
    if (!id) return undefined;
    const timing = timings.get(id) ?? {};
    timings.set(id, timing);
    return timing;
  };
  gemini.setDefault((request: GeminiRequest) => {
    // The first chunk is written as soon as this step is returned (it has no delay).
    const timing = at(benchId(JSON.stringify(request.body.contents.at(-1) ?? '')));
    if (timing) timing.firstToken ??= performance.now();
    return { text: ANSWER, chunkDelayMs: TOKEN_INTERVAL_MS };
  });
  const firstShown = (call: SlackCall) => {
    const timing = at(channelBench.get(`${call.params.channel}:${call.params.thread_ts ?? ''}`));
    if (timing) timing.firstVisible ??= performance.now();
    return { pass: true } as const;
  };
  slack.setDefault('chat.postMessage', firstShown);
  slack.setDefault('chat.startStream', firstShown);
  return timings;
}

/** Where each benchmark message's reply shows: `channel:thread` → its id. */
const channelBench = new Map<string, string>();

function benchId(text: string): string | undefined {
  return /bench-id-(\w+)/.exec(text)?.[1];
}

async function sendAndWait(service: ServiceProcess, slack: FakeSlackApi, mode: string, id: string) {
  const text = `say fifty tokens bench-id-${id}`;
  let event: Record<string, unknown>;
  let shown: () => boolean;
  if (mode === 'dm') {
    const channel = `DBENCH${id.toUpperCase()}`;
    channelBench.set(`${channel}:`, id);
    event = directMessage({ user: 'UBENCH', text, channel });
    shown = () => slack.messages(channel).some((m) => m.bot_id && m.text === ANSWER.join(''));
  } else {
    const ts = `1790${String(Date.now()).slice(-6)}.${randomBytes(3).readUIntBE(0, 3) % 1_000_000}`;
    channelBench.set(`CBENCH:${ts}`, id);
    event = channelMessage({
      type: 'app_mention',
      user: 'UBENCH',
      text: `<@${slack.bot.userId}> Bench ${text}`,
      channel: 'CBENCH',
      ts,
    });
    shown = () => slack.messages('CBENCH', ts).some((m) => m.bot_id && m.text === ANSWER.join(''));
  }
  const answer = await postSigned(`${service.baseUrl}/slack/events`, SECRET, {
    json: eventCallback(slack.bot.teamId, event, { botUserId: slack.bot.userId }),
  });
  if (answer.status !== 200) throw new Error(`event refused: ${answer.status}`);
  await waitFor(`reply ${id} finished`, shown, 20_000);
}

async function command(service: ServiceProcess, slack: FakeSlackApi, text: string, channelId: string) {
  const answer = await postSigned(`${service.baseUrl}/slack/events`, SECRET, {
    form: slashCommand({
      teamId: slack.bot.teamId,
      userId: 'UBENCH',
      channelId,
      text,
      responseUrl: `${slack.origin}/respond/${randomBytes(3).toString('hex')}`,
    }),
  });
  if (answer.status !== 200) throw new Error(`/agent ${text} refused: ${answer.status}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
