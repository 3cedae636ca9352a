/**
 * 👍/👎 on Discord: the last message of a reply carries the two buttons (webhook or bot post), a
 * click is stored once per person and reply and acknowledged once without changing the message,
 * and a second click by the same person changes the vote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Row = { components?: Array<{ custom_id?: string }> };

describe('discord feedback buttons', () => {
  it('puts the buttons on the last message only, and stores one vote per person, a second click changing it', async () => {
    h = await startDiscordHarness(t.current);
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    h.gemini.enqueue({ text: `${'A long answer. '.repeat(200)}\n\n${'More of it. '.repeat(100)}` });
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova explain`,
      mentions: [discord.bot],
    });
    await waitFor('the delivery recorded', () => h?.delivered(nova));
    const reply = await h.db.message.findFirstOrThrow({ where: { agentId: nova.id } });
    const posts = discord.rest.posts();
    expect(posts.length).toBeGreaterThan(1);
    expect(posts.slice(0, -1).map((p) => p.body?.components)).toEqual(
      posts.slice(0, -1).map(() => undefined),
    );
    const rows = posts.at(-1)?.body?.components as Row[];
    const ids = rows[0]?.components?.map((c) => c.custom_id);
    expect(ids).toEqual([`agent_feedback:up:reply-${reply.id}`, `agent_feedback:down:reply-${reply.id}`]);

    const message = [...discord.rest.messages.values()].find((m) => m.id === reply.platformMessageId);
    expect(message).toBeDefined();
    const last = [...discord.rest.messages.values()].at(-1);
    expect((last?.components as Row[] | undefined)?.[0]?.components).toHaveLength(2);
    const click = (user: typeof discord.ana, customId: string) =>
      discord.click({ channel: discord.general, user, message: last ?? {}, customId });
    const votes = () => t.current.db.replyFeedback.findMany({ where: { replyId: reply.id } });
    const callbacks = () => discord.rest.interactionCallbacks.length;

    const first = click(discord.ana, `agent_feedback:up:reply-${reply.id}`);
    await waitFor('the click acknowledged', () => callbacks() === 1);
    expect(discord.rest.interactionCallbacks[0]).toMatchObject({
      interactionId: first.id,
      body: { type: 6 },
    });
    click(discord.ana, `agent_feedback:up:reply-${reply.id}`);
    await waitFor('the second click acknowledged', () => callbacks() === 2);
    expect((await votes()).map((v) => [v.userId, v.vote])).toEqual([[discord.ana.id, 'up']]);

    click(discord.ana, `agent_feedback:down:reply-${reply.id}`);
    await waitFor('the third click acknowledged', () => callbacks() === 3);
    expect((await votes()).map((v) => [v.userId, v.vote, v.platform])).toEqual([
      [discord.ana.id, 'down', 'discord'],
    ]);
    // Each click answered exactly once.
    expect(new Set(discord.rest.interactionCallbacks.map((c) => c.interactionId)).size).toBe(3);
  });
});
