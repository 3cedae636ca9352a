/**
 * Hostile model outputs through the whole reply path on each platform: the fake Gemini answers
 * with generated text (broadcasts written every way, mentions of strangers, masked links, NUL, RTL
 * overrides, long texts), the real pipeline stores and delivers it, and the real Bolt / discord.js
 * post it to the fake Slack / Discord. Counted over every post: broadcast pings, pings of people who
 * were not in the conversation, and masked links whose address is hidden. All must be zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../fakes/discord-payloads.ts';
import type { GeminiRequest } from '../fakes/gemini-server.ts';
import { directMessage } from '../fakes/slack-events.ts';
import { type DiscordHarness, startDiscordHarness } from '../platform/discord/harness.ts';
import { type SlackHarness, startSlackHarness } from '../platform/slack/slack-harness.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  DISCORD_BROADCAST,
  DISCORD_MENTION,
  hostileText,
  SLACK_BROADCAST,
  SLACK_MASKED_LINK,
  SLACK_USER_MENTION,
} from './hostile.ts';
import { guardProcess, inBatches, printFigures, runs, sample } from './support.ts';

const OUTPUTS = runs(1000);

guardProcess();

/** The index a prompt asks for: every user turn is `fuzz <n>`; the last one decides. */
function indexOf(request: GeminiRequest): number {
  const user = [...request.body.contents].reverse().find((content) => content.role === 'user');
  const said = (user?.parts ?? []).map((part) => part.text ?? '').join('');
  const match = /fuzz (\d+)\s*$/.exec(said);
  return Number(match?.[1] ?? 0);
}

/**
 * A masked link that hides its address: `<url|label>` whose label is not the URL itself (an email
 * link labelled with its address, `<mailto:a@b.example|a@b.example>`, hides nothing).
 */
function hiddenLinks(text: string): number {
  let count = 0;
  for (const match of text.matchAll(new RegExp(SLACK_MASKED_LINK, 'giu'))) {
    const [url = '', label] = match[0].slice(1, -1).split('|');
    if (label !== url && label !== url.replace(/^mailto:/iu, '')) count += 1;
  }
  return count;
}

describe('fuzz: hostile model outputs posted on Slack', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  const outputs = sample(hostileText, OUTPUTS, 11);

  beforeAll(async () => {
    h = await startSlackHarness(database.current, { env: { DEBOUNCE_MS: '0', AGENT_MAX_CONCURRENT: '100' } });
    await h.createAgent('Aria');
    h.gemini.setDefault((request) => ({ text: outputs[indexOf(request)] ?? 'ok' }));
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`${OUTPUTS} outputs, each in its own DM: no broadcast, no stranger pinged, no hidden link`, async () => {
    const started = Date.now();
    const channels = outputs.map((_, i) => `DFUZZ${i}`);
    await inBatches(channels, 25, async (channel, i) => {
      const answer = await h.sendEvent(directMessage({ user: 'UANA', text: `fuzz ${i}`, channel }));
      expect(answer.status).toBe(200);
    });
    const answered = () => new Set(h.slack.callsTo('chat.postMessage').map((c) => c.params.channel)).size;
    await waitFor('every DM answered', () => answered() === OUTPUTS, 60_000);

    let broadcasts = 0;
    let strangers = 0;
    let hidden = 0;
    const posts = h.slack.callsTo('chat.postMessage');
    for (const call of posts) {
      const posted = JSON.stringify([call.params.text, call.params.blocks ?? null]);
      if (SLACK_BROADCAST.test(posted)) broadcasts += 1;
      for (const mention of posted.matchAll(SLACK_USER_MENTION)) if (mention[1] !== 'UANA') strangers += 1;
      hidden += hiddenLinks(String(call.params.text ?? ''));
    }
    printFigures({
      entry: 'slack hostile replies (end to end)',
      inputs: OUTPUTS,
      ms: Date.now() - started,
      posts: posts.length,
      broadcasts,
      strangersPinged: strangers,
      hiddenLinks: hidden,
    });
    expect({ broadcasts, strangers, hidden }).toEqual({ broadcasts: 0, strangers: 0, hidden: 0 });
  }, 120_000);
});

describe('fuzz: hostile model outputs posted on Discord', () => {
  const database = useTestDatabase('sqlite');
  let h: DiscordHarness;
  const outputs = sample(hostileText, OUTPUTS, 12);
  /** The outputs the fake model has handed out, by index. */
  const served = new Set<number>();

  beforeAll(async () => {
    h = await startDiscordHarness(database.current, {
      env: { DEBOUNCE_MS: '0', AGENT_RATE_LIMIT_PER_MIN: '0', AGENT_MAX_CONCURRENT: '100' },
    });
    await h.createAgent('Nova', { join: [h.discord.general.id, h.discord.random.id] });
    h.gemini.setDefault((request) => {
      const index = indexOf(request);
      served.add(index);
      return { text: outputs[index] ?? 'ok' };
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`${OUTPUTS} outputs: every post allows no pings, names no stranger, shows no broadcast`, async () => {
    const { discord } = h;
    const started = Date.now();
    // Four lanes, one message at a time each: every message gets its own reply.
    const lanes = [discord.general, discord.random, discord.dmWith(discord.ana), discord.thread];
    const perLane = Math.ceil(OUTPUTS / lanes.length);
    await Promise.all(
      lanes.map(async (channel, lane) => {
        for (let k = 0; k < perLane; k++) {
          const i = lane * perLane + k;
          if (i >= OUTPUTS) return;
          const isDm = channel === lanes[2];
          discord.say({
            channel,
            author: discord.ana,
            content: isDm ? `fuzz ${i}` : `<@${discord.bot.id}> Nova fuzz ${i}`,
            ...(!isDm && { mentions: [discord.bot] }),
          });
          await waitFor(`the model asked for output ${i}`, () => served.has(i), 20_000);
        }
      }),
    );
    const undelivered = () =>
      h.db.message.count({ where: { agentId: { not: null }, deliveredAt: null, isActive: true } });
    await waitFor('every reply posted', async () => (await undelivered()) === 0, 30_000);

    let pingsAllowed = 0;
    let broadcasts = 0;
    let strangers = 0;
    const posts = discord.rest.posts();
    for (const post of posts) {
      const body = (post.body ?? {}) as { content?: string; allowed_mentions?: Json };
      const allowed = body.allowed_mentions as
        | { parse?: unknown[]; users?: unknown[]; roles?: unknown[] }
        | undefined;
      if (
        !allowed ||
        (allowed.parse?.length ?? 0) > 0 ||
        (allowed.users?.length ?? 0) > 0 ||
        (allowed.roles?.length ?? 0) > 0
      )
        pingsAllowed += 1;
      const content = body.content ?? '';
      if (DISCORD_BROADCAST.test(content)) broadcasts += 1;
      // User mentions only: a role mention (`<@&id>`) shows as a chip and, with no role allowed
      // above, pings nobody.
      for (const mention of content.matchAll(DISCORD_MENTION)) {
        if (!mention[0].startsWith('<@&') && mention[1] !== discord.ana.id) strangers += 1;
      }
    }
    printFigures({
      entry: 'discord hostile replies (end to end)',
      inputs: served.size,
      ms: Date.now() - started,
      posts: posts.length,
      pingsAllowed,
      broadcasts,
      strangersNamed: strangers,
    });
    expect(served.size).toBe(OUTPUTS);
    expect({ pingsAllowed, broadcasts, strangers }).toEqual({ pingsAllowed: 0, broadcasts: 0, strangers: 0 });
  }, 120_000);
});
