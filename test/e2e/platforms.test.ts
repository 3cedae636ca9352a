/**
 * The service as `agent-bridge start` builds it, with Slack and Discord both configured against
 * local fakes: agents are created with /agent on each platform (the real command core), then
 * answer a Slack DM and a Discord mention through the one pipeline.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord-server.ts';
import { type FakeGemini, startFakeGemini } from '../fakes/gemini-server.ts';
import { type FakeSlackApi, startFakeSlackApi } from '../fakes/slack-api.ts';
import { directMessage, eventCallback, nextTs, postSigned, slashCommand } from '../fakes/slack-events.ts';
import { freePort } from '../support/free-port.ts';
import { testLogger } from '../support/test-log.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { waitFor } from '../support/wait-for.ts';

const SECRET = TEST_SECRETS.e2eSigningSecret;
const prefix = `abe2e_${randomBytes(4).toString('hex')}`;
let slack: FakeSlackApi;
let discord: FakeDiscord;
let gemini: FakeGemini;
let app: RunningApp;
let dir: string;
let base: string;

beforeAll(async () => {
  [slack, discord, gemini] = await Promise.all([startFakeSlackApi(), startFakeDiscord(), startFakeGemini()]);
  dir = mkdtempSync(join(tmpdir(), 'ab-e2e-'));
  const port = await freePort();
  const config = parseConfig({
    DATABASE_URL: `file:${join(dir, 'ab.db')}`,
    PORT: String(port),
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_GUILD_ID: discord.guild.id,
    GOOGLE_GENERATIVE_AI_API_KEY: gemini.apiKey,
    GOOGLE_GENERATIVE_AI_BASE_URL: gemini.baseURL,
    DEBOUNCE_MS: '50',
  });
  app = await startApp(config, testLogger(), 'all', { queuePrefix: prefix });
  base = `http://127.0.0.1:${app.port}`;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([slack?.close(), discord?.close(), gemini?.close()]);
  const redis = createRedis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent-bridge with Slack and Discord', () => {
  it('Slack: /agent create, then a DM gets one reply under the agent’s name, the working signal first', async () => {
    const created = await postSigned(`${base}/slack/events`, SECRET, {
      form: slashCommand({
        teamId: slack.bot.teamId,
        userId: 'UANA',
        channelId: 'D0ANA',
        responseUrl: slack.responseUrl('create'),
        text: 'create Aria role="TypeScript mentor"',
      }),
    });
    expect(created.status).toBe(200);
    expect(created.text).toContain('Created Aria');

    gemini.enqueue({ text: 'Use **strict** mode.' });
    const dm = directMessage({ user: 'UANA', channel: 'D0ANA', text: 'how do I start?', ts: nextTs() });
    const answer = await postSigned(`${base}/slack/events`, SECRET, {
      json: eventCallback(slack.bot.teamId, dm),
    });
    expect(answer.status).toBe(200);

    const [post] = await slack.waitForCalls('chat.postMessage', 1, 20_000);
    expect(post?.params).toMatchObject({ channel: 'D0ANA', username: 'Aria' });
    expect(post?.params).not.toHaveProperty('link_names');
    // The reply streams (posted, then edited) and ends as one message: Markdown bold became mrkdwn
    // bold (the converter guards it with zero-width spaces).
    const shown = () => slack.messages('D0ANA').filter((m) => m.bot_id === slack.bot.botId);
    await waitFor('the final text shown', () =>
      shown().some((m) => m.text.replace(/\u200b/g, '') === 'Use *strict* mode.'),
    );
    expect(shown()).toHaveLength(1);
    const methods = slack.calls.map((c) => c.method);
    expect(methods.indexOf('assistant.threads.setStatus')).toBeLessThan(methods.indexOf('chat.postMessage'));
    await waitFor('the signal cleared', () =>
      slack.callsTo('assistant.threads.setStatus').some((c) => c.params.status === ''),
    );
  });

  it('Discord: /agent create, then @bot Nova … gets one reply that pings nobody', async () => {
    discord.interact({
      channel: discord.general,
      user: discord.ana,
      subcommand: 'create',
      options: { name: 'Nova', role: 'release manager' },
    });
    await waitFor('the /agent answer', () => discord.rest.interactionCallbacks.length === 1);
    expect(JSON.stringify(discord.rest.interactionCallbacks[0]?.body)).toContain('Created Nova');

    gemini.enqueue({ text: 'Shipping @everyone!' });
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova when do we ship?`,
      mentions: [discord.bot],
    });
    await waitFor('the reply', () => discord.rest.posts().length === 1, 20_000);
    const [reply] = discord.rest.posts();
    expect(reply?.body).toMatchObject({ username: 'Nova', allowed_mentions: { parse: [] } });
    expect(String((reply?.body as { content?: string } | undefined)?.content)).not.toContain('@everyone!');
  });
});
