/**
 * Discord events → the platform-neutral InboundMessage / MessageChange. Translation only: who
 * answers, and whether anyone does, is the orchestrator's call.
 *
 * Where a message lives: workspace = guild id (`@dm` for DMs, which also carry the guilds their
 * author shares with the bot); channel = the text channel; a thread is its own conversation
 * (`threadId` = the thread's channel id) under its parent channel (`channelId` = parent id), so
 * agents joined to a channel hear its threads too.
 */
import {
  type Client,
  type GatewayMessageDeleteDispatchData,
  type GatewayMessageUpdateDispatchData,
  type Message,
  MessageType,
} from 'discord.js';
import type { Attachment } from '../../core/attachments.ts';
import type { InboundAuthor, InboundMessage } from '../../core/types.ts';
import { DISCORD_DM_WORKSPACE } from '../../core/workspace-reach.ts';
import type { MessageChange } from '../../orchestrator/orchestrator.ts';
import type { SharedGuild } from './dm-guilds.ts';
import { agentNameOfBotPost } from './outbound.ts';
import type { OwnPosts } from './own-posts.ts';
import type { WebhookDirectory } from './webhooks.ts';

export const DM_WORKSPACE = DISCORD_DM_WORKSPACE;
/**
 * The author of an echo of one of our webhook posts whose agent this process does not know (posted
 * before a restart): still ours, so the orchestrator drops it.
 */
export const UNKNOWN_OWN_AGENT = 'agent-bridge:webhook';
const CONVERSATION_TYPES: ReadonlySet<MessageType> = new Set([MessageType.Default, MessageType.Reply]);

export interface InboundContext {
  client: Client;
  own: OwnPosts;
  webhooks: WebhookDirectory;
  /** The live agent of a workspace with this name, if any. */
  agentIdByName(workspaceId: string, name: string): Promise<string | undefined>;
  /** The guilds a user shares with the bot (never throws): the workspaces their DMs reach. */
  sharedGuilds(userId: string): Promise<SharedGuild[]>;
}

export interface Location {
  workspaceId: string;
  channelId: string;
  threadId?: string;
  isDirect: boolean;
}

/** The InboundMessage for a created message, or undefined for what is not conversation (joins, pins…). */
export async function toInbound(message: Message, ctx: InboundContext): Promise<InboundMessage | undefined> {
  if (message.system || !CONVERSATION_TYPES.has(message.type)) return undefined;
  const location = locationOf(message);
  const author: InboundAuthor = {
    id: message.author.id,
    displayName: message.member?.displayName ?? message.author.globalName ?? message.author.username,
    isBot: message.author.bot,
    ...(message.author.bot && { botId: message.author.id }),
    ...(message.webhookId && { isWebhook: true }),
  };
  const ownAgent = await ownAgentOf(message, ctx);
  if (ownAgent) author.agentId = ownAgent;
  const repliedToAgentId = await repliedAgent(message, location, ctx);
  // Our own posts in a DM come back too: only a person's DM needs their servers.
  const dmWorkspaceIds =
    location.isDirect && !message.author.bot
      ? (await ctx.sharedGuilds(message.author.id)).map((guild) => guild.id)
      : undefined;
  return {
    platform: 'discord',
    ...location,
    ...(dmWorkspaceIds && { dmWorkspaceIds }),
    author,
    // discord.js types content as a string; a payload without it (no MESSAGE_CONTENT intent) gives null.
    text: typeof message.content === 'string' ? message.content : '',
    ...(message.attachments.size > 0 && { attachments: attachmentsOf(message) }),
    mentionedUserIds: [...message.mentions.users.keys()],
    ...(repliedToAgentId && { repliedToAgentId }),
    platformMessageId: message.id,
    sentAt: message.createdAt,
  };
}

