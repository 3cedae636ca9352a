/**
 * Posting a reply on Discord as its agent: through the channel's webhook (the agent's name and
 * avatar, a link line to the message it answers), else as the bot (the name in bold, a native
 * reply). Every post pings nobody.
 *
 * An agent's last message carries the 👍/👎 buttons (outbound.ts feedbackButtons); notices do not.
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
import { capParts } from '../../core/reply-parts.ts';
import type { OnPartPosted, OutboundReply } from '../../core/types.ts';
import { UndeliverableError } from '../../core/undeliverable.ts';
import type { Logger } from '../../logger.ts';
import { ChannelHistory, sameContent } from './earlier-posts.ts';
import type { DiscordLive } from './live.ts';
import {
  DISCORD_MESSAGE_LIMIT,
  feedbackButtons,
  LINK_ROOM,
  NO_PINGS,
  nonceFor,
  replyLinkLine,
  SUPPRESS_EMBEDS,
  safeText,
  splitMessage,
  WEBHOOK_USERNAME_MAX,
  withAgentName,
} from './outbound.ts';
import type { OwnPosts } from './own-posts.ts';
import { isClosedThread, refusalOf, type ThreadState } from './refusals.ts';
import { isSnowflake, laterOf, snowflakeAt } from './snowflakes.ts';
import { type AgentWebhook, isDiscordError, type WebhookDirectory } from './webhooks.ts';

/** The orchestrator's notices come from this pseudo agent: they are the bot's own words. */
export const NOTICE_AGENT_ID = 'agent-bridge';
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
  /** The thread as discord.js knows it (undefined: not cached, or not a thread). */
  threadState(threadId: string): ThreadState | undefined;
  /** Streamed replies: a reply's first part replaces what its started message shows. */
  live?: DiscordLive;
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

/**
 * Where the parts go. `in-place`: the reply's channel, or its thread. `parent`: the thread is
 * archived or locked, so its parent channel, each form opening with the link to the message answered.
 */
type Place = 'in-place' | 'parent';

/** Posts what is missing of the reply; resolves to the ids of all its messages, in order. */
export async function deliverReply(
  deps: DeliveryDeps,
  reply: OutboundReply,
  onPosted?: OnPartPosted,
): Promise<string[]> {
  /** Part index → platform id: recorded by earlier attempts, then posted or found by this one. */
  const done: Array<string | undefined> = [...(reply.postedParts ?? [])];
  const thread = reply.isDirect ? undefined : reply.threadId;
  const closed = thread !== undefined && isClosedThread(deps.threadState(thread));
  try {
    try {
      return await deliverAt(deps, reply, closed ? 'parent' : 'in-place', onPosted, done);
    } catch (error) {
      if (closed || thread === undefined || refusalOf(error) !== 'thread-closed') throw error;
      // Closed since discord.js last heard of it (or never cached): nothing of this part went out.
      deps.logger.info(
        { threadId: thread, channelId: reply.channelId, code: (error as DiscordAPIError).code },
        'discord thread is archived or locked: replying in its parent channel',
      );
      return await deliverAt(deps, reply, 'parent', onPosted, done);
    }
  } catch (error) {
    if (refusalOf(error) !== 'gone') throw error;
    const where = thread ? `thread ${thread} of channel ${reply.channelId}` : `channel ${reply.channelId}`;
    throw new UndeliverableError(`the Discord ${where} no longer exists (Unknown Channel, 10003)`, {
      cause: error,
    });
  }
}

