/**
 * Posting a reply on Discord as its agent: through the channel's webhook (the agent's name and
 * avatar, a link line to the message it answers), else as the bot (the name in bold, a native
 * reply). Every post pings nobody.
 *
 * Once, part by part (a long reply is several messages):
 * - a part in `reply.postedParts` was posted and recorded before: it is never posted again;
 * - each part posted is handed to `onPosted` (the caller records it) before the next is posted;
 * - bot posts carry an enforced nonce made of the idempotency key and the part's index: a repeat
 *   within Discord's nonce window (a few minutes) gets the first message back, not a second one;
 * - webhook posts take no nonce: they are sent with `wait=true` (the answer is the message) and
 *   never repeated blindly. When a post's answer is lost (5xx, timeout, connection cut) the channel
 *   is read for it before posting again;
 * - with `reply.mayHavePosted` (an earlier attempt may have posted a part it could not record) the
 *   first part not recorded is looked for in the channel before it is posted: our webhook or bot,
 *   the same content, after the reply was stored. For bot posts this covers a retry beyond the
 *   nonce window.
 */
import {
  type APIMessage,
  DiscordAPIError,
  HTTPError,
  RateLimitError,
  type REST,
  RESTJSONErrorCodes,
  Routes,
} from 'discord.js';
import type { OnPartPosted, OutboundReply } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import { ChannelHistory, sameContent } from './earlier-posts.ts';
import {
  neutralizeMentions,
  nonceFor,
  replyLinkLine,
  splitMessage,
  visibleText,
  withAgentName,
} from './outbound.ts';
import type { OwnPosts } from './own-posts.ts';
import { isSnowflake, laterOf, snowflakeAt } from './snowflakes.ts';
import { type AgentWebhook, isDiscordError, type WebhookDirectory } from './webhooks.ts';

/** The orchestrator's notices come from this pseudo agent: they are the bot's own words. */
export const NOTICE_AGENT_ID = 'agent-bridge';
const WEBHOOK_USERNAME_MAX = 80;
/** Nothing in a reply may ping: not @everyone/@here, roles, users, nor the author replied to. */
const NO_PINGS = { parse: [] as string[], replied_user: false };
/** Clocks differ: an earlier post is looked for from this long before the reply was stored. */
export const LOOKUP_MARGIN_MS = 2 * 60_000;
/** Without `createdAt`, an earlier post is looked for this far back. */
const LOOKUP_FALLBACK_MS = 24 * 3600_000;

export interface DeliveryDeps {
  /** The bot's client; it repeats a request after a 5xx or a timeout (safe: bot posts carry a nonce). */
  rest: REST;
  /** For webhook posts: never repeats a request on its own (see createWebhookRest). */
  webhookRest: REST;
  webhooks: WebhookDirectory;
  own: OwnPosts;
  logger: Logger;
  botUserId(): string | undefined;
}

/** How the parts of one reply are posted, and how one of them is recognised on the channel. */
interface Form {
  kind: 'webhook' | 'bot';
  /** The channel (or thread) the parts appear in. */
  target: string;
  parts: string[];
  post(index: number): Promise<APIMessage>;
  /** Whether `message` is part `index` as this form posts it. */
  isPart(message: APIMessage, index: number): boolean;
  /** Posting a part again is harmless (an enforced nonce). */
  repeatable: boolean;
  /** The posts speak for the agent: replies to them address it. */
  named: boolean;
}

