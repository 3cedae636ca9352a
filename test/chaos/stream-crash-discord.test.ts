/**
 * Crash mid-stream on Discord: `agent-bridge start` as a child process (SQLite, the fake Discord
 * with its gateway, webhooks and message edits, the real @ai-sdk/google streaming from a fake
 * Gemini that writes 30 words over 3 s). A channel reply starts showing (posted through the
 * channel's webhook, then edited), the service is SIGKILLed while the model is still writing, and
 * restarted on the same database and Redis prefix. The stalled reply job runs again, finds the
 * started message by the reply's record and finishes into it, through the same webhook.
 *
 * Pass: the channel ends with exactly one agent message, showing the whole answer, and the stored
 * reply (recorded delivered, so nothing will post it again) is that answer.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyLinkLine } from '../../src/adapters/discord/outbound.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord-server.ts';
import { type FakeGemini, startFakeGemini } from '../fakes/gemini-server.ts';
import { ServiceProcess } from '../support/service-process.ts';
import { openServiceSandbox, type ServiceSandbox } from '../support/service-sandbox.ts';
import { waitFor } from '../support/wait-for.ts';

const WORDS = Array.from({ length: 30 }, (_, i) => `${i === 0 ? '' : ' '}streamed${i + 1}`);
const ANSWER = WORDS.join('');

let discord: FakeDiscord;
let gemini: FakeGemini;
let sandbox: ServiceSandbox;
let service: ServiceProcess;

beforeAll(async () => {
  [discord, gemini] = await Promise.all([startFakeDiscord({ heartbeatIntervalMs: 500 }), startFakeGemini()]);
  gemini.setDefault({ text: WORDS, chunkDelayMs: 100 });
  sandbox = await openServiceSandbox('dstream');
  service = new ServiceProcess({
    cwd: sandbox.dir,
    env: {
      ...sandbox.env,
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_GUILD_ID: discord.guild.id,
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
  await startService();
  discord.interact({
    channel: discord.general,
    user: discord.ana,
    subcommand: 'create',
    options: { name: 'Nova', role: 'stream crash agent' },
  });
  await waitFor('the /agent answer', () => discord.rest.interactionCallbacks.length === 1, 20_000);
  expect(JSON.stringify(discord.rest.interactionCallbacks[0]?.body), service.output()).toContain(
    'Created Nova',
  );
}, 60_000);

afterAll(async () => {
  await service?.kill();
  await Promise.all([discord?.close(), gemini?.close()]);
  await sandbox?.cleanup();
}, 30_000);

/** Ready, and connected to the gateway (the killed process's socket is gone). */
async function startService(): Promise<void> {
  service.start();
  await service.waitReady(45_000);
  await waitFor('the gateway session', () => discord.gateway.connected === 1, 20_000).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}\n${service.output()}`);
    },
  );
}

function delivered(channelId: string): { content: string } | undefined {
  const db = new Database(join(sandbox.dir, 'ab.db'), { readonly: true, fileMustExist: true });
  try {
    const reply = db
      .prepare(
        `SELECT m.content, m.deliveredAt FROM messages m JOIN conversations c ON c.id = m.conversationId
         WHERE m.agentId IS NOT NULL AND c.channelId = ? ORDER BY m.id DESC LIMIT 1`,
      )
      .get(channelId) as { content: string; deliveredAt: unknown } | undefined;
    return reply?.deliveredAt ? reply : undefined;
  } finally {
    db.close();
  }
}

describe('a SIGKILL mid-stream on Discord', () => {
  it('leaves one channel message, finished with the whole answer', async () => {
    const asked = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova thirty words please`,
      mentions: [discord.bot],
    });
    // An edit means the started message exists and was recorded (the record precedes any edit).
    await waitFor('the reply showing and edited', () => discord.rest.edits().length > 0, 20_000);
    const ours = () => discord.rest.channelMessages(discord.general.id).filter((m) => m.webhook_id);
    expect(String(ours()[0]?.content)).not.toContain(ANSWER);
    await service.kill();
    await startService();

    const reply = await waitFor(
      'the reply stored and delivered',
      () => delivered(discord.general.id),
      30_000,
    );
    expect(reply.content).toBe(ANSWER);
    const link = replyLinkLine(discord.guild.id, discord.general.id, String(asked.id));
    expect(ours().map((m) => m.content)).toEqual([`${link}\n${ANSWER}`]);
    expect(discord.rest.posts()).toHaveLength(1);
  }, 90_000);
});
