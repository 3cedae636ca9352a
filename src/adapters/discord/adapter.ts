/**
 * The Discord platform adapter: a gateway bot (discord.js) that translates messages, edits,
 * deletions and `/agent` interactions for the service, posts replies as agents, and shows typing.
 */
import {
  type Client,
  Events,
  type GatewayChannelDeleteDispatchData,
  GatewayDispatchEvents,
  type GatewayMessageDeleteBulkDispatchData,
  type GatewayMessageDeleteDispatchData,
  type GatewayMessageUpdateDispatchData,
  type Guild,
  type Message,
  Routes,
} from 'discord.js';
import type { Config } from '../../config.ts';
import { workspaceAllowed } from '../../core/tenancy.ts';
import type {
  BotIdentity,
  OnPartPosted,
  OutboundReply,
  PlatformAdapter,
  TypingTarget,
} from '../../core/types.ts';
import type { AdapterHooks } from '../hooks.ts';
import { createTenancyGate } from '../tenancy.ts';
import { CatchUp, type CatchUpOptions } from './catch-up.ts';
import {
  createDiscordClient,
  createWebhookRest,
  DiscordConnectionError,
  explainConnectionFailure,
} from './connection.ts';
import { deliverReply } from './delivery.ts';
import { DmGuilds } from './dm-guilds.ts';
import { type InboundContext, toChange, toInbound } from './inbound.ts';
import { type IngestOptions, IngestQueue } from './ingest.ts';
import { handleInteraction } from './interactions.ts';
import { createDiscordLive } from './live.ts';
import { OwnPosts } from './own-posts.ts';
import { registerCommands } from './slash-command.ts';
import { WebhookDirectory } from './webhooks.ts';

export const DISCORD_TYPING_REFRESH_MS = 8_000;
/** Who the audit names when agents leave a channel because Discord deleted it. */
export const CHANNEL_DELETED_ACTOR = 'discord:channel-deleted';

export interface DiscordAdapterOptions {
  config: Config['discord'];
  hooks: AdapterHooks;
  /** How often the typing indicator (it lasts ~10 s) is sent again while an agent works [8000]. */
  typingRefreshMs?: number;
  /** A `/agent` command still running after this is deferred, then answered by an edit [1500]. */
  deferAfterMs?: number;
  /** Register `/agent` at start (per guild when config.guildId is set, else globally) [true]. */
  registerCommands?: boolean;
  /** How a message the service could not take is tried again (see IngestQueue). */
  ingest?: IngestOptions;
  /** What is read after a READY or RESUMED (see CatchUp). */
  catchUp?: CatchUpOptions;
}

export interface DiscordAdapter extends PlatformAdapter {
  readonly platform: 'discord';
  /** Read by the TypingManager. */
  readonly typingRefreshMs: number;
  /** The underlying discord.js client (status, tests). */
  readonly client: Client;
}

/** After messages were given up, the store working again reads them back, at most this often. */
const RECOVERY_READ_EVERY_MS = 30_000;

/** A message, an edit or a deletion, handed on in its channel's order. */
interface InboundItem {
  /** The Discord channel (or thread) it happened in. */
  key: string;
  id: string;
  kind: 'message' | 'edit' | 'delete';
  run(): Promise<void>;
}

