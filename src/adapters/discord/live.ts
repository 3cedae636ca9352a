/**
 * Streamed replies on Discord (docs/decisions.md 17). The first text is posted the way a reply's
 * part is (the channel's webhook as the agent, else the bot: in DMs, or where the webhook is
 * refused), pinging nobody and without link previews; then that one message is edited whole with
 * the text so far. Mid-stream it shows only what fits one message (2,000 characters, an open code
 * fence closed); the rest appears when the reply is delivered, in more messages.
 *
 * Pacing: the session (streaming/live-session.ts) edits a message at most once a second; here the
 * edits of one channel go one at a time, a second after the last was answered, so several replies
 * streaming in one channel share that second. Under that, discord.js reads Discord's X-RateLimit-*
 * headers and waits before a bucket runs out, and a 429 is waited out and the edit sent again: a
 * rate limit delays an edit, never fails the reply.
 *
 * The final text: delivery calls `finishInto`, which edits the started message into the reply's
 * first part exactly as a post would show it (with the 👍/👎 buttons when it is the last part). A
 * started message deleted meanwhile (Unknown Message), or one the route delivery takes cannot edit
 * (the webhook changed, the thread closed), is left alone: the part is posted instead.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type APIMessage, type REST, RESTJSONErrorCodes, Routes } from 'discord.js';
import type { LiveMessages, LiveTarget, StartedMessage } from '../../core/live-reply.ts';
import { closeOpenMarkdown, LIVE_UPDATE_INTERVAL_MS } from '../../core/live-text.ts';
import type { Logger } from '../../logger.ts';
import {
  DISCORD_MESSAGE_LIMIT,
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
import { refusalOf } from './refusals.ts';
import { isDiscordError, type WebhookDirectory } from './webhooks.ts';

/** Channels remembered for pacing (bounded; the oldest forgotten first). */
const MAX_PACED_CHANNELS = 10_000;

export type DiscordRoute = 'webhook' | 'bot';

export interface DiscordLive extends LiveMessages {
  /**
   * Edits the started message into a reply's first part (`route` is how delivery posts the reply,
   * `components` the buttons when it is also the last part). The message id, or undefined when the
   * part must be posted instead (the message is gone, or `route` cannot edit it).
   */
  finishInto(
    message: StartedMessage,
    route: DiscordRoute,
    content: string,
    components: unknown[] | undefined,
  ): Promise<string | undefined>;
}

export interface DiscordLiveDeps {
  /** The bot's client (discord.js waits out rate limits and repeats after a 5xx). */
  rest: REST;
  /** Webhook requests: never repeated blindly (a repeated post would show twice). */
  webhookRest: REST;
  webhooks: WebhookDirectory;
  own: OwnPosts;
  logger: Logger;
  intervalMs?: number;
}