export function locationOf(message: Message): Location {
  const { channel } = message;
  if (!message.guildId) return { workspaceId: DM_WORKSPACE, channelId: message.channelId, isDirect: true };
  if (channel.isThread() && channel.parentId) {
    return {
      workspaceId: message.guildId,
      channelId: channel.parentId,
      threadId: channel.id,
      isDirect: false,
    };
  }
  return { workspaceId: message.guildId, channelId: message.channelId, isDirect: false };
}

/** An edit (content changed) or a deletion from a raw gateway dispatch; undefined for embed unfurls. */
export async function toChange(
  kind: 'edit' | 'delete',
  data: GatewayMessageUpdateDispatchData | GatewayMessageDeleteDispatchData,
  client: Client,
): Promise<MessageChange | undefined> {
  let text: string | undefined;
  if (kind === 'edit') {
    const update = data as GatewayMessageUpdateDispatchData;
    if (typeof update.content !== 'string' || !update.edited_timestamp) return undefined;
    text = update.content;
  }
  const where = await locate(client, data.channel_id, data.guild_id);
  const base = { platform: 'discord' as const, ...where, platformMessageId: data.id };
  return text === undefined ? { ...base, kind: 'delete' } : { ...base, kind: 'edit', text };
}

/** Raw events carry only the channel id: a thread's parent comes from the cache, else from Discord. */
async function locate(
  client: Client,
  channelId: string,
  guildId: string | undefined,
): Promise<Pick<MessageChange, 'workspaceId' | 'channelId' | 'threadId'>> {
  if (!guildId) return { workspaceId: DM_WORKSPACE, channelId };
  const channel =
    client.channels.cache.get(channelId) ?? (await client.channels.fetch(channelId).catch(() => null));
  if (channel?.isThread() && channel.parentId) {
    return { workspaceId: guildId, channelId: channel.parentId, threadId: channel.id };
  }
  return { workspaceId: guildId, channelId };
}

/** Discord attachments as descriptors: the model sees them at reply time (worker/attachments). */
function attachmentsOf(message: Message): Attachment[] {
  // Typed as always present, but a payload may lack any of them: what is missing is left out.
  return [...message.attachments.values()].map((a) => ({
    name: typeof a.name === 'string' && a.name !== '' ? a.name : 'attachment',
    ...(typeof a.contentType === 'string' && { mimetype: a.contentType }),
    ...(Number.isFinite(a.size) && { size: a.size }),
    ...(typeof a.url === 'string' && { url: a.url }),
    ...(typeof a.id === 'string' && { id: a.id }),
  }));
}

/** Set when the message is one of our own posts: through our webhook, or with a nonce we sent. */
async function ownAgentOf(message: Message, ctx: InboundContext): Promise<string | undefined> {
  const known = ctx.own.agentOf(message.id);
  if (message.webhookId) {
    if (!(await ctx.webhooks.isOurs(message.webhookId))) return undefined;
    return known ?? ctx.own.agentNamed(message.author.username) ?? UNKNOWN_OWN_AGENT;
  }
  if (ctx.own.isOurNonce(message.nonce)) return known ?? UNKNOWN_OWN_AGENT;
  return undefined;
}

/** The agent whose post this message replies to: remembered, else read off the referenced post. */
async function repliedAgent(
  message: Message,
  location: Location,
  ctx: InboundContext,
): Promise<string | undefined> {
  const referenceId = message.reference?.messageId;
  if (!referenceId) return undefined;
  const remembered = ctx.own.agentOf(referenceId);
  if (remembered) return remembered;
  // discord.js caches the `referenced_message` Discord sends along with a reply.
  const referenced = message.channel.messages.cache.get(referenceId);
  if (!referenced) return undefined;
  let name: string | undefined;
  if (referenced.webhookId && (await ctx.webhooks.isOurs(referenced.webhookId))) {
    name = referenced.author.username;
  } else if (referenced.author.id === ctx.client.user?.id) {
    name = agentNameOfBotPost(referenced.content);
  }
  return name ? ctx.agentIdByName(location.workspaceId, name) : undefined;
}