export function createDiscordAdapter(opts: DiscordAdapterOptions): DiscordAdapter {
  const { config, hooks } = opts;
  const logger = hooks.logger.child({ platform: 'discord' });
  const client = createDiscordClient(config.apiUrl);
  const webhookRest = createWebhookRest(config.apiUrl);
  const own = new OwnPosts();
  const webhooks = new WebhookDirectory({ rest: client.rest, botUserId: () => client.user?.id, logger });
  const live = createDiscordLive({ rest: client.rest, webhookRest, webhooks, own, logger });
  const tenancy = createTenancyGate({
    allowed: config.allowedGuilds,
    logger,
    variable: 'DISCORD_ALLOWED_GUILDS',
    ignored: 'discord server ignored: its messages and commands get no answer and nothing is stored',
  });
  /** Messages, changes and commands from a guild not served are dropped here, before anything. */
  const served = (guildId: string | null | undefined) => !guildId || tenancy.admits(guildId);
  // A DM reaches the agents of the servers its author shares with the bot: only served ones count.
  const dmGuilds = new DmGuilds({
    client,
    logger,
    admits: (guildId) => workspaceAllowed(config.allowedGuilds, guildId),
  });
  const sharedGuilds = (userId: string) => dmGuilds.of(userId);
  const deferAfterMs = opts.deferAfterMs ?? 1_500;
  let reported: string | undefined;

  const inboundContext: InboundContext = {
    client,
    own,
    webhooks,
    async agentIdByName(workspaceId, name) {
      const agents = await hooks.listAgents('discord', workspaceId);
      return agents.find((a) => a.name.toLowerCase() === name.toLowerCase())?.id;
    },
    sharedGuilds,
  };

  /** The fix for a failure a person must act on, logged once however many paths report it. */
  const reportFailure = (line: string, reason: unknown) => {
    if (reported === line) return;
    reported = line;
    logger.error({ reason }, line);
  };

  // Messages, edits and deletions: translated and handed on in each channel's order (an edit never
  // overtakes its message); what the service cannot take is tried again, and a message given up is
  // read again by the next catch-up.
  let recoveryReadAt = 0;
  let recoveryTimer: NodeJS.Timeout | undefined;
  const readGivenUp = () => {
    recoveryTimer = undefined;
    recoveryReadAt = Date.now();
    catchUp.trigger('the service takes messages again', false);
  };
  const inbound = new IngestQueue<InboundItem>({
    ...opts.ingest,
    logger,
    handle: (item) => item.run(),
    onGivenUp(item) {
      if (item.kind === 'message') catchUp.hole(item.key, item.id);
    },
    onHandled() {
      if (!catchUp.hasHoles || recoveryTimer) return;
      const wait = recoveryReadAt + RECOVERY_READ_EVERY_MS - Date.now();
      if (wait <= 0) readGivenUp();
      else recoveryTimer = setTimeout(readGivenUp, wait).unref();
    },
  });
  const messageItem = (message: Message): InboundItem => ({
    key: message.channelId,
    id: message.id,
    kind: 'message',
    async run() {
      const translated = await toInbound(message, inboundContext);
      if (translated) await hooks.onInbound(translated);
    },
  });
  const receive = (message: Message) => served(message.guildId) && inbound.push(messageItem(message));
  const catchUp = new CatchUp(
    {
      client,
      logger,
      ...(hooks.catchUpPoints && {
        points: (window) => hooks.catchUpPoints?.('discord', window) ?? Promise.resolve([]),
      }),
      ingest: async (message) => {
        if (served(message.guildId)) await inbound.pushWhenRoom(messageItem(message));
      },
    },
    opts.catchUp,
  );
  const onChange = (
    kind: 'edit' | 'delete',
    data: GatewayMessageUpdateDispatchData | GatewayMessageDeleteDispatchData,
  ) =>
    served(data.guild_id) &&
    // Our own messages change only by our edits (a streamed reply, ~1/s): nothing to store.
    !(kind === 'edit' && own.agentOf(data.id)) &&
    inbound.push({
      key: data.channel_id,
      id: data.id,
      kind,
      async run() {
        const change = await toChange(kind, data, client);
        if (change) await hooks.onChange(change);
      },
    });

  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  client.on(Events.Warn, (warning) => logger.warn({ warning }, 'discord client warning'));
  client.on(Events.ShardError, (error, shardId) => {
    const line = explainConnectionFailure(error);
    if (line) reportFailure(line, error.message);
    else logger.warn({ err: error, shardId }, 'discord gateway error');
  });
  client.on(Events.ShardDisconnect, (event, shardId) => {
    const line = explainConnectionFailure(event.code);
    if (line) reportFailure(line, event.code);
    else logger.warn({ code: event.code, shardId }, 'discord gateway disconnected for good');
  });
  client.on(Events.ShardReconnecting, (shardId) => logger.info({ shardId }, 'discord gateway reconnecting'));
  // A new session (start, or Discord refused to resume) and a resumed one may both have missed messages.
  client.on(Events.ShardReady, () => catchUp.trigger('ready'));
  client.on(Events.ShardResume, (_shardId, replayed) => catchUp.trigger(`resumed (${replayed} replayed)`));
  client.on(Events.MessageCreate, receive);
  // Added to a guild DISCORD_ALLOWED_GUILDS leaves out: the bot leaves it again.
  client.on(Events.GuildCreate, (guild) => void leaveIfNotServed(guild, 'added to it'));
  // A removal (kicked, or the guild deleted); an outage arrives as GuildUnavailable instead.
  client.on(Events.GuildDelete, (guild) => {
    hooks
      .onWorkspaceRemoved?.('discord', guild.id, 'guild_removed')
      .catch((error: unknown) =>
        logger.warn({ err: error, guild: guild.id }, 'discord guild removal not recorded'),
      );
  });
  // Raw dispatches: discord.js only reports edits and deletions of messages still in its cache.
  client.ws.on(GatewayDispatchEvents.MessageUpdate, (data: GatewayMessageUpdateDispatchData) =>
    onChange('edit', data),
  );
  client.ws.on(GatewayDispatchEvents.MessageDelete, (data: GatewayMessageDeleteDispatchData) =>
    onChange('delete', data),
  );
  client.ws.on(GatewayDispatchEvents.MessageDeleteBulk, (data: GatewayMessageDeleteBulkDispatchData) => {
    for (const id of data.ids) onChange('delete', { ...data, id });
  });
  // A deleted channel: its agents leave it (the audit says the platform did it) and its webhook is
  // forgotten. Raw, so a channel discord.js never cached counts too. A deleted thread needs nothing
  // here: agents join channels, not threads, and a reply still queued for the thread finds it gone
  // when it posts (Unknown Channel: undeliverable, not retried).
  client.ws.on(GatewayDispatchEvents.ChannelDelete, (data: GatewayChannelDeleteDispatchData) => {
    webhooks.forget(data.id);
    if (!('guild_id' in data) || !data.guild_id || !hooks.onChannelRemoved || !served(data.guild_id)) return;
    hooks.onChannelRemoved('discord', data.id, CHANNEL_DELETED_ACTOR).then(
      (left) => {
        if (left > 0)
          logger.info({ channelId: data.id, left }, 'discord channel deleted: its agents left it');
      },
      (error: unknown) =>
        logger.error(
          { err: error, channelId: data.id },
          'discord channel deleted, but its agents could not leave it: they stay joined to a channel that is gone',
        ),
    );
  });
  client.on(Events.InteractionCreate, (interaction) => {
    // Discord has no silent acknowledgement: the person sees its own "did not respond".
    if (!served(interaction.guildId)) return;
    handleInteraction(interaction, { hooks, deferAfterMs, sharedGuilds }).catch((error: unknown) =>
      logger.warn({ err: error, interactionId: interaction.id }, 'discord interaction not answered'),
    );
  });

  /** A guild DISCORD_ALLOWED_GUILDS leaves out: leave it, and say so. */
  async function leaveIfNotServed(guild: Guild, when: string): Promise<void> {
    if (workspaceAllowed(config.allowedGuilds, guild.id)) return;
    try {
      await guild.leave();
      logger.warn(
        { guild: guild.id, name: guild.name },
        `left the discord server ${guild.name} (${when}): it is not in DISCORD_ALLOWED_GUILDS`,
      );
    } catch (error) {
      logger.error(
        { err: error, guild: guild.id, name: guild.name },
        `could not leave the discord server ${guild.name}, which is not in DISCORD_ALLOWED_GUILDS: its messages and commands are still ignored`,
      );
    }
  }

  async function register(): Promise<void> {
    const applicationId = client.application?.id;
    if (!applicationId) return;
    try {
      const done = await registerCommands({
        rest: client.rest,
        applicationId,
        ...(config.guildId && { guildId: config.guildId }),
      });
      logger.info({ scope: done.scope, guildId: done.guildId }, 'registered the /agent command on discord');
    } catch (error) {
      logger.warn(
        { err: error },
        'could not register /agent on discord. Fix: invite the bot with the applications.commands scope (agent-bridge discord invite), then run agent-bridge discord register',
      );
    }
  }

  return {
    platform: 'discord',
    typingRefreshMs: opts.typingRefreshMs ?? DISCORD_TYPING_REFRESH_MS,
    client,
    live,

    async start() {
      if (!config.botToken) throw new DiscordConnectionError('DISCORD_BOT_TOKEN is not set');
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      try {
        await client.login(config.botToken);
      } catch (error) {
        const line = explainConnectionFailure(error);
        if (line) reportFailure(line, error instanceof Error ? error.message : error);
        await client.destroy();
        throw new DiscordConnectionError(line ?? `could not connect to Discord: ${String(error)}`, {
          cause: error,
        });
      }
      if (!client.isReady()) await ready;
      logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord gateway connected');
      await Promise.all(
        [...client.guilds.cache.values()].map((guild) => leaveIfNotServed(guild, 'at start')),
      );
      if (opts.registerCommands !== false) await register();
    },

    async stop() {
      clearTimeout(recoveryTimer);
      // The catch-up may be waiting for room in the queue: stopping the queue lets it end.
      const catchingUp = catchUp.stop();
      await client.destroy();
      webhookRest.clearHashSweeper();
      webhookRest.clearHandlerSweeper();
      await inbound.stop();
      await catchingUp;
    },

    identity(): BotIdentity | undefined {
      const user = client.user;
      return user ? { userId: user.id, name: user.username } : undefined;
    },

    deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
      const botUserId = () => client.user?.id;
      const threadState = (threadId: string) => {
        const channel = client.channels.cache.get(threadId);
        return channel?.isThread() ? { archived: channel.archived, locked: channel.locked } : undefined;
      };
      return deliverReply(
        { rest: client.rest, webhookRest, webhooks, own, logger, botUserId, threadState, live },
        reply,
        onPosted,
      );
    },

    async directMessage(userId: string, text: string): Promise<void> {
      const dm = (await client.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
        id: string;
      };
      await client.rest.post(Routes.channelMessages(dm.id), {
        body: { content: text, allowed_mentions: { parse: [] } },
      });
    },

    async startTyping(target: TypingTarget): Promise<void> {
      await client.rest.post(Routes.channelTyping(target.threadId ?? target.channelId));
    },

    // Discord has no "stop typing": the indicator ends with our post or after ~10 s; the
    // TypingManager stops refreshing it.
    async stopTyping(_target: TypingTarget): Promise<void> {},
  };
}
