/**
 * Posting a reply to Slack part by part, each part at most once.
 *
 * Every agent post carries message metadata naming the reply and the part
 * (`agent_bridge_reply` {key: idempotencyKey, part: index}); it needs no scope beyond chat:write
 * and people never see it. What the caller (the delivery job) must provide:
 * - `postedParts[i]`: the ts of part i when an earlier attempt posted it AND recorded it; never
 *   posted again. Parts are posted in order, each handed to `onPosted` (awaited: that is where
 *   it is recorded) before the next. Nothing is remembered here between attempts.
 * - `mayHavePosted`: an earlier attempt may have posted parts it did not record (a crash, an
 *   answer lost on the way back, a timeout). Then, before the first such part, the conversation
 *   is read once (conversations.replies for a thread, conversations.history otherwise) from
 *   `createdAt` minus a minute, with `include_all_metadata`, at most LOOKUP_MAX_PAGES pages; a
 *   part found there (our bot, our key, its index) is reported through `onPosted`, not posted.
 *   Set it on every retry that follows a failed deliver(): a thrown error cannot tell whether
 *   Slack kept the post.
 * - `createdAt`: bounds the lookup. Without it the lookup reads the newest pages only.
 *
 * A lookup never fails a delivery and never waits long: a refusal that retrying cannot fix
 * (missing_scope, not_in_channel, …) posts right away and is logged once per code; a 429 is
 * waited out while the wait fits LOOKUP_BUDGET_MS; other failures (5xx, timeouts) get the lookup
 * client's quick retries. After that the part is posted: a possible duplicate beats silence.
 *
 * chat.postMessage itself is never retried blindly: a 5xx, a timeout or a dropped connection may
 * have posted, so the error is thrown for the caller to retry with `mayHavePosted`. Only a 429
 * (Slack did not post) is waited out (Retry-After) and sent again, `rateLimitRetries` times.
 * Notices (agent `agent-bridge`) have no records: no metadata, no lookup.
 *
 * An agent's part is a Markdown message (markdown.ts: a `markdown` block, a `table` block where a
 * table fits, the mrkdwn conversion as notification text); its last part carries the 👍/👎
 * feedback block (feedback.ts). Notices stay mrkdwn text.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { webApi } from '@slack/bolt';
import { capParts, clipForFormatting } from '../../core/reply-parts.ts';
import type { OnPartPosted, OutboundReply } from '../../core/types.ts';
import { firstSeen, type Logger } from '../../logger.ts';
import { feedbackBlock } from './feedback.ts';
import { formatForSlack, SLACK_TEXT_LIMIT } from './format.ts';
import { type SlackLive, slackErrorCode } from './live.ts';
import { markdownParts, renderPart, type SlackPart } from './markdown.ts';

export const REPLY_EVENT_TYPE = 'agent_bridge_reply';
/** Notices come from the service itself, not an agent: they post as the bot. */
export const SERVICE_AGENT_ID = 'agent-bridge';
/** Slack's clock and ours may differ a little: the lookup starts this much before createdAt. */
export const LOOKUP_MARGIN_MS = 60_000;
export const LOOKUP_PAGE_SIZE = 200;
/** 5 pages of 200: a reply's parts are among the first messages after it was stored. */
export const LOOKUP_MAX_PAGES = 5;
/** The most a lookup waits for rate limits (Retry-After) before it gives up and posts. */
export const LOOKUP_BUDGET_MS = 30_000;

/** Slack errors a retry may cure; any other refusal of a lookup will not go away by itself. */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export interface SlackDeliveryDeps {
  /** Posts replies: no retries of its own, 429 rejected (waited out here). */
  post: webApi.WebClient;
  /** Reads history for lookups: a few quick retries, 429 rejected (waited out here). */
  lookup: webApi.WebClient;
  logger: Logger;
  /** Our bot id (auth.test): only our own posts count as found. */
  botId(): string | undefined;
  /** How many 429s one post waits out before the error is thrown [5]. */
  rateLimitRetries?: number;
  lookupBudgetMs?: number;
  /** Streamed replies: the first part finishes into the message the stream started. */
  live?: SlackLive;
}

type HistoryPage = {
  messages?: Array<{
    ts?: string;
    bot_id?: string;
    metadata?: { event_type?: string; event_payload?: unknown };
  }>;
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
};

