/**
 * Posting a reply on Discord as its agent: through the channel's webhook (the agent's name and
 * avatar, a link line to the message it answers), else as the bot (the name in bold, a native
 * reply). Every post pings nobody; bot posts carry an enforced nonce; chunks already posted by an
 * earlier attempt of the same delivery are not posted again.
 */
import { type APIMessage, type REST, RESTJSONErrorCodes, Routes } from 'discord.js';
import type { OnPartPosted, OutboundReply } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import {
  neutralizeMentions,
  nonceFor,
  replyLinkLine,
  splitMessage,
  visibleText,
  withAgentName,
} from './outbound.ts';
import type { OwnPosts } from './own-posts.ts';
import { type AgentWebhook, isDiscordError, type WebhookDirectory } from './webhooks.ts';

/** The orchestrator's notices come from this pseudo agent: they are the bot's own words. */
export const NOTICE_AGENT_ID = 'agent-bridge';
const WEBHOOK_USERNAME_MAX = 80;
/** Nothing in a reply may ping: not @everyone/@here, roles, users, nor the author replied to. */
const NO_PINGS = { parse: [] as string[], replied_user: false };

export interface DeliveryDeps {
  rest: REST;
  webhooks: WebhookDirectory;
  own: OwnPosts;
  logger: Logger;
}

/** Posts the reply; resolves to the ids of its messages, in order. */
export async function deliverReply(
  deps: DeliveryDeps,
  reply: OutboundReply,
  onPosted?: OnPartPosted,
): Promise<string[]> {
  const isNotice = reply.agent.id === NOTICE_AGENT_ID;
  if (!isNotice) deps.own.rememberAgent(reply.agent);
  const webhook = reply.isDirect || isNotice ? null : await deps.webhooks.forChannel(reply.channelId);
  if (webhook) {
    const posted = await viaWebhook(deps, reply, webhook, onPosted).catch(async (error: unknown) => {
      if (!isDiscordError(error, RESTJSONErrorCodes.UnknownWebhook)) throw error;
      // Deleted by someone since we cached it: one fresh webhook, once.
      deps.webhooks.forget(reply.channelId);
      const fresh = await deps.webhooks.forChannel(reply.channelId);
      return fresh ? viaWebhook(deps, reply, fresh, onPosted) : undefined;
    });
    if (posted !== undefined) return posted;
  }
  return asBot(deps, reply, !isNotice, onPosted);
}

/** `undefined`: the webhook refused the first chunk in a way the bot can do better (post as the bot). */
async function viaWebhook(
  deps: DeliveryDeps,
  reply: OutboundReply,
  webhook: AgentWebhook,
  onPosted: OnPartPosted | undefined,
): Promise<string[] | undefined> {
  const link = reply.replyToPlatformMessageId
    ? `${replyLinkLine(reply.workspaceId, reply.threadId ?? reply.channelId, reply.replyToPlatformMessageId)}\n`
    : '';
  const chunks = splitMessage(`${link}${neutralizeMentions(visibleText(reply.text))}`);
  const key = `${reply.idempotencyKey}:webhook`;
  const query = new URLSearchParams({ wait: 'true', ...(reply.threadId && { thread_id: reply.threadId }) });
  const ids: string[] = [];
  for (const [index, content] of chunks.entries()) {
    const done = reply.postedParts?.[index] ?? deps.own.postedChunk(key, index);
    if (done) {
      ids.push(done);
      continue;
    }
    let message: APIMessage;
    try {
      message = (await deps.rest.post(Routes.webhook(webhook.id, webhook.token), {
        body: {
          content,
          username: reply.agent.name.slice(0, WEBHOOK_USERNAME_MAX),
          ...(reply.agent.avatarUrl && { avatar_url: reply.agent.avatarUrl }),
          allowed_mentions: NO_PINGS,
        },
        query,
        auth: false,
      })) as APIMessage;
    } catch (error) {
      // A name Discord refuses for webhooks ("discord", "clyde"…), or permissions changed: the
      // bot can still speak; but once a chunk is out, the rest must follow in the same form.
      const botCanDoBetter = isDiscordError(
        error,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        RESTJSONErrorCodes.MissingPermissions,
      );
      if (index === 0 && botCanDoBetter) {
        deps.logger.warn({ err: error, agent: reply.agent.name }, 'webhook post refused: posting as the bot');
        return undefined;
      }
      throw error;
    }
    deps.own.recordChunk(key, index, message.id);
    deps.own.recordMessage(message.id, reply.agent.id);
    ids.push(message.id);
    await onPosted?.({ index, platformMessageId: message.id, last: index === chunks.length - 1 });
  }
  return nonEmpty(ids);
}

async function asBot(
  deps: DeliveryDeps,
  reply: OutboundReply,
  named: boolean,
  onPosted: OnPartPosted | undefined,
): Promise<string[]> {
  const text = neutralizeMentions(visibleText(reply.text));
  const chunks = splitMessage(named ? withAgentName(reply.agent.name, text) : text);
  const key = `${reply.idempotencyKey}:bot`;
  const target = reply.threadId ?? reply.channelId;
  const ids: string[] = [];
  for (const [index, content] of chunks.entries()) {
    const done = reply.postedParts?.[index] ?? deps.own.postedChunk(key, index);
    if (done) {
      ids.push(done);
      continue;
    }
    const nonce = nonceFor(reply.idempotencyKey, index);
    deps.own.recordNonce(nonce);
    const message = (await deps.rest.post(Routes.channelMessages(target), {
      body: {
        content,
        allowed_mentions: NO_PINGS,
        nonce,
        enforce_nonce: true,
        ...(index === 0 &&
          reply.replyToPlatformMessageId && {
            message_reference: { message_id: reply.replyToPlatformMessageId, fail_if_not_exists: false },
          }),
      },
    })) as APIMessage;
    deps.own.recordChunk(key, index, message.id);
    if (named) deps.own.recordMessage(message.id, reply.agent.id);
    ids.push(message.id);
    await onPosted?.({ index, platformMessageId: message.id, last: index === chunks.length - 1 });
  }
  return nonEmpty(ids);
}

function nonEmpty(ids: string[]): string[] {
  if (ids.length === 0) throw new Error('discord: a reply produced no message');
  return ids;
}