/** Posts what is missing of the reply; resolves to the ids of all its messages, in order. */
export async function deliverReply(
  deps: DeliveryDeps,
  reply: OutboundReply,
  onPosted?: OnPartPosted,
): Promise<string[]> {
  const isNotice = reply.agent.id === NOTICE_AGENT_ID;
  if (!isNotice) deps.own.rememberAgent(reply.agent);
  /** Part index → platform id: recorded by earlier attempts, then posted or found by this one. */
  const done: Array<string | undefined> = [...(reply.postedParts ?? [])];
  const webhook = reply.isDirect || isNotice ? null : await deps.webhooks.forChannel(reply.channelId);
  if (webhook) {
    const posted = await postParts(deps, reply, webhookForm(deps, reply, webhook), onPosted, done).catch(
      async (error: unknown) => {
        if (!isDiscordError(error, RESTJSONErrorCodes.UnknownWebhook)) throw error;
        // Deleted by someone since we cached it: one fresh webhook, once.
        deps.webhooks.forget(reply.channelId);
        const fresh = await deps.webhooks.forChannel(reply.channelId);
        return fresh ? postParts(deps, reply, webhookForm(deps, reply, fresh), onPosted, done) : undefined;
      },
    );
    if (posted !== undefined) return posted;
  }
  const bot = botForm(deps, reply, !isNotice);
  return (await postParts(deps, reply, bot, onPosted, done)) ?? [];
}

/**
 * `undefined`: the webhook refused the reply before any part of it was out, in a way the bot can
 * do better (post as the bot).
 */
async function postParts(
  deps: DeliveryDeps,
  reply: OutboundReply,
  form: Form,
  onPosted: OnPartPosted | undefined,
  done: Array<string | undefined>,
): Promise<string[] | undefined> {
  let history: ChannelHistory | undefined;
  let searching = reply.mayHavePosted === true;
  for (const index of form.parts.keys()) {
    if (done[index]) continue;
    const previous = done[index - 1];
    let id: string | undefined;
    if (searching) {
      history ??= new ChannelHistory(deps.rest, form.target, lowerBound(reply, done), deps.logger);
      const verdict = await history.find((m) => form.isPart(m, index), previous);
      id = verdict.found;
      if (id) {
        deps.logger.info(
          { index, messageId: id },
          'a part of a discord reply was already posted: not posting it again',
        );
      } else {
        if (!verdict.certain) {
          deps.logger.warn(
            { index, channelId: form.target },
            'could not rule out an earlier post of this discord reply part: posting it',
          );
        }
        // Parts go out in order, each once the one before was recorded: none after this one is out.
        searching = false;
      }
    }
    try {
      id ??= await postPart(deps, form, index, previous);
    } catch (error) {
      const nothingOut = done.every((part) => !part);
      if (form.kind === 'webhook' && nothingOut && botCanDoBetter(error)) {
        deps.logger.warn({ err: error, agent: reply.agent.name }, 'webhook post refused: posting as the bot');
        return undefined;
      }
      throw error;
    }
    if (form.named) deps.own.recordMessage(id, reply.agent.id);
    done[index] = id;
    await onPosted?.({ index, platformMessageId: id, last: index === form.parts.length - 1 });
  }
  const ids = done.slice(0, form.parts.length);
  if (ids.length === 0 || ids.some((id) => !id)) throw new Error('discord: a reply produced no message');
  return ids as string[];
}

/** Posts one part; when Discord's answer is lost, finds out whether it went out before posting again. */
async function postPart(
  deps: DeliveryDeps,
  form: Form,
  index: number,
  previous: string | undefined,
): Promise<string> {
  const startedAt = Date.now();
  try {
    return (await form.post(index)).id;
  } catch (error) {
    if (!outcomeUnknown(error)) throw error;
    deps.logger.warn(
      { err: error, index, form: form.kind, channelId: form.target },
      'discord did not answer a post: making sure it is not posted twice',
    );
    if (!form.repeatable) {
      const after = laterOf(
        snowflakeAt(startedAt - LOOKUP_MARGIN_MS),
        isSnowflake(previous) ? BigInt(previous) : undefined,
      );
      const history = new ChannelHistory(deps.rest, form.target, after, deps.logger);
      const verdict = await history.find((m) => form.isPart(m, index), previous);
      if (verdict.found) return verdict.found;
    }
    // Not out (or the same nonce again: Discord answers with the first message).
    return (await form.post(index)).id;
  }
}

