/**
 * A local Discord (gateway + REST on loopback) for driving the real discord.js client:
 *   const discord = await startFakeDiscord();
 *   new Client({ ..., rest: { api: discord.apiUrl } }).login(discord.token)
 * One guild with #general, #random and a thread under #general; people and another bot to talk
 * (members of the guild), a stranger who is not; DMs on demand; more guilds with `joinGuild`. Tests speak through `say`, `edit`, `remove` and `interact`.
 */

import { TEST_SECRETS } from '../support/test-secrets.ts';
import { DiscordCdn } from './discord-cdn.ts';
import { FakeGateway } from './discord-gateway.ts';
import {
  buttonClickPayload,
  ChannelKind,
  channelPayload,
  type FakeChannel,
  type FakeGuild,
  type FakeUser,
  guildCreatePayload,
  type InteractionSpec,
  interactionPayload,
  type Json,
  type MessageSpec,
  messagePayload,
  snowflake,
  userPayload,
} from './discord-payloads.ts';
import { FakeDiscordRest } from './discord-rest.ts';
import { startLoopbackServer } from './fake-http.ts';

export interface FakeDiscord {
  /** `http://127.0.0.1:<port>/api`, for `rest: { api }` / DISCORD_API_URL. */
  apiUrl: string;
  token: string;
  bot: FakeUser;
  applicationId: string;
  guild: FakeGuild;
  general: FakeChannel;
  random: FakeChannel;
  /** A public thread under #general. */
  thread: FakeChannel;
  ana: FakeUser;
  ben: FakeUser;
  /** Someone who shares no guild with the bot (they can still DM it). */
  stranger: FakeUser;
  /** Someone else's bot in the guild. */
  otherBot: FakeUser;
  gateway: FakeGateway;
  rest: FakeDiscordRest;
  /** The DM channel between the bot and `user` (created on first use). */
  dmWith(user: FakeUser): FakeChannel;
  /** Dispatches MESSAGE_CREATE for a new message (in #general unless `channel` is given). */
  say(spec: Omit<MessageSpec, 'channel'> & { channel?: FakeChannel }): Json;
  /** Dispatches the same MESSAGE_CREATE again (a duplicated gateway dispatch). */
  redeliver(message: Json): void;
  edit(message: Json, content: string): void;
  remove(message: Json): void;
  /** Dispatches INTERACTION_CREATE for `/agent <subcommand>`; returns the payload (id, token). */
  interact(spec: Omit<InteractionSpec, 'applicationId'>): Json & { id: string; token: string };
  /** Dispatches INTERACTION_CREATE for a click on one of `message`'s buttons. */
  click(spec: { channel: FakeChannel; user: FakeUser; message: Json; customId: string }): Json & {
    id: string;
    token: string;
  };
  /**
   * Deletes a channel or thread as Discord does: gone from REST (404 Unknown Channel, 10003), with
   * its threads, messages and webhooks; CHANNEL_DELETE (or THREAD_DELETE) is dispatched.
   */
  deleteChannel(channel: FakeChannel): void;
  /**
   * Archives, locks or reopens a thread: REST refuses posts in it from now on (50083 archived,
   * 160005 locked). `dispatch` (default true): THREAD_UPDATE tells the gateway; false: the bot
   * only learns it when a post is refused.
   */
  setThread(thread: FakeChannel, state: { archived?: boolean; locked?: boolean }, dispatch?: boolean): void;
  /**
   * The bot is added to a new guild (with one text channel, #lobby, and `members` besides the bot):
   * GUILD_CREATE is dispatched.
   */
  joinGuild(name: string, members?: FakeUser[]): FakeGuild & { lobby: FakeChannel };
  /** Guilds the bot left (DELETE /users/@me/guilds/:id), in order; each got its GUILD_DELETE. */
  left: string[];
  /** cdn.discordapp.com: `cdn.add(channelId, …)` hosts a file and returns its attachment object. */
  cdn: DiscordCdn;
  close(): Promise<void>;
}

