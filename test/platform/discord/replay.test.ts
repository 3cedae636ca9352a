/**
 * Every recorded Discord payload in test/fixtures/discord/, dispatched by the fake gateway exactly as
 * Discord would send it to the real discord.js client, into the real pipeline. The fixture's ids are
 * bound to the fake world (`_bind`: fixture id → guild | general | random | thread | ana | bot |
 * otherBot | dm:ana | fresh); agent Nova has joined #general and #random. What a user would notice
 * is asserted, per `_expect`:
 *   reply          exactly one answer from Nova
 *   none           nothing posted, nothing scheduled (stored or skipped is fine)
 *   alive          nothing posted for the event itself; a mention afterwards is still answered once
 *   outage         after the guild comes back (GUILD_CREATE) a mention is answered once
 *   forget-channel the deleted channel no longer counts as joined by any agent
 *   uninstalled    the removed guild is marked uninstalled: nothing waits or is posted there
 * A new fixture is a new file in the folder, not new code here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guildCreatePayload, type Json, snowflake } from '../../fakes/discord-payloads.ts';
import { type Fixture, loadFixtures, rebind } from '../../fixtures/load.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const fixtures = loadFixtures('discord');
/** How long a state change the event should cause may take (it is a local, in-process event). */
const STATE_CHANGE_MS = 3000;

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

function idsFor(fixture: Fixture, harness: DiscordHarness): Record<string, string> {
  const { discord } = harness;
  const roles: Record<string, () => string> = {
    guild: () => discord.guild.id,
    general: () => discord.general.id,
    random: () => discord.random.id,
    thread: () => discord.thread.id,
    ana: () => discord.ana.id,
    bot: () => discord.bot.id,
    otherBot: () => discord.otherBot.id,
    'dm:ana': () => discord.dmWith(discord.ana).id,
    fresh: () => snowflake(),
  };
  const bind = (fixture.meta._bind ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(bind).map(([from, role]) => {
      const resolve = roles[role];
      if (!resolve) throw new Error(`${fixture.name}: unknown _bind role ${role}`);
      return [from, resolve()];
    }),
  );
}

describe('discord fixtures replayed through the real gateway client', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const harness = await startDiscordHarness(t.current);
    h = harness;
    const { discord } = harness;
    const nova = await harness.createAgent('Nova', { join: [discord.general.id, discord.random.id] });
    const type = String(fixture.payload.t);
    const data = rebind(fixture.payload.d as Json, idsFor(fixture, harness));
    if (type === 'MESSAGE_CREATE') discord.rest.messages.set(String(data.id), data);
    discord.gateway.dispatch(type, data);

    const channelOf = (): string =>
      typeof data.channel_id === 'string' && data.guild_id !== undefined
        ? data.channel_id
        : discord.general.id;
    /** A person's message after the event, in its channel: once judged, the event was worked through. */
    const settle = async (channelId: string) => {
      const channel = [discord.general, discord.random, discord.thread].find((c) => c.id === channelId);
      const after = discord.say({
        author: discord.ben,
        content: 'and another thing',
        ...(channel && { channel }),
      });
      await waitFor('the message after the event judged', () => harness.outcomeOf(after));
      await waitFor(
        'no reply job left running',
        async () => (await harness.db.job.count({ where: { status: { in: ['queued', 'running'] } } })) === 0,
      );
    };
    /** A mention after the event is answered exactly once. */
    const stillAnswers = async () => {
      const before = discord.rest.posts().length;
      discord.say({
        author: discord.ana,
        content: `<@${discord.bot.id}> Nova, still there?`,
        mentions: [discord.bot],
      });
      await waitFor('the answer to a later mention', () => discord.rest.posts().length > before);
      await waitFor('delivered', () => harness.delivered(nova));
      return discord.rest.posts().length - before;
    };
    const scheduledForFixture = () =>
      harness.outcomes.filter(
        (o) => o.message.platformMessageId === String(data.id) && o.outcome.status === 'scheduled',
      );
    const errors = () => harness.logs.filter((line) => /"level":(50|60)/.test(line));

    switch (fixture.expect) {
      case 'reply': {
        await waitFor('the answer', () => discord.rest.posts().length >= 1);
        await waitFor('delivered', () => harness.delivered(nova));
        await settle(discord.general.id);
        expect(discord.rest.posts()).toHaveLength(1);
        expect(scheduledForFixture()).toHaveLength(1);
        break;
      }
      case 'none': {
        await settle(channelOf());
        expect(discord.rest.posts().map((p) => p.path)).toEqual([]);
        expect(scheduledForFixture()).toEqual([]);
        break;
      }
      case 'alive': {
        expect(await stillAnswers()).toBe(1);
        break;
      }
      case 'outage': {
        discord.gateway.dispatch('GUILD_CREATE', guildCreatePayload(discord.guild, discord.bot));
        expect(await stillAnswers()).toBe(1);
        break;
      }
      case 'forget-channel': {
        await waitFor(
          'the deleted channel no longer joined',
          async () =>
            (await harness.db.channelAgent.count({ where: { channelId: discord.random.id } })) === 0,
          STATE_CHANGE_MS,
        );
        expect(await stillAnswers()).toBe(1);
        break;
      }
      case 'uninstalled': {
        await waitFor(
          'the removed guild marked uninstalled',
          async () =>
            (
              await harness.db.workspace.findFirst({
                where: { platform: 'discord', externalId: discord.guild.id },
              })
            )?.uninstalledAt,
          STATE_CHANGE_MS,
        );
        break;
      }
      default:
        throw new Error(`${fixture.name}: unknown _expect ${fixture.expect}`);
    }
    expect(errors(), `${fixture.name}: error logs`).toEqual([]);
  });
});
