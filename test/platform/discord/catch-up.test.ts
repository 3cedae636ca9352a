/**
 * What the gateway did not deliver is read from the channels: after a RESUME that replayed nothing,
 * after a session Discord forgot (a new READY), and after the service could not store a message.
 * Messages said while the bot was away are answered once each, and nothing answered before is
 * answered again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Json } from '../../fakes/discord-payloads.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, type HarnessOptions, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(options: HarnessOptions = {}) {
  h = await startDiscordHarness(t.current, options);
  return h;
}

/** The agents' replies on the fake Discord: webhook posts and the bot's own posts. */
function replies(h: DiscordHarness): Json[] {
  return [...h.discord.rest.messages.values()].filter(
    (m) => m.webhook_id || (m.author as { id: string }).id === h.discord.bot.id,
  );
}

/** The replies that answer `message` (a webhook reply links it, a bot reply references it). */
function answersTo(h: DiscordHarness, message: Json): Json[] {
  return replies(h).filter(
    (r) =>
      String(r.content).includes(String(message.id)) ||
      (r.message_reference as { message_id?: string } | undefined)?.message_id === message.id,
  );
}

function outcomes(h: DiscordHarness, message: Json): string[] {
  return h.outcomes.filter((o) => o.message.platformMessageId === message.id).map((o) => o.outcome.status);
}

/** Long enough for a second reply (debounce 50 ms, a fast model) to show if there were one. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

describe('discord catch-up', () => {
  it('a RESUME that replays nothing: what was said meanwhile is read from the channel and a thread, answered once each', async () => {
    const h = await harness();
    const { discord } = h;
    const mention = `<@${discord.bot.id}> Nova`;
    await h.createAgent('Nova', { join: [discord.general.id] });
    const before = discord.say({ author: discord.ana, content: `${mention} first`, mentions: [discord.bot] });
    await waitFor('the first reply', () => answersTo(h, before).length === 1);

    discord.gateway.dropEventsWhileAway = true;
    discord.gateway.holdConnections();
    discord.gateway.dropConnections();
    const inChannel = discord.say({
      author: discord.ana,
      content: `${mention} missed me?`,
      mentions: [discord.bot],
    });
    const chatter = discord.say({ author: discord.ben, content: 'just chatting' });
    // A thread of the channel nobody spoke in before: known from the gateway, not from the store.
    const inThread = discord.say({
      channel: discord.thread,
      author: discord.ben,
      content: `${mention} and in here?`,
      mentions: [discord.bot],
    });
    discord.gateway.releaseConnections();

    await waitFor('the resume', () => discord.gateway.resumes === 1);
    await waitFor('both answered', () => answersTo(h, inChannel).length && answersTo(h, inThread).length);
    await settle();

    expect(discord.gateway.identifies).toHaveLength(1);
    for (const message of [before, inChannel, inThread]) expect(answersTo(h, message)).toHaveLength(1);
    expect(replies(h)).toHaveLength(3);
    expect(outcomes(h, inChannel)).toEqual(['scheduled']);
    expect(outcomes(h, inThread)).toEqual(['scheduled']);
    expect(outcomes(h, chatter)).toEqual(['stored']);
    // Read after the last stored message: the one answered before is not handed on again.
    expect(outcomes(h, before)).toEqual(['scheduled']);
    for (const message of [before, inChannel, chatter, inThread]) {
      expect(await h.db.message.count({ where: { platformMessageId: String(message.id) } })).toBe(1);
    }
  });

  it('a session Discord forgot: the new READY reads the channel, a thread and a DM, each answered once', async () => {
    const h = await harness();
    const { discord } = h;
    const mention = `<@${discord.bot.id}> Nova`;
    await h.createAgent('Nova', { join: [discord.general.id] });
    const dm = discord.dmWith(discord.ana);
    const dmBefore = discord.say({ channel: dm, author: discord.ana, content: 'hello Nova' });
    const threadBefore = discord.say({
      channel: discord.thread,
      author: discord.ben,
      content: 'thread chatter',
    });
    await waitFor('the DM answered', () => answersTo(h, dmBefore).length === 1);
    await waitFor('the thread chatter stored', () => h?.outcomeOf(threadBefore));

    discord.gateway.holdConnections();
    discord.gateway.dropConnections({ forgetSessions: true });
    const inChannel = discord.say({
      author: discord.ana,
      content: `${mention} still there?`,
      mentions: [discord.bot],
    });
    const inThread = discord.say({
      channel: discord.thread,
      author: discord.ben,
      content: `${mention} here too`,
      mentions: [discord.bot],
    });
    const inDm = discord.say({ channel: dm, author: discord.ana, content: 'are you still there?' });
    discord.gateway.releaseConnections();

    // discord.js identifies again (at most one IDENTIFY per 5 s), gets READY, then reads.
    await waitFor('a new session', () => discord.gateway.identifies.length === 2, 20_000);
    await waitFor(
      'all three answered',
      () => [inChannel, inThread, inDm].every((m) => answersTo(h, m).length > 0),
      20_000,
    );
    await settle();

    expect(discord.gateway.resumes).toBe(0);
    for (const message of [dmBefore, inChannel, inThread, inDm])
      expect(answersTo(h, message)).toHaveLength(1);
    expect(replies(h)).toHaveLength(4);
    expect(outcomes(h, dmBefore)).toEqual(['scheduled']);
    expect(outcomes(h, threadBefore)).toEqual(['stored']);
  });

  it('at most perChannel messages per channel are read, the newest', async () => {
    const h = await harness({ adapter: { catchUp: { perChannel: 2 } } });
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    const before = discord.say({ author: discord.ana, content: 'before' });
    await waitFor('stored', () => h?.outcomeOf(before));

    discord.gateway.dropEventsWhileAway = true;
    discord.gateway.holdConnections();
    discord.gateway.dropConnections();
    const missed = ['one', 'two', 'three', 'four'].map((content) =>
      discord.say({ author: discord.ben, content }),
    );
    discord.gateway.releaseConnections();
    await waitFor(
      'the newest two stored',
      () => h?.outcomeOf(missed[2] ?? {}) && h?.outcomeOf(missed[3] ?? {}),
    );
    await settle();

    expect(missed.map((m) => outcomes(h, m))).toEqual([[], [], ['stored'], ['stored']]);
    expect(h.logs.some((l) => l.includes('more messages were missed'))).toBe(true);
  });

  it('a message given up while the service was down is read again once it takes messages, and answered', async () => {
    const h = await harness({ adapter: { ingest: { attempts: 2, baseDelayMs: 10 } } });
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    h.failInbound(2, (m) => m.text.includes('are you there'));
    const lost = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova are you there?`,
      mentions: [discord.bot],
    });
    await waitFor('the give-up', () => h?.logs.some((l) => l.includes('giving up')));

    // The next message the service takes shows it is back: the channel is read from the lost one.
    const next = discord.say({ author: discord.ben, content: 'hello?' });
    await waitFor('the lost message answered', () => answersTo(h, lost).length === 1);
    await waitFor('delivered', () => h?.delivered(nova));
    await settle();

    expect(outcomes(h, lost)).toEqual(['scheduled']);
    expect(outcomes(h, next)).toEqual(['stored', 'duplicate']);
    expect(answersTo(h, lost)).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes('giving up'))).toHaveLength(1);
  });
});