export function createDiscordLive(deps: DiscordLiveDeps): DiscordLive {
  const interval = deps.intervalMs ?? LIVE_UPDATE_INTERVAL_MS;
  const paced = channelPacer(interval);
  /** Started messages deleted meanwhile: not edited again (delivery posts the reply instead). */
  const gone = new Set<string>();

  async function start(target: LiveTarget, text: string): Promise<StartedMessage> {
    deps.own.rememberAgent(target.agent);
    const webhook = target.isDirect ? null : await deps.webhooks.forChannel(target.channelId);
    let posted: APIMessage | undefined;
    let webhookId: string | undefined;
    if (webhook) {
      try {
        const query = new URLSearchParams({
          wait: 'true',
          ...(target.threadId && { thread_id: target.threadId }),
        });
        posted = (await deps.webhookRest.post(Routes.webhook(webhook.id, webhook.token), {
          body: {
            content: liveContent('webhook', target, text),
            username: target.agent.name.slice(0, WEBHOOK_USERNAME_MAX),
            ...(target.agent.avatarUrl && { avatar_url: target.agent.avatarUrl }),
            allowed_mentions: NO_PINGS,
            flags: SUPPRESS_EMBEDS,
          },
          query,
          auth: false,
        })) as APIMessage;
        webhookId = webhook.id;
      } catch (error) {
        if (isDiscordError(error, RESTJSONErrorCodes.UnknownWebhook)) {
          deps.webhooks.forget(target.channelId);
          throw error;
        }
        // The same refusals after which delivery posts as the bot (a name Discord refuses…).
        const botCanDoBetter = isDiscordError(
          error,
          RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          RESTJSONErrorCodes.MissingPermissions,
        );
        if (!botCanDoBetter) throw error;
      }
    }
    if (!posted) {
      const nonce = nonceFor(`live:${target.key ?? `${target.channelId}:${target.agent.id}`}`, 0);
      deps.own.recordNonce(nonce);
      const replyTo = target.replyToMessageId;
      posted = (await deps.rest.post(Routes.channelMessages(target.threadId ?? target.channelId), {
        body: {
          content: liveContent('bot', target, text),
          allowed_mentions: NO_PINGS,
          flags: SUPPRESS_EMBEDS,
          nonce,
          enforce_nonce: true,
          ...(replyTo && { message_reference: { message_id: replyTo, fail_if_not_exists: false } }),
        },
      })) as APIMessage;
    }
    deps.own.recordMessage(posted.id, target.agent.id);
    return {
      platform: 'discord',
      channelId: target.channelId,
      messageId: posted.id,
      mode: 'edit',
      ...(target.threadId && { threadId: target.threadId }),
      ...(webhookId && { webhookId }),
    };
  }

  /** Edits the message; false when the route cannot (its webhook is not the channel's any more). */
  async function edit(message: StartedMessage, body: Record<string, unknown>): Promise<boolean> {
    if (message.webhookId) {
      const webhook = await deps.webhooks.forChannel(message.channelId);
      if (!webhook || webhook.id !== message.webhookId) return false;
      await deps.webhookRest.patch(Routes.webhookMessage(webhook.id, webhook.token, message.messageId), {
        body,
        ...(message.threadId && { query: new URLSearchParams({ thread_id: message.threadId }) }),
        auth: false,
      });
      return true;
    }
    await deps.rest.patch(Routes.channelMessage(message.threadId ?? message.channelId, message.messageId), {
      body,
    });
    return true;
  }

  async function update(
    message: StartedMessage,
    text: string,
    shown: string,
    target: LiveTarget,
  ): Promise<StartedMessage> {
    if (gone.has(message.messageId)) return message;
    const route: DiscordRoute = message.webhookId ? 'webhook' : 'bot';
    const content = liveContent(route, target, text);
    // Past the first message's room the text it shows stops changing: no edit.
    if (shown !== '' && content === liveContent(route, target, shown)) return message;
    const where = message.threadId ?? message.channelId;
    try {
      if (!(await paced(where, () => edit(message, { content, allowed_mentions: NO_PINGS })))) {
        throw new Error('discord: the started message belongs to a webhook the channel no longer has');
      }
    } catch (error) {
      if (!isDiscordError(error, RESTJSONErrorCodes.UnknownMessage)) throw error;
      if (gone.size >= MAX_PACED_CHANNELS) gone.clear();
      gone.add(message.messageId);
    }
    return message;
  }

  async function finishInto(
    message: StartedMessage,
    route: DiscordRoute,
    content: string,
    components: unknown[] | undefined,
  ): Promise<string | undefined> {
    if ((message.webhookId ? 'webhook' : 'bot') !== route) return undefined;
    try {
      const edited = await edit(message, {
        content,
        allowed_mentions: NO_PINGS,
        flags: SUPPRESS_EMBEDS,
        // Always sent: the buttons go on the last part, and only there.
        components: components ?? [],
      });
      return edited ? message.messageId : undefined;
    } catch (error) {
      const gone = isDiscordError(
        error,
        RESTJSONErrorCodes.UnknownMessage,
        RESTJSONErrorCodes.UnknownWebhook,
      );
      if (gone || refusalOf(error) === 'thread-closed') {
        deps.logger.info(
          { messageId: message.messageId, code: (error as { code?: unknown }).code },
          'the started discord message cannot take the final text: posting the reply instead',
        );
        return undefined;
      }
      throw error;
    }
  }

  return {
    start,
    update,
    // Discord has no open stream to stop: a started message is always edited whole.
    close: async (message) => message,
    finishInto,
  };
}

/**
 * What a streamed message shows mid-stream, pure: the text so far as its route would post it
 * (webhook: opening with the link to the message answered; bot: with the agent's name), Markdown
 * left open closed, cut to what fits the first message (a fence cut there is closed too).
 */
export function liveContent(route: DiscordRoute, target: LiveTarget, text: string): string {
  const body = safeText(closeOpenMarkdown(text));
  if (route === 'webhook') {
    const replyTo = target.replyToMessageId;
    const link =
      replyTo && replyLinkLine(target.workspaceExternalId, target.threadId ?? target.channelId, replyTo);
    return splitMessage(link ? `${link}\n${body}` : body)[0] ?? '…';
  }
  const limit = target.threadId ? DISCORD_MESSAGE_LIMIT - LINK_ROOM : DISCORD_MESSAGE_LIMIT;
  return splitMessage(withAgentName(target.agent.name, body), limit)[0] ?? '…';
}

/**
 * One streamed edit at a time per channel (or thread), each at least `interval` after the one
 * before it was answered: replies streaming side by side share the channel's second, and an edit
 * discord.js held back for a rate limit holds the next one too, so they never go out in a burst.
 */
function channelPacer(interval: number) {
  const tails = new Map<string, Promise<void>>();
  /** Channel → when its last edit was answered (bounded; the oldest forgotten first). */
  const answeredAt = new Map<string, number>();
  return async function paced<T>(where: string, run: () => Promise<T>): Promise<T> {
    const before = tails.get(where);
    let done = () => {};
    const tail = new Promise<void>((resolve) => {
      done = resolve;
    });
    tails.set(where, tail);
    try {
      await before;
      const wait = (answeredAt.get(where) ?? 0) + interval - Date.now();
      if (wait > 0) await delay(wait);
      return await run();
    } finally {
      answeredAt.delete(where);
      answeredAt.set(where, Date.now());
      if (answeredAt.size > MAX_PACED_CHANNELS) {
        const oldest = answeredAt.keys().next();
        if (!oldest.done) answeredAt.delete(oldest.value);
      }
      if (tails.get(where) === tail) tails.delete(where);
      done();
    }
  };
}