async function deliverAt(
  deps: DeliveryDeps,
  reply: OutboundReply,
  place: Place,
  onPosted: OnPartPosted | undefined,
  done: Array<string | undefined>,
): Promise<string[]> {
  const isNotice = reply.agent.id === NOTICE_AGENT_ID;
  if (!isNotice) deps.own.rememberAgent(reply.agent);
  const webhook = reply.isDirect || isNotice ? null : await deps.webhooks.forChannel(reply.channelId);
  if (webhook) {
    const posted = await postParts(
      deps,
      reply,
      webhookForm(deps, reply, webhook, place),
      onPosted,
      done,
    ).catch(async (error: unknown) => {
      if (!isDiscordError(error, RESTJSONErrorCodes.UnknownWebhook)) throw error;
      // Deleted by someone since we cached it: one fresh webhook, once.
      deps.webhooks.forget(reply.channelId);
      const fresh = await deps.webhooks.forChannel(reply.channelId);
      return fresh
        ? postParts(deps, reply, webhookForm(deps, reply, fresh, place), onPosted, done)
        : undefined;
    });
    if (posted !== undefined) return posted;
  }
  const bot = botForm(deps, reply, !isNotice, place);
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
    let id = index === 0 ? await finishStarted(deps, reply, form) : undefined;
    if (searching && !id) {
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

/** A streamed reply: its started message, edited into part 1 (undefined: post the part). */
async function finishStarted(deps: DeliveryDeps, reply: OutboundReply, form: Form) {
  if (!reply.started || !deps.live || !form.named) return undefined;
  const last = form.parts.length === 1;
  const components = last ? feedbackButtons(reply.idempotencyKey) : undefined;
  return deps.live.finishInto(reply.started, form.kind, form.parts[0] ?? '…', components);
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

/** The link to the message the reply answers, where it was written (the thread, or the channel). */
function linkLine(reply: OutboundReply): string | undefined {
  if (!reply.replyToPlatformMessageId) return undefined;
  return replyLinkLine(reply.workspaceId, reply.threadId ?? reply.channelId, reply.replyToPlatformMessageId);
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

function webhookForm(deps: DeliveryDeps, reply: OutboundReply, webhook: AgentWebhook, place: Place): Form {
  // Webhook posts always open with the link: the same parts wherever they go.
  const link = linkLine(reply);
  const parts = capParts(
    splitMessage(`${link ? `${link}\n` : ''}${safeText(reply.text)}`),
    reply.maxParts,
    DISCORD_MESSAGE_LIMIT,
  );
  const username = reply.agent.name.slice(0, WEBHOOK_USERNAME_MAX);
  const thread = place === 'in-place' ? reply.threadId : undefined;
  const query = new URLSearchParams({ wait: 'true', ...(thread && { thread_id: thread }) });
  return {
    kind: 'webhook',
    target: thread ?? reply.channelId,
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
          flags: SUPPRESS_EMBEDS,
          // Our webhooks are the application's own: they may carry buttons.
          ...(index === parts.length - 1 && { components: feedbackButtons(reply.idempotencyKey) }),
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

function botForm(deps: DeliveryDeps, reply: OutboundReply, named: boolean, place: Place): Form {
  const text = safeText(reply.text);
  // In a thread, room is kept on the first part for the link a move to the parent adds: the
  // parts stay the same wherever they go, so a retry after the move posts only what is missing.
  const limit = reply.threadId ? DISCORD_MESSAGE_LIMIT - LINK_ROOM : DISCORD_MESSAGE_LIMIT;
  const parts = capParts(
    splitMessage(named ? withAgentName(reply.agent.name, text) : text, limit),
    reply.maxParts,
    limit,
  );
  const link = place === 'parent' ? linkLine(reply) : undefined;
  if (link && parts[0] !== undefined) parts[0] = `${link}\n${parts[0]}`;
  const target = place === 'parent' ? reply.channelId : (reply.threadId ?? reply.channelId);
  // A native reply works only within the channel of the message replied to.
  const replyTo = place === 'parent' ? undefined : reply.replyToPlatformMessageId;
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
          flags: SUPPRESS_EMBEDS,
          nonce,
          enforce_nonce: true,
          ...(named && index === parts.length - 1 && { components: feedbackButtons(reply.idempotencyKey) }),
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
