/**
 * Posting once when Discord misbehaves: answers lost on the way back, a process gone between a post
 * and its record, a post refused midway, rate limits. The real adapter (discord.js) posts to the
 * fake Discord; each test plays the delivery code that calls it: it records every part handed to
 * `onPosted` and passes the recorded ones back as `postedParts` on the next attempt. What counts is
 * what the channel shows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundReply, PostedPart } from '../../../src/core/types.ts';
import type { Json } from '../../fakes/discord-payloads.ts';
import {
  type DiscordRequest,
  lostResponse,
  MISSING_PERMISSIONS,
  rateLimited,
  serverError,
} from '../../fakes/discord-rest.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness() {
  h = await startDiscordHarness(t.current);
  return h;
}

let replies = 0;
function reply(h: DiscordHarness, overrides: Partial<OutboundReply> = {}): OutboundReply {
  replies += 1;
  return {
    conversationId: 'conversation-1',
    channelId: h.discord.general.id,
    isDirect: false,
    workspaceId: h.discord.guild.id,
    agent: { id: 'agent-nova', name: 'Nova' },
    text: 'Hello Ana!',
    idempotencyKey: `reply-${replies}`,
    createdAt: new Date(),
    ...overrides,
  };
}

/** The delivery code's side: records each part; `crashAt` fails the record of that part (a crash). */
function caller(options: { crashAt?: number } = {}) {
  const recorded: PostedPart[] = [];
  const calls: PostedPart[] = [];
  return {
    recorded,
    calls,
    async onPosted(part: PostedPart) {
      calls.push(part);
      if (part.index === options.crashAt) throw new Error('the process died before recording the part');
      recorded.push(part);
    },
    postedParts: () => recorded.map((part) => part.platformMessageId),
  };
}

const isBotPost = (channelId: string) => (r: DiscordRequest) =>
  r.method === 'POST' && r.path === `/channels/${channelId}/messages`;
const isWebhookPost = (r: DiscordRequest) => r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path);
const isHistoryRead = (channelId: string) => (r: DiscordRequest) =>
  r.method === 'GET' && r.path === `/channels/${channelId}/messages`;
const contentOf = (message: Json) => String(message.content);

