/**
 * Channels and threads that change under the agents: a deleted channel (its agents leave it, the
 * audit says Discord did it), a reply for a channel or thread that is gone (ends at once, recorded,
 * never retried), an archived or locked thread (the reply goes to the parent channel, once, with a
 * link to the message it answers). The real discord.js against the fake Discord.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL_DELETED_ACTOR } from '../../../src/adapters/discord/adapter.ts';
import type { OutboundReply, PostedPart } from '../../../src/core/types.ts';
import { auditTrail } from '../../../src/store/agents.ts';
import type { Json } from '../../fakes/discord-payloads.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

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

const contentOf = (message: Json) => String(message.content);

/** A model call that lasts until the test lets it answer. */
function gate() {
  let open = () => {};
  const release = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { release, open };
}

async function membersOf(h: DiscordHarness, channelId: string) {
  const rows = await h.db.channelAgent.findMany({ where: { channelId }, orderBy: { agentId: 'asc' } });
  return rows.map((row) => row.agentId);
}

/** The agent's latest reply row and its job, whatever became of them. */
async function lastReply(h: DiscordHarness, agent: { id: string }) {
  const reply = await h.db.message.findFirst({ where: { agentId: agent.id }, orderBy: { id: 'desc' } });
  if (!reply) return undefined;
  const job = await h.db.job.findFirst({ where: { replyMessageId: reply.id } });
  return { reply, job };
}

describe('a deleted discord channel', () => {
  it('its agents leave it as /agent leave would, each leave audited as done by Discord', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const orion = await h.createAgent('Orion', { join: [discord.general.id, discord.random.id] });

    discord.deleteChannel(discord.general);

    await waitFor(
      'the agents left #general',
      async () => (await membersOf(h, discord.general.id)).length === 0,
    );
    expect(await membersOf(h, discord.random.id)).toEqual([orion.id]);
    for (const agent of [nova, orion]) {
      const leaves = (await auditTrail(h.db, agent.id)).filter((row) => row.action === 'leave');
      expect(leaves).toHaveLength(1);
      expect(leaves[0]).toMatchObject({
        actorLabel: CHANNEL_DELETED_ACTOR,
        actorId: null,
        changes: { channelId: discord.general.id },
      });
    }
  });

  it('a reply still being written for it ends without retries, recorded as failed', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.random.id] });
    const model = gate();
    h.gemini.enqueue({ text: 'Too late.', release: model.release });

    discord.say({
      channel: discord.random,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });
    await h.gemini.waitForRequests(1);
    discord.deleteChannel(discord.random);
    await waitFor('Nova left #random', async () => (await membersOf(h, discord.random.id)).length === 0);
    model.open();

    const failed = await waitFor('the reply recorded as undeliverable', async () => {
      const last = await lastReply(h, nova);
      return last?.job?.status === 'failed' ? last : undefined;
    });
    expect(failed.reply.isActive).toBe(false);
    expect(failed.reply.deliveredAt).toBeNull();
    expect(failed.job?.error).toContain('no longer exists (Unknown Channel, 10003)');
    // Nothing left to retry: no delivery job, and the sweeper does not see it as undelivered.
    const counts = await h.pipeline.queues.deliveries.getJobCounts();
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    const undelivered = await t.current.hot.undeliveredReplies(
      new Date(Date.now() + 60_000),
      new Date(0),
      100,
    );
    expect(undelivered.map((r) => r.id)).not.toContain(failed.reply.id);
    expect(discord.rest.posts()).toHaveLength(0);
  });
});

describe('a deleted discord thread', () => {
  it('a reply for it ends without retries; the agents stay in the parent channel', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const model = gate();
    h.gemini.enqueue({ text: 'Too late.', release: model.release });

    discord.say({
      channel: discord.thread,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });
    await h.gemini.waitForRequests(1);
    discord.deleteChannel(discord.thread);
    await waitFor(
      'discord.js saw the thread go',
      () => !h.adapter.client.channels.cache.has(discord.thread.id),
    );
    model.open();

    const failed = await waitFor('the reply recorded as undeliverable', async () => {
      const last = await lastReply(h, nova);
      return last?.job?.status === 'failed' ? last : undefined;
    });
    expect(failed.reply.isActive).toBe(false);
    expect(failed.job?.error).toContain(`thread ${discord.thread.id}`);
    expect(await membersOf(h, discord.general.id)).toEqual([nova.id]);
    // One refused post, never repeated.
    expect(discord.rest.posts()).toHaveLength(1);
    expect(discord.rest.channelMessages(discord.general.id)).toHaveLength(0);
  });
});

