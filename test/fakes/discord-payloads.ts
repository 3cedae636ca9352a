/**
 * Discord payloads as the real API sends them (the fields discord.js reads), for the fake gateway
 * and REST server: users, members, channels, guilds, messages, interactions, snowflake ids.
 */
import { DISCORD_INTERACTION_TOKEN_PREFIX } from '../support/test-secrets.ts';

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A fresh, increasing snowflake whose timestamp is now (discord.js derives createdAt from it). */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export const ChannelKind = { GuildText: 0, DM: 1, PublicThread: 11 } as const;

export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
  globalName?: string;
}

export interface FakeChannel {
  id: string;
  type: number;
  name?: string;
  guildId?: string;
  parentId?: string;
  /** DMs: the other person. */
  recipient?: FakeUser;
  /** Threads: archived (posts refused with 50083) or locked (refused with 160005). */
  archived?: boolean;
  locked?: boolean;
}

export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  channels: FakeChannel[];
  /** Who is in the guild (GET /guilds/:id/members/:user answers for these). */
  members: FakeUser[];
}

export type Json = Record<string, unknown>;

export function userPayload(user: FakeUser): Json {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName ?? null,
    avatar: null,
    bot: user.bot ?? false,
  };
}

export function memberPayload(user: FakeUser, extra: Json = {}): Json {
  return {
    user: userPayload(user),
    roles: [],
    nick: null,
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    ...extra,
  };
}

export function channelPayload(channel: FakeChannel): Json {
  if (channel.type === ChannelKind.DM) {
    return {
      id: channel.id,
      type: channel.type,
      last_message_id: null,
      recipients: channel.recipient ? [userPayload(channel.recipient)] : [],
    };
  }
  const base: Json = {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    name: channel.name ?? `channel-${channel.id}`,
    parent_id: channel.parentId ?? null,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
  if (channel.type === ChannelKind.PublicThread) {
    return {
      ...base,
      owner_id: '1',
      message_count: 0,
      member_count: 1,
      thread_metadata: {
        archived: channel.archived ?? false,
        auto_archive_duration: 1440,
        locked: channel.locked ?? false,
        archive_timestamp: new Date().toISOString(),
      },
    };
  }
  return { ...base, position: 0, permission_overwrites: [], nsfw: false, topic: null };
}

export function guildCreatePayload(guild: FakeGuild, bot: FakeUser): Json {
  const isThread = (c: FakeChannel) => c.type === ChannelKind.PublicThread;
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    owner_id: guild.ownerId,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [{ id: guild.id, name: '@everyone', permissions: '1024', position: 0, color: 0, flags: 0 }],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_flags: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    nsfw_level: 0,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [memberPayload(bot)],
    channels: guild.channels.filter((c) => !isThread(c)).map(channelPayload),
    threads: guild.channels.filter(isThread).map(channelPayload),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}

export interface MessageSpec {
  id?: string;
  channel: FakeChannel;
  author: FakeUser;
  content: string;
  mentions?: FakeUser[];
  /** Makes it a reply to this message (with `referenced_message` when it is known). */
  replyTo?: { id: string; message?: Json };
  webhookId?: string;
  nonce?: string;
  /** Attachment objects (see DiscordCdn.add). */
  attachments?: Json[];
  /** Message components as posted (action rows of buttons). */
  components?: Json[];
}

export function messagePayload(spec: MessageSpec): Json {
  const { channel } = spec;
  const inGuild = channel.guildId !== undefined;
  return {
    id: spec.id ?? snowflake(),
    channel_id: channel.id,
    ...(inGuild ? { guild_id: channel.guildId } : { channel_type: ChannelKind.DM }),
    author: userPayload(spec.author),
    ...(inGuild && !spec.webhookId && { member: memberPayload(spec.author, { user: undefined }) }),
    content: spec.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: (spec.mentions ?? []).map(userPayload),
    mention_roles: [],
    attachments: spec.attachments ?? [],
    embeds: [],
    components: spec.components ?? [],
    pinned: false,
    type: spec.replyTo ? 19 : 0,
    flags: 0,
    ...(spec.webhookId && { webhook_id: spec.webhookId }),
    ...(spec.nonce && { nonce: spec.nonce }),
    ...(spec.replyTo && {
      message_reference: {
        type: 0,
        message_id: spec.replyTo.id,
        channel_id: channel.id,
        ...(inGuild && { guild_id: channel.guildId }),
      },
      referenced_message: spec.replyTo.message ?? null,
    }),
  };
}

/** A click on a message's button: INTERACTION_CREATE type 3 (MESSAGE_COMPONENT), component type 2. */
export function buttonClickPayload(spec: {
  applicationId: string;
  channel: FakeChannel;
  user: FakeUser;
  message: Json;
  customId: string;
}): Json & { id: string; token: string } {
  const inGuild = spec.channel.guildId !== undefined;
  return {
    id: snowflake(),
    token: `${DISCORD_INTERACTION_TOKEN_PREFIX}${snowflake()}`,
    application_id: spec.applicationId,
    type: 3,
    data: { custom_id: spec.customId, component_type: 2 },
    message: spec.message,
    channel_id: spec.channel.id,
    channel: channelPayload(spec.channel),
    ...(inGuild
      ? { guild_id: spec.channel.guildId, member: memberPayload(spec.user, { permissions: '0' }) }
      : { user: userPayload(spec.user) }),
    version: 1,
    app_permissions: '0',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: inGuild ? 0 : 1,
  };
}

export interface InteractionSpec {
  applicationId: string;
  channel: FakeChannel;
  user: FakeUser;
  /** Member permissions as a bit string (guild only), e.g. `'32'` for Manage Server. */
  permissions?: string;
  subcommand: string;
  /** The subcommand group the subcommand belongs to (`/agent provider add`). */
  group?: string;
  options?: Record<string, string>;
  /** A modal submission (type 5) instead of a command: its custom_id and text input values. */
  modal?: { customId: string; values: Record<string, string> };
  /** Autocomplete: the option being typed. */
  focused?: string;
}

function commandData(subcommand: string, options: Json[], group?: string): Json {
  const sub = { name: subcommand, type: 1, options };
  return {
    id: 'cmd-agent',
    name: 'agent',
    type: 1,
    options: [group ? { name: group, type: 2, options: [sub] } : sub],
  };
}

function modalData(modal: { customId: string; values: Record<string, string> }): Json {
  return {
    custom_id: modal.customId,
    components: Object.entries(modal.values).map(([customId, value]) => ({
      type: 1,
      components: [{ type: 4, custom_id: customId, value }],
    })),
  };
}

export function interactionPayload(spec: InteractionSpec): Json & { id: string; token: string } {
  const inGuild = spec.channel.guildId !== undefined;
  const options = Object.entries(spec.options ?? {}).map(([name, value]) => ({
    name,
    type: 3,
    value,
    ...(name === spec.focused && { focused: true }),
  }));
  return {
    id: snowflake(),
    token: `${DISCORD_INTERACTION_TOKEN_PREFIX}${snowflake()}`,
    application_id: spec.applicationId,
    type: spec.modal ? 5 : spec.focused ? 4 : 2,
    data: spec.modal ? modalData(spec.modal) : commandData(spec.subcommand, options, spec.group),
    channel_id: spec.channel.id,
    channel: channelPayload(spec.channel),
    ...(inGuild
      ? {
          guild_id: spec.channel.guildId,
          member: memberPayload(spec.user, { permissions: spec.permissions ?? '0' }),
        }
      : { user: userPayload(spec.user) }),
    version: 1,
    app_permissions: '0',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: inGuild ? 0 : 1,
  };
}
