/**
 * Odd gateway dispatches through the real discord.js client (the fake gateway): MESSAGE_CREATE,
 * MESSAGE_UPDATE, MESSAGE_DELETE(_BULK) and INTERACTION_CREATE with generated shapes. Nothing may
 * crash the process or reject unhandled; the client stays connected and an agent still answers a
 * real mention afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelKind, type Json, snowflake, userPayload } from '../fakes/discord-payloads.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from '../platform/discord/harness.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { DISCORD_INTERACTION_TOKEN_PREFIX } from '../support/test-secrets.ts';
import { hostileFragment, hostileText } from './hostile.ts';
import { guardProcess, printFigures, runs, sample } from './support.ts';

const DISPATCHES = runs(2000);
/** Dispatches sent before waiting for the client to catch up (a sentinel message). */
const BATCH = 100;

guardProcess();

describe('fuzz: Discord gateway dispatches (discord.js)', () => {
  const database = useTestDatabase('sqlite');
  let h: DiscordHarness;

  beforeAll(async () => {
    h = await startDiscordHarness(database.current);
    await h.createAgent('Nova', { join: [h.discord.general.id] });
    h.gemini.setDefault({ text: 'ok' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`odd MESSAGE_CREATE/UPDATE/DELETE and INTERACTION_CREATE: no crash, still answering (${DISPATCHES} dispatches)`, async () => {
    const { discord } = h;
    const dm = discord.dmWith(discord.ana);
    const oddScalar = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.boolean(),
      fc.string({ maxLength: 8 }),
      fc.constant([]),
      fc.constant({}),
    );
    // Fields of the wrong JSON type crash discord.js itself (see docs/security.md "Fuzzing"): Discord
    // never sends them. Here a field is odd but well typed, or absent; FUZZ_DISCORD_TYPES=1 mixes
    // in wrong types too.
    const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
      process.env.FUZZ_DISCORD_TYPES
        ? fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: oddScalar })
        : fc.option(arb, { nil: undefined });
    const id = fc.oneof(
      { weight: 4, arbitrary: fc.constant(null).map(() => snowflake()) },
      { weight: 1, arbitrary: fc.constantFrom('0', '1', '-1', '18446744073709551616', 'abc', '') },
    );
    const channel = fc.constantFrom(
      { id: discord.general.id, guild: discord.guild.id },
      { id: discord.random.id, guild: discord.guild.id },
      { id: discord.thread.id, guild: discord.guild.id },
      { id: dm.id, guild: undefined },
      { id: '123456789012345678', guild: discord.guild.id },
      { id: '123456789012345679', guild: '998877665544332211' },
    );
    const people = [discord.ana, discord.ben, discord.otherBot, discord.bot, discord.stranger];
    const author = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...people).map(userPayload) },
      {
        weight: 1,
        arbitrary: fc.record(
          {
            id: id,
            username: maybe(fc.string()),
            bot: maybe(fc.boolean()),
            discriminator: maybe(fc.string()),
            global_name: maybe(hostileFragment),
          },
          { requiredKeys: ['id'] },
        ),
      },
    );
    const content = fc.oneof(
      fc.constant(`<@${discord.bot.id}> Nova hello`),
      fc.constant(`<@${discord.bot.id}>`),
      hostileFragment,
      hostileText.filter((t) => t.length < 6000),
    );
    const message = fc
      .record(
        {
          id,
          at: channel,
          author,
          content: maybe(content),
          mentions: fc.array(fc.constantFrom(...people).map(userPayload), { maxLength: 3 }),
          mention_roles: maybe(fc.array(fc.string(), { maxLength: 2 })),
          mention_everyone: maybe(fc.boolean()),
          type: fc.oneof(fc.constantFrom(0, 19, 7, 18, 20, 21, 46), fc.integer({ min: -5, max: 1000 })),
          flags: maybe(fc.nat({ max: 1 << 16 })),
          webhook_id: fc.option(fc.oneof(id, fc.constant('999')), { nil: undefined }),
          nonce: fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.integer()), { nil: undefined }),
          attachments: maybe(
            fc.array(
              fc.record({
                id,
                filename: maybe(fc.string()),
                url: maybe(fc.string()),
                size: maybe(fc.integer()),
              }),
              { maxLength: 2 },
            ),
          ),
          embeds: maybe(
            fc.array(
              fc.record(
                { title: maybe(hostileFragment), description: maybe(hostileFragment) },
                { requiredKeys: [] },
              ),
              { maxLength: 2 },
            ),
          ),
          message_reference: fc.option(
            fc.record(
              {
                message_id: maybe(id),
                channel_id: maybe(id),
                guild_id: maybe(id),
                type: maybe(fc.integer({ min: 0, max: 2 })),
              },
              { requiredKeys: [] },
            ),
            { nil: undefined },
          ),
          referenced_message: fc.option(
            fc.oneof(
              fc.constant(null),
              fc.record({
                id,
                content: maybe(hostileFragment),
                author,
                channel_id: fc.constant(discord.general.id),
              }),
            ),
            { nil: undefined },
          ),
          member: fc.option(
            fc.record(
              {
                nick: maybe(hostileFragment),
                roles: maybe(fc.array(fc.string(), { maxLength: 2 })),
                joined_at: maybe(fc.string()),
              },
              { requiredKeys: [] },
            ),
            { nil: undefined },
          ),
          edited_timestamp: fc.option(fc.oneof(fc.string(), fc.constant(new Date().toISOString())), {
            nil: null,
          }),
          timestamp: maybe(fc.constant(new Date().toISOString())),
          channel_type: fc.option(fc.constantFrom(ChannelKind.DM, 0, 11, 99), { nil: undefined }),
        },
        { requiredKeys: ['id', 'at', 'author', 'type'] },
      )
      .map(
        ({ at, ...rest }): Json => ({
          channel_id: at.id,
          ...(at.guild ? { guild_id: at.guild } : { channel_type: ChannelKind.DM }),
          tts: false,
          pinned: false,
          components: [],
          ...rest,
        }),
      );

    const option: fc.Arbitrary<Json> = fc.record(
      {
        name: fc.constantFrom('name', 'role', 'goal', 'prompt', 'model', 'avatar', 'x'),
        type: fc.constantFrom(3, 4, 5, 1),
        value: maybe(fc.oneof(hostileFragment, fc.string())),
        focused: fc.option(fc.boolean(), { nil: undefined }),
      },
      { requiredKeys: ['name', 'type'] },
    );
    const interaction = fc
      .record(
        {
          id,
          at: channel,
          type: process.env.FUZZ_DISCORD_TYPES ? fc.integer({ min: 0, max: 99 }) : fc.constantFrom(1, 2, 4),
          user: fc.constantFrom(...people),
          permissions: process.env.FUZZ_DISCORD_TYPES
            ? fc.constantFrom('0', '32', 'x', '-1')
            : fc.constantFrom('0', '32', '8', '2147483648'),
          subcommand: fc.oneof(
            fc.constantFrom(
              'create',
              'edit',
              'list',
              'show',
              'delete',
              'join',
              'leave',
              'pause',
              'resume',
              'use',
              'help',
            ),
            fc.string({ maxLength: 10 }),
          ),
          name: fc.constantFrom('agent', 'agent', 'other', ''),
          options: maybe(fc.array(option, { maxLength: 4 })),
          data: fc.option(process.env.FUZZ_DISCORD_TYPES ? oddScalar : fc.constant({}), { nil: undefined }),
        },
        { requiredKeys: ['id', 'at', 'type', 'user', 'subcommand', 'name'] },
      )
      .map((spec): Json => {
        const inGuild = spec.at.guild !== undefined;
        return {
          id: spec.id,
          token: `${DISCORD_INTERACTION_TOKEN_PREFIX}${snowflake()}`,
          application_id: discord.applicationId,
          type: spec.type,
          data:
            spec.data !== undefined
              ? spec.data
              : {
                  id: 'cmd-agent',
                  name: spec.name,
                  type: 1,
                  options: [{ name: spec.subcommand, type: 1, options: spec.options }],
                },
          channel_id: spec.at.id,
          channel: { id: spec.at.id, type: inGuild ? 0 : 1 },
          ...(inGuild
            ? {
                guild_id: spec.at.guild,
                member: {
                  user: userPayload(spec.user),
                  roles: [],
                  permissions: spec.permissions,
                  joined_at: new Date(0).toISOString(),
                },
              }
            : { user: userPayload(spec.user) }),
          version: 1,
          app_permissions: '0',
          locale: 'en-US',
          entitlements: [],
          authorizing_integration_owners: {},
          context: inGuild ? 0 : 1,
        };
      });

    const dispatch = fc.oneof(
      { weight: 5, arbitrary: message.map((d) => ({ t: 'MESSAGE_CREATE', d })) },
      { weight: 2, arbitrary: message.map((d) => ({ t: 'MESSAGE_UPDATE', d })) },
      {
        weight: 1,
        arbitrary: fc
          .record(
            {
              id,
              channel_id: maybe(channel.map((c) => c.id)),
              guild_id: maybe(fc.constant(discord.guild.id)),
            },
            { requiredKeys: [] },
          )
          .map((d) => ({ t: 'MESSAGE_DELETE', d })),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({
            ids: fc.array(id, { maxLength: 3 }),
            channel_id: channel.map((c) => c.id),
            guild_id: fc.constant(discord.guild.id),
          })
          .map((d) => ({ t: 'MESSAGE_DELETE_BULK', d })),
      },
      { weight: 3, arbitrary: interaction.map((d) => ({ t: 'INTERACTION_CREATE', d })) },
    );

    const inputs = sample(dispatch, DISPATCHES, 3);
    const counts = new Map<string, number>();
    const started = Date.now();
    for (let start = 0; start < inputs.length; start += BATCH) {
      for (const { t, d } of inputs.slice(start, start + BATCH)) {
        counts.set(t, (counts.get(t) ?? 0) + 1);
        discord.gateway.dispatch(t, d);
      }
      // A sentinel behind the batch: once it is stored, discord.js has read everything before it.
      const sentinel = discord.say({ author: discord.ben, content: `sentinel ${start}` });
      await waitFor(`the client read batch ${start}`, () => h.outcomeOf(sentinel) !== undefined);
    }
    const ms = Date.now() - started;
    printFigures({
      entry: 'discord gateway dispatches (discord.js)',
      inputs: inputs.length,
      byType: [...counts].map(([t, n]) => `${t}:${n}`).join(','),
      inbound: h.outcomes.length,
      ms,
    });
    expect(discord.gateway.connected).toBe(1);

    // Still answering: a real mention gets its reply.
    const before = discord.rest.posts().length;
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova still there?`,
      mentions: [discord.bot],
    });
    await waitFor('a reply after the fuzzing', () =>
      discord.rest
        .posts()
        .slice(before)
        .some((p) => String((p.body as Json | undefined)?.content ?? '').includes('ok')),
    );
  });
});