export async function startFakeDiscord(
  options: { token?: string; heartbeatIntervalMs?: number } = {},
): Promise<FakeDiscord> {
  const token = options.token ?? TEST_SECRETS.discordBotToken;
  const bot: FakeUser = { id: snowflake(), username: 'agent-bridge', bot: true };
  const applicationId = bot.id;
  const guildId = snowflake();
  const general: FakeChannel = { id: snowflake(), type: ChannelKind.GuildText, name: 'general', guildId };
  const random: FakeChannel = { id: snowflake(), type: ChannelKind.GuildText, name: 'random', guildId };
  const thread: FakeChannel = {
    id: snowflake(),
    type: ChannelKind.PublicThread,
    name: 'a thread',
    guildId,
    parentId: general.id,
  };
  const ana: FakeUser = { id: snowflake(), username: 'ana', globalName: 'Ana' };
  const ben: FakeUser = { id: snowflake(), username: 'ben', globalName: 'Ben' };
  const otherBot: FakeUser = { id: snowflake(), username: 'otherbot', bot: true };
  const guild: FakeGuild = {
    id: guildId,
    name: 'Test Guild',
    ownerId: ana.id,
    channels: [general, random, thread],
    members: [bot, ana, ben, otherBot],
  };
  const channels = new Map(guild.channels.map((c) => [c.id, c]));
  const guilds = new Map<string, FakeGuild>([[guild.id, guild]]);
  const left: string[] = [];

  const gateway = new FakeGateway({
    ...(options.heartbeatIntervalMs && { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    ready: (sessionId, url) => ({
      v: 10,
      user: { ...userPayload(bot), verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: guild.id, unavailable: true }],
      session_id: sessionId,
      resume_gateway_url: url,
      application: { id: applicationId, flags: 0 },
      shard: [0, 1],
      private_channels: [],
      presences: [],
      relationships: [],
      user_settings: {},
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
    }),
    guilds: () => [guildCreatePayload(guild, bot)],
  });
  await gateway.start();
  const rest = new FakeDiscordRest({
    token,
    bot,
    applicationId,
    gatewayUrl: () => gateway.url,
    channel: (id) => channels.get(id),
    guild: (id) => guilds.get(id),
    leaveGuild(id) {
      if (!guilds.delete(id)) return false;
      left.push(id);
      gateway.dispatch('GUILD_DELETE', { id });
      return true;
    },
    echo: (message) => gateway.dispatch('MESSAGE_CREATE', message),
    echoEdit: (message) => gateway.dispatch('MESSAGE_UPDATE', message),
  });
  const cdn = new DiscordCdn(() => http.origin);
  const http = await startLoopbackServer(async (req, res) => {
    if (cdn.handle(req, res, new URL(req.url ?? '/', 'http://fake').pathname)) return;
    await rest.handle(req, res);
  });

  return {
    apiUrl: `${http.origin}/api`,
    token,
    bot,
    applicationId,
    guild,
    general,
    random,
    thread,
    ana,
    ben,
    stranger: { id: snowflake(), username: 'sam', globalName: 'Sam' },
    otherBot,
    gateway,
    rest,
    dmWith(user) {
      const existing = [...channels.values()].find(
        (c) => c.type === ChannelKind.DM && c.recipient?.id === user.id,
      );
      if (existing) return existing;
      const dm: FakeChannel = { id: snowflake(), type: ChannelKind.DM, recipient: user };
      channels.set(dm.id, dm);
      return dm;
    },
    say(spec) {
      const message = messagePayload({ ...spec, channel: spec.channel ?? general });
      rest.messages.set(String(message.id), message);
      gateway.dispatch('MESSAGE_CREATE', message);
      return message;
    },
    redeliver(message) {
      gateway.dispatch('MESSAGE_CREATE', message);
    },
    edit(message, content) {
      const edited = { ...message, content, edited_timestamp: new Date().toISOString() };
      rest.messages.set(String(message.id), edited);
      gateway.dispatch('MESSAGE_UPDATE', edited);
    },
    remove(message) {
      rest.messages.delete(String(message.id));
      gateway.dispatch('MESSAGE_DELETE', {
        id: message.id,
        channel_id: message.channel_id,
        ...(message.guild_id !== undefined && { guild_id: message.guild_id }),
      });
    },
    interact(spec) {
      const payload = interactionPayload({ ...spec, applicationId });
      gateway.dispatch('INTERACTION_CREATE', payload);
      return payload;
    },
    click(spec) {
      const payload = buttonClickPayload({ ...spec, applicationId });
      gateway.dispatch('INTERACTION_CREATE', payload);
      return payload;
    },
    deleteChannel(channel) {
      const gone = [channel, ...guild.channels.filter((c) => c.parentId === channel.id)];
      for (const c of gone) {
        channels.delete(c.id);
        guild.channels = guild.channels.filter((kept) => kept.id !== c.id);
        for (const [id, message] of rest.messages) if (message.channel_id === c.id) rest.messages.delete(id);
      }
      for (const [id, webhook] of rest.webhooks)
        if (webhook.channelId === channel.id) rest.webhooks.delete(id);
      const isThread = channel.type === ChannelKind.PublicThread;
      gateway.dispatch(
        isThread ? 'THREAD_DELETE' : 'CHANNEL_DELETE',
        isThread
          ? { id: channel.id, guild_id: channel.guildId, parent_id: channel.parentId, type: channel.type }
          : channelPayload(channel),
      );
    },
    setThread(thread, state, dispatch = true) {
      if (state.archived !== undefined) thread.archived = state.archived;
      if (state.locked !== undefined) thread.locked = state.locked;
      if (dispatch) gateway.dispatch('THREAD_UPDATE', channelPayload(thread));
    },
    joinGuild(name, members = []) {
      const id = snowflake();
      const lobby: FakeChannel = { id: snowflake(), type: ChannelKind.GuildText, name: 'lobby', guildId: id };
      const ownerId = members[0]?.id ?? snowflake();
      const joined = { id, name, ownerId, channels: [lobby], members: [bot, ...members], lobby };
      guilds.set(id, joined);
      channels.set(lobby.id, lobby);
      gateway.dispatch('GUILD_CREATE', guildCreatePayload(joined, bot));
      return joined;
    },
    left,
    cdn,
    async close() {
      await gateway.close();
      await http.close();
    },
  };
}
