/**
 * Crash mid-stream: `agent-bridge start` as a child process (SQLite, the fake Slack Web API with
 * its streaming methods, the real @ai-sdk/google streaming from a fake Gemini that writes 30 words
 * over 3 s). A DM's reply starts showing (posted, then edited), the service is SIGKILLed while the
 * model is still writing, and restarted on the same database and Redis prefix. The stalled reply
 * job runs again, finds the started message by the reply's record and finishes into it.
 *
 * Pass: the channel ends with exactly one agent message, showing the whole answer, and the stored
 * reply (recorded delivered, so nothing will post it again) is that answer. The same for a channel
 * reply, which streams with chat.startStream: the rerun stops the stream left open and edits it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGemini, startFakeGemini } from '../fakes/gemini-server.ts';
import { type FakeSlackApi, startFakeSlackApi } from '../fakes/slack-api.ts';
import {
  channelMessage,
  directMessage,
  eventCallback,
  postSigned,
  slashCommand,
} from '../fakes/slack-events.ts';
import { ServiceProcess } from '../support/service-process.ts';
import { openServiceSandbox, type ServiceSandbox } from '../support/service-sandbox.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { waitFor } from '../support/wait-for.ts';

const SECRET = TEST_SECRETS.chaosSigningSecret;
const WORDS = Array.from({ length: 30 }, (_, i) => `${i === 0 ? '' : ' '}streamed${i + 1}`);
const ANSWER = WORDS.join('');

let slack: FakeSlackApi;
let gemini: FakeGemini;
let sandbox: ServiceSandbox;
let service: ServiceProcess;
let team: string;

beforeAll(async () => {
  [slack, gemini] = await Promise.all([startFakeSlackApi(), startFakeGemini()]);
  team = slack.bot.teamId;
  gemini.setDefault({ text: WORDS, chunkDelayMs: 100 });
  sandbox = await openServiceSandbox('stream');
  service = new ServiceProcess({
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
      // The killed process's job is taken over within about 1.5 x JOB_LOCK_MS.
      JOB_LOCK_MS: '2000',
      SWEEP_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
    },
  });
  service.start();
  await service.waitReady(45_000);
  const command = (text: string, channelId: string) =>
    postSigned(`${service.baseUrl}/slack/events`, SECRET, {
      form: slashCommand({
        teamId: team,
        userId: 'UCRASH',
        channelId,
        text,
        responseUrl: `${slack.origin}/respond/${randomBytes(3).toString('hex')}`,
      }),
    });
  const created = await command('create Aria role="stream crash agent"', 'DCRASHADMIN');
  expect(created.text, service.output()).toContain('Created Aria');
  const joined = await command('join Aria', 'CCRASH');
  expect(joined.text, service.output()).toContain('Aria');
}, 60_000);

afterAll(async () => {
  await service?.kill();
  await Promise.all([slack?.close(), gemini?.close()]);
  await sandbox?.cleanup();
}, 30_000);

function storedReply(channelId: string): { content: string; deliveredAt: unknown } | undefined {
  const db = new Database(join(sandbox.dir, 'ab.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT m.content, m.deliveredAt FROM messages m JOIN conversations c ON c.id = m.conversationId
         WHERE m.agentId IS NOT NULL AND c.channelId = ? ORDER BY m.id DESC LIMIT 1`,
      )
      .get(channelId) as { content: string; deliveredAt: unknown } | undefined;
  } finally {
    db.close();
  }
}

function delivered(channelId: string) {
  const reply = storedReply(channelId);
  return reply?.deliveredAt ? reply : undefined;
}

async function send(event: Record<string, unknown>): Promise<void> {
  const answer = await postSigned(`${service.baseUrl}/slack/events`, SECRET, {
    json: eventCallback(team, event, { botUserId: slack.bot.userId }),
  });
  expect(answer.status).toBe(200);
}

async function killAndRestart(): Promise<void> {
  await service.kill();
  service.start();
  await service.waitReady(45_000);
}

describe('a SIGKILL mid-stream', () => {
  it('leaves one DM message, finished with the whole answer', async () => {
    await send(directMessage({ user: 'UANA', text: 'tell me thirty words', channel: 'DCRASH' }));
    // An edit means the started message exists and was recorded (the record precedes any edit).
    await waitFor('the reply showing and edited', () => slack.callsTo('chat.update').length > 0, 20_000);
    expect(slack.messages('DCRASH').filter((m) => m.bot_id)[0]?.text).not.toBe(ANSWER);
    await killAndRestart();

    const reply = await waitFor('the reply stored and delivered', () => delivered('DCRASH'), 30_000);
    expect(reply.content).toBe(ANSWER);
    const shown = slack.messages('DCRASH').filter((m) => m.bot_id === slack.bot.botId);
    expect(shown.map((m) => m.text)).toEqual([ANSWER]);
  }, 90_000);

  it('leaves one thread message: the stream left open is stopped and finished with the answer', async () => {
    const ts = '1790000001.000100';
    await send(
      channelMessage({
        type: 'app_mention',
        user: 'UANA',
        text: `<@${slack.bot.userId}> Aria, thirty words`,
        channel: 'CCRASH',
        ts,
      }),
    );
    await waitFor('the stream appended to', () => slack.callsTo('chat.appendStream').length > 0, 20_000);
    await killAndRestart();

    const reply = await waitFor('the reply stored and delivered', () => delivered('CCRASH'), 30_000);
    expect(reply.content).toBe(ANSWER);
    const shown = slack.messages('CCRASH', ts).filter((m) => m.bot_id === slack.bot.botId);
    expect(shown.map((m) => m.text)).toEqual([ANSWER]);
    expect(shown[0]?.streaming).toBe(false);
    expect(slack.callsTo('chat.startStream')).toHaveLength(1);
  }, 90_000);
});