describe('an archived or locked discord thread', () => {
  it('archived (THREAD_UPDATE seen): one webhook post in the parent channel, opening with the link', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const model = gate();
    h.gemini.enqueue({ text: 'Here you go.', release: model.release });

    const asked = discord.say({
      channel: discord.thread,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });
    await h.gemini.waitForRequests(1);
    discord.setThread(discord.thread, { archived: true });
    await waitFor('discord.js knows the thread is archived', () => {
      const thread = h.adapter.client.channels.cache.get(discord.thread.id);
      return thread?.isThread() && thread.archived === true;
    });
    model.open();

    await waitFor('delivered', () => h.delivered(nova));
    const link = `↪ https://discord.com/channels/${discord.guild.id}/${discord.thread.id}/${asked.id}`;
    expect(discord.rest.channelMessages(discord.general.id).map(contentOf)).toEqual([
      `${link}\nHere you go.`,
    ]);
    expect(discord.rest.channelMessages(discord.thread.id).filter((m) => m.id !== asked.id)).toEqual([]);
    const posts = discord.rest.posts();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.query.thread_id).toBeUndefined();
  });

  it('archived without discord.js knowing: the refused webhook post (50083) goes to the parent instead', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    discord.setThread(discord.thread, { archived: true }, false);

    const asked = discord.say({
      channel: discord.thread,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });

    await waitFor('delivered', () => h.delivered(nova));
    const shown = discord.rest.channelMessages(discord.general.id).map(contentOf);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(
      new RegExp(
        `^↪ https://discord\\.com/channels/${discord.guild.id}/${discord.thread.id}/${asked.id}\\n`,
        'u',
      ),
    );
    expect(discord.rest.posts().map((p) => p.query.thread_id)).toEqual([discord.thread.id, undefined]);
  });

  it('locked, as the bot (no webhook): refused with 160005, then one bot post in the parent with the link, not a native reply', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    discord.rest.webhooksDenied.add(discord.general.id);
    discord.setThread(discord.thread, { locked: true }, false);

    const asked = discord.say({
      channel: discord.thread,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });

    await waitFor('delivered', () => h.delivered(nova));
    const link = `↪ https://discord.com/channels/${discord.guild.id}/${discord.thread.id}/${asked.id}`;
    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown).toHaveLength(1);
    expect(contentOf(shown[0] ?? {})).toMatch(new RegExp(`^${escapeRegExp(link)}\\n\\*\\*Nova:\\*\\* `, 'u'));
    const posts = discord.rest.posts();
    expect(posts.map((p) => p.path)).toEqual([
      `/channels/${discord.thread.id}/messages`,
      `/channels/${discord.general.id}/messages`,
    ]);
    expect(posts[1]?.body?.message_reference).toBeUndefined();
  });

  it('a retry after a post in the parent that was not recorded finds it: never two posts', async () => {
    const h = await harness();
    const { discord } = h;
    discord.setThread(discord.thread, { archived: true }, false);
    const asked = discord.say({ channel: discord.thread, author: discord.ana, content: 'hello' });
    const toPost: OutboundReply = {
      conversationId: 'conversation-1',
      channelId: discord.general.id,
      threadId: discord.thread.id,
      isDirect: false,
      workspaceId: discord.guild.id,
      agent: { id: 'agent-nova', name: 'Nova' },
      text: 'Hello Ana!',
      replyToPlatformMessageId: String(asked.id),
      idempotencyKey: 'reply-archived-1',
      createdAt: new Date(Date.now() - 1000),
    };
    const crash = async (_part: PostedPart) => {
      throw new Error('the process died before recording the part');
    };
    await expect(h.adapter.deliver(toPost, crash)).rejects.toThrow('died');
    expect(discord.rest.channelMessages(discord.general.id)).toHaveLength(1);

    const recorded: PostedPart[] = [];
    const ids = await h.adapter.deliver({ ...toPost, mayHavePosted: true }, async (part) => {
      recorded.push(part);
    });

    const shown = discord.rest.channelMessages(discord.general.id);
    expect(shown).toHaveLength(1);
    expect(ids).toEqual([shown[0]?.id]);
    expect(recorded).toEqual([{ index: 0, platformMessageId: shown[0]?.id, last: true }]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
}