describe('discord delivery, once', () => {
  it('a bot post whose answer is lost: posted again with the same nonce, one message on the channel', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.webhooksDenied.add(discord.general.id);
    discord.rest.failNext(isBotPost(discord.general.id), lostResponse());
    const record = caller();

    const ids = await h.adapter.deliver(reply(h), record.onPosted);

    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown.map(contentOf)).toEqual(['**Nova:** Hello Ana!']);
    expect(ids).toEqual([shown[0]?.id]);
    expect(record.calls).toEqual([{ index: 0, platformMessageId: shown[0]?.id, last: true }]);
    const posts = discord.rest.posts();
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((p) => p.body?.nonce)).size).toBe(1);
  });

  it('beyond the nonce window: the retry of a bot post that went out unrecorded finds it instead of posting', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.webhooksDenied.add(discord.general.id);
    // Discord has forgotten the nonce: only the lookup stands between the retry and a second post.
    discord.rest.nonceWindowMs = 0;
    const first = caller({ crashAt: 0 });
    const toPost = reply(h);
    await expect(h.adapter.deliver(toPost, first.onPosted)).rejects.toThrow('died');
    expect(discord.rest.channelMessages(discord.general.id)).toHaveLength(1);

    const retry = caller();
    const ids = await h.adapter.deliver(
      { ...toPost, postedParts: first.postedParts(), mayHavePosted: true },
      retry.onPosted,
    );

    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown).toHaveLength(1);
    expect(ids).toEqual([shown[0]?.id]);
    expect(retry.recorded).toEqual([{ index: 0, platformMessageId: shown[0]?.id, last: true }]);
    expect(discord.rest.posts()).toHaveLength(1);
    const read = discord.rest.requests.items.find(isHistoryRead(discord.general.id));
    expect(read?.query).toMatchObject({ limit: '100' });
    expect(BigInt(read?.query.after ?? '0')).toBeGreaterThan(0n);
  });

  it('a webhook post whose answer is lost: the channel is read, the post found, nothing posted again', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.failNext(isWebhookPost, lostResponse());
    const record = caller();

    const ids = await h.adapter.deliver(reply(h), record.onPosted);

    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown.map(contentOf)).toEqual(['Hello Ana!']);
    expect(shown[0]).toMatchObject({ webhook_id: expect.any(String), author: { username: 'Nova' } });
    expect(ids).toEqual([shown[0]?.id]);
    expect(record.recorded).toEqual([{ index: 0, platformMessageId: shown[0]?.id, last: true }]);
    expect(discord.rest.posts()).toHaveLength(1);
    expect(discord.rest.requests.items.some(isHistoryRead(discord.general.id))).toBe(true);
  });

  it('a webhook post answered 502 though Discord stored it: not repeated blindly, one message', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.failNext(isWebhookPost, serverError(502, true));

    const ids = await h.adapter.deliver(reply(h), caller().onPosted);

    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown.map(contentOf)).toEqual(['Hello Ana!']);
    expect(ids).toEqual([shown[0]?.id]);
    expect(discord.rest.posts()).toHaveLength(1);
  });

  it('a webhook post whose answer is lost and the channel unreadable for now: the retry with mayHavePosted finds it', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.failNext(isWebhookPost, lostResponse());
    // discord.js tries a GET four times on 5xx: the check fails, so the attempt fails.
    for (let i = 0; i < 4; i++) discord.rest.failNext(isHistoryRead(discord.general.id), serverError(503));
    const first = caller();
    const toPost = reply(h, {
      replyToPlatformMessageId: discord.say({ author: discord.ana, content: 'hi' }).id as string,
    });
    await expect(h.adapter.deliver(toPost, first.onPosted)).rejects.toThrow();
    expect(first.calls).toEqual([]);

    const retry = caller();
    const ids = await h.adapter.deliver(
      { ...toPost, postedParts: first.postedParts(), mayHavePosted: true },
      retry.onPosted,
    );

    const ours = discord.rest.channelMessages(discord.general.id).filter((m) => m.webhook_id);
    expect(ours).toHaveLength(1);
    expect(ids).toEqual([ours[0]?.id]);
    expect(retry.recorded).toEqual([{ index: 0, platformMessageId: ours[0]?.id, last: true }]);
    expect(discord.rest.posts()).toHaveLength(1);
  });

  it('a three-part reply whose second post failed: the retry posts only the second and the third', async () => {
    const h = await harness();
    const { discord } = h;
    const text = ['0', '1', '2'].map((digit) => digit.repeat(1500)).join('\n');
    let webhookPosts = 0;
    discord.rest.failNext((r) => isWebhookPost(r) && ++webhookPosts === 2, MISSING_PERMISSIONS);
    const first = caller();
    const toPost = reply(h, { text });
    await expect(h.adapter.deliver(toPost, first.onPosted)).rejects.toThrow('Missing Permissions');
    expect(first.recorded.map((p) => p.index)).toEqual([0]);

    const retry = caller();
    const ids = await h.adapter.deliver(
      { ...toPost, postedParts: first.postedParts(), mayHavePosted: true },
      retry.onPosted,
    );

    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown.map((m) => contentOf(m).slice(-3))).toEqual(['000', '111', '222']);
    expect(ids).toEqual(shown.map((m) => m.id));
    expect(retry.recorded.map((p) => [p.index, p.last])).toEqual([
      [1, false],
      [2, true],
    ]);
    // The failed post and the three that went out.
    expect(discord.rest.posts()).toHaveLength(4);
  });

  it('a part recorded earlier is never posted again, also without mayHavePosted', async () => {
    const h = await harness();
    const { discord } = h;
    const text = ['a', 'b'].map((letter) => letter.repeat(1500)).join('\n');
    const record = caller();
    const toPost = reply(h, { text });
    await h.adapter.deliver(toPost, record.onPosted);
    const again = caller();

    const ids = await h.adapter.deliver({ ...toPost, postedParts: record.postedParts() }, again.onPosted);

    expect(ids).toEqual(record.postedParts());
    expect(again.calls).toEqual([]);
    expect(discord.rest.channelMessages(discord.general.id)).toHaveLength(2);
  });
});

describe('discord rate limits', () => {
  it('a 429 on a post is waited out (Retry-After), then the post goes out once', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.failNext(isWebhookPost, rateLimited(0.4));
    const started = Date.now();

    await h.adapter.deliver(reply(h), caller().onPosted);

    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(discord.rest.posts()).toHaveLength(2);
    expect(discord.rest.channelMessages(discord.general.id)).toHaveLength(1);
  });

  it('a global 429 on a bot post is waited out too', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.webhooksDenied.add(discord.general.id);
    discord.rest.failNext(isBotPost(discord.general.id), rateLimited(0.3, { global: true }));
    const started = Date.now();

    await h.adapter.deliver(reply(h), caller().onPosted);

    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(discord.rest.channelMessages(discord.general.id)).toHaveLength(1);
  });

  it('discord.js keeps to the X-RateLimit headers: a long reply into a small bucket waits, never gets a 429', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.rateLimit.limit = 2;
    discord.rest.rateLimit.windowMs = 300;
    const text = ['0', '1', '2', '3', '4'].map((digit) => digit.repeat(1500)).join('\n');
    const started = Date.now();

    await h.adapter.deliver(reply(h, { text }), caller().onPosted);

    expect(discord.rest.channelMessages(discord.general.id).map((m) => contentOf(m).slice(-1))).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(discord.rest.unscripted429s).toBe(0);
    // Five posts, two per window: at least two windows waited.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('the fake answers a client that ignores the headers with a 429', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.rateLimit.limit = 1;
    discord.rest.rateLimit.windowMs = 5_000;
    const url = `${discord.apiUrl}/v10/channels/${discord.general.id}/messages`;
    const headers = { authorization: `Bot ${discord.token}` };
    const first = await fetch(url, { headers });
    const second = await fetch(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(first.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{16}$/);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await second.json()).toMatchObject({ global: false, retry_after: expect.any(Number) });
  });
});