export function createSlackDelivery(deps: SlackDeliveryDeps) {
  const { logger } = deps;
  const rateLimitRetries = deps.rateLimitRetries ?? 5;
  const lookupBudgetMs = deps.lookupBudgetMs ?? LOOKUP_BUDGET_MS;
  const firstRefusal = firstSeen();

  async function deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
    const isNotice = reply.agent.id === SERVICE_AGENT_ID;
    const source = clipForFormatting(reply.text, reply.maxParts, SLACK_TEXT_LIMIT);
    const split = isNotice ? formatForSlack(source.text) : markdownParts(source.text, SLACK_TEXT_LIMIT);
    const parts = capParts(split, reply.maxParts, SLACK_TEXT_LIMIT, source.clipped);
    if (parts.length === 0) parts.push('…');
    const ids = parts.map((_, index) => reply.postedParts?.[index] || '');
    const asAgent = isNotice
      ? {}
      : { username: reply.agent.name, ...(reply.agent.avatarUrl && { icon_url: reply.agent.avatarUrl }) };
    let found: Map<number, string> | undefined;

    for (const [index, part] of parts.entries()) {
      if (ids[index]) continue;
      const last = index === parts.length - 1;
      if (reply.mayHavePosted && !isNotice) {
        found ??= await lookUp(reply, missing(ids));
        const earlier = found.get(index);
        if (earlier) {
          ids[index] = earlier;
          await onPosted?.({ index, platformMessageId: earlier, last });
          continue;
        }
      }
      const content: SlackPart = isNotice ? { text: part, blocks: [] } : renderPart(part);
      if (!isNotice && last) content.blocks.push(feedbackBlock(reply.idempotencyKey));
      const metadata = {
        event_type: REPLY_EVENT_TYPE,
        event_payload: { key: reply.idempotencyKey, part: index },
      };
      if (index === 0 && reply.started && deps.live && !isNotice) {
        // A streamed reply: its message exists; the final text (and blocks) replace what it shows.
        const finished = await deps.live.finishInto(reply.started, content, metadata);
        if (finished) {
          ids[index] = finished;
          await onPosted?.({ index, platformMessageId: finished, last });
          continue;
        }
      }
      const ts = await postPart({
        channel: reply.channelId,
        text: content.text,
        ...(content.blocks.length > 0 && { blocks: content.blocks }),
        // No previews: a model's link must not pull content (or a tracking hit) into the channel.
        unfurl_links: false,
        unfurl_media: false,
        ...(reply.threadId && { thread_ts: reply.threadId }),
        ...asAgent,
        ...(!isNotice && { metadata }),
      });
      ids[index] = ts;
      await onPosted?.({ index, platformMessageId: ts, last });
    }
    return ids;
  }

  async function postPart(message: webApi.ChatPostMessageArguments): Promise<string> {
    for (let waits = 0; ; waits++) {
      try {
        const result = await deps.post.chat.postMessage(message);
        if (!result.ts) throw new Error('slack chat.postMessage returned no ts');
        return result.ts;
      } catch (error) {
        const retryAfter = rateLimitedFor(error);
        if (retryAfter === undefined || waits >= rateLimitRetries) throw error;
        logger.info({ channel: message.channel, retryAfter }, 'slack rate-limited a reply; waiting');
        await sleep(retryAfter * 1000);
      }
    }
  }

  /** Parts of this reply already in the conversation, by index. Never throws. */
  async function lookUp(reply: OutboundReply, wanted: Set<number>): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    const botId = deps.botId();
    const deadline = Date.now() + lookupBudgetMs;
    const oldest = reply.createdAt ? slackTs(reply.createdAt.getTime() - LOOKUP_MARGIN_MS) : undefined;
    let cursor: string | undefined;
    try {
      for (let page = 0; page < LOOKUP_MAX_PAGES; page++) {
        const result = await readPage(reply, { oldest, cursor }, deadline);
        for (const message of result.messages ?? []) {
          const index = partOf(message, reply.idempotencyKey, botId);
          if (index !== undefined && wanted.has(index) && message.ts && !found.has(index)) {
            found.set(index, message.ts);
          }
        }
        cursor = result.response_metadata?.next_cursor;
        if (found.size === wanted.size || !result.has_more || !cursor) return found;
      }
      logger.debug(
        { key: reply.idempotencyKey, pages: LOOKUP_MAX_PAGES },
        'slack lookup stopped at its page limit',
      );
    } catch (error) {
      const code = slackErrorCode(error);
      if (code && !TRANSIENT_ERRORS.has(code)) {
        logger[firstRefusal(code) ? 'warn' : 'debug'](
          { err: error, code, channel: reply.channelId },
          'slack refused the lookup for an earlier post of a reply; posting it (add the history scopes to avoid duplicates)',
        );
      } else {
        logger.warn(
          { err: error, channel: reply.channelId, key: reply.idempotencyKey },
          'slack lookup for an earlier post failed; posting anyway (a duplicate beats silence)',
        );
      }
    }
    return found;
  }

  async function readPage(
    reply: OutboundReply,
    at: { oldest: string | undefined; cursor: string | undefined },
    deadline: number,
  ): Promise<HistoryPage> {
    const query = {
      channel: reply.channelId,
      include_all_metadata: true,
      limit: LOOKUP_PAGE_SIZE,
      ...(at.oldest && { oldest: at.oldest }),
      ...(at.cursor && { cursor: at.cursor }),
    };
    for (;;) {
      try {
        return reply.threadId
          ? await deps.lookup.conversations.replies({ ...query, ts: reply.threadId })
          : await deps.lookup.conversations.history(query);
      } catch (error) {
        const retryAfter = rateLimitedFor(error);
        if (retryAfter === undefined || Date.now() + retryAfter * 1000 > deadline) throw error;
        await sleep(retryAfter * 1000);
      }
    }
  }

  return { deliver };
}

/** The part index a message holds for this reply, if it is one of ours. */
function partOf(
  message: NonNullable<HistoryPage['messages']>[number],
  key: string,
  botId: string | undefined,
) {
  const metadata = message.metadata;
  if (metadata?.event_type !== REPLY_EVENT_TYPE) return undefined;
  if (botId && message.bot_id !== botId) return undefined;
  const payload = metadata.event_payload as { key?: unknown; part?: unknown } | undefined;
  if (payload?.key !== key) return undefined;
  const index = Number(payload.part);
  return Number.isInteger(index) && index >= 0 ? index : undefined;
}

function missing(ids: readonly string[]): Set<number> {
  return new Set(ids.flatMap((id, index) => (id ? [] : [index])));
}

/** Milliseconds since the epoch → a Slack ts bound (`seconds.micros`). */
function slackTs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

/** Seconds to wait when `error` is a rate limit (WebClient with rejectRateLimitedCalls). */
function rateLimitedFor(error: unknown): number | undefined {
  const { code, retryAfter } = (error ?? {}) as { code?: unknown; retryAfter?: unknown };
  if (code !== 'slack_webapi_rate_limited_error') return undefined;
  return typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : 1;
}

/** `missing_scope`, `not_in_channel`, … for a Slack refusal; `ratelimited` for a 429. */