/** Discord may have carried the request out: a 5xx, a timeout, a connection cut. */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof HTTPError) return true;
  return !(error instanceof DiscordAPIError || error instanceof RateLimitError);
}

/** A name Discord refuses for webhooks ("discord", "clyde"…), or permissions changed: the bot can still speak. */
function botCanDoBetter(error: unknown): boolean {
  return isDiscordError(
    error,
    RESTJSONErrorCodes.InvalidFormBodyOrContentType,
    RESTJSONErrorCodes.MissingPermissions,
  );
}

/** No part of the reply can be older than this: the reply was stored, its trigger and recorded parts came first. */
function lowerBound(reply: OutboundReply, done: ReadonlyArray<string | undefined>): bigint {
  const stored = reply.createdAt?.getTime() ?? Date.now() - LOOKUP_FALLBACK_MS;
  let bound = snowflakeAt(stored - LOOKUP_MARGIN_MS);
  if (isSnowflake(reply.replyToPlatformMessageId)) {
    bound = laterOf(bound, BigInt(reply.replyToPlatformMessageId));
  }
  for (const id of done) if (isSnowflake(id)) bound = laterOf(bound, BigInt(id));
  return bound;
}

function webhookForm(deps: DeliveryDeps, reply: OutboundReply, webhook: AgentWebhook): Form {
  const link = reply.replyToPlatformMessageId
    ? `${replyLinkLine(reply.workspaceId, reply.threadId ?? reply.channelId, reply.replyToPlatformMessageId)}\n`
    : '';
  const parts = splitMessage(`${link}${neutralizeMentions(visibleText(reply.text))}`);
  const username = reply.agent.name.slice(0, WEBHOOK_USERNAME_MAX);
  const query = new URLSearchParams({ wait: 'true', ...(reply.threadId && { thread_id: reply.threadId }) });
  return {
    kind: 'webhook',
    target: reply.threadId ?? reply.channelId,
    parts,
    repeatable: false,
    named: true,
    async post(index) {
      return (await deps.webhookRest.post(Routes.webhook(webhook.id, webhook.token), {
        body: {
          content: parts[index],
          username,
          ...(reply.agent.avatarUrl && { avatar_url: reply.agent.avatarUrl }),
          allowed_mentions: NO_PINGS,
        },
        query,
        auth: false,
      })) as APIMessage;
    },
    isPart: (message, index) =>
      message.webhook_id === webhook.id &&
      message.author.username === username &&
      sameContent(message.content, parts[index] ?? ''),
  };
}

function botForm(deps: DeliveryDeps, reply: OutboundReply, named: boolean): Form {
  const text = neutralizeMentions(visibleText(reply.text));
  const parts = splitMessage(named ? withAgentName(reply.agent.name, text) : text);
  const target = reply.threadId ?? reply.channelId;
  const replyTo = reply.replyToPlatformMessageId;
  return {
    kind: 'bot',
    target,
    parts,
    repeatable: true,
    named,
    async post(index) {
      const nonce = nonceFor(reply.idempotencyKey, index);
      deps.own.recordNonce(nonce);
      return (await deps.rest.post(Routes.channelMessages(target), {
        body: {
          content: parts[index],
          allowed_mentions: NO_PINGS,
          nonce,
          enforce_nonce: true,
          ...(index === 0 &&
            replyTo && { message_reference: { message_id: replyTo, fail_if_not_exists: false } }),
        },
      })) as APIMessage;
    },
    isPart(message, index) {
      const bot = deps.botUserId();
      // A reply to a message deleted meanwhile goes out without the reference.
      const reference = message.message_reference?.message_id;
      return (
        bot !== undefined &&
        message.author.id === bot &&
        !message.webhook_id &&
        sameContent(message.content, parts[index] ?? '') &&
        (index > 0 || !replyTo || reference === undefined || reference === replyTo)
      );
    },
  };
}
