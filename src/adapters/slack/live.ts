/**
 * Streamed replies on Slack. In a thread (every channel reply is one) the reply streams into one
 * message with chat.startStream / appendStream / stopStream, under the agent's name and icon, to
 * the person it answers. Where Slack refuses a stream (a DM answered in place, a workspace without
 * it: any refusal that retrying cannot cure, remembered per workspace) the reply is posted once and
 * edited whole with chat.update; the session (streaming/live-session.ts) paces both to one call a
 * second. A stream that cannot take the text any more (Slack ends streams after about five minutes:
 * `message_not_in_streaming_state`; or making the text safe changed what already shows) is stopped
 * and edited from then on.
 *
 * The final text is never the streamed Markdown: delivery calls `finishInto`, which stops a stream
 * still open and replaces the message with the reply's first part, converted and made ping-safe
 * like any reply, with the reply's metadata (so a later lookup finds it like any posted part).
 */
import type { webApi } from '@slack/bolt';
import type { LiveMessages, LiveTarget, StartedMessage } from '../../core/live-reply.ts';
import { closeOpenMarkdown } from '../../core/live-text.ts';
import { clipForFormatting } from '../../core/reply-parts.ts';
import { firstSeen, type Logger } from '../../logger.ts';
import { formatForSlack, SLACK_TEXT_LIMIT } from './format.ts';
import { type SlackPart, safeMarkdown } from './markdown.ts';

/** Refusals after which Slack would accept the same call later: not a reason to stop streaming there. */
const PASSING_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);
/** Refusals of this one stream (its channel, its thread): the reply is posted, the workspace still streams. */
const THIS_CALL_ERRORS = new Set([
  'invalid_arguments',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'thread_not_found',
  'msg_too_long',
]);
/** The stream is over (stopped, expired) or gone: the message can still be edited. */
const STREAM_OVER = new Set([
  'message_not_in_streaming_state',
  'message_not_found',
  'streaming_state_conflict',
]);
/** Workspaces remembered as refusing streams (bounded; forgotten on restart). */
const MAX_REMEMBERED = 10_000;

export interface SlackLive extends LiveMessages {
  /**
   * Replaces the started message with the reply's first part and its metadata; the message's ts,
   * or undefined when the message is gone (deleted meanwhile: the part is posted instead).
   */
  finishInto(
    message: StartedMessage,
    part: SlackPart,
    metadata: Record<string, unknown>,
  ): Promise<string | undefined>;
}

export function createSlackLive(deps: { post: webApi.WebClient; logger: Logger }): SlackLive {
  const { post, logger } = deps;
  const refusing = new Set<string>();
  const firstRefusal = firstSeen();

  async function start(target: LiveTarget, text: string): Promise<StartedMessage> {
    const asAgent = {
      username: target.agent.name,
      ...(target.agent.avatarUrl && { icon_url: target.agent.avatarUrl }),
    };
    const streamable = target.isDirect || target.recipientUserId !== undefined;
    if (target.threadId && streamable && !refusing.has(target.workspaceExternalId)) {
      try {
        const started = await post.apiCall('chat.startStream', {
          channel: target.channelId,
          thread_ts: target.threadId,
          markdown_text: safeMarkdown(text),
          ...(target.recipientUserId && {
            recipient_user_id: target.recipientUserId,
            recipient_team_id: target.workspaceExternalId,
          }),
          ...asAgent,
        });
        const { ts } = started as { ts?: unknown };
        if (typeof ts !== 'string' || !ts) throw new Error('slack chat.startStream returned no ts');
        return { platform: 'slack', channelId: target.channelId, messageId: ts, mode: 'stream' };
      } catch (error) {
        const code = slackErrorCode(error);
        if (!code || PASSING_ERRORS.has(code)) throw error;
        if (!THIS_CALL_ERRORS.has(code)) remember(target.workspaceExternalId);
        if (firstRefusal(`${target.workspaceExternalId}:${code}`)) {
          logger.info(
            { code, workspace: target.workspaceExternalId },
            'slack refused a streamed reply: replies there are posted and edited instead',
          );
        }
      }
    }
    const posted = await post.chat.postMessage({
      channel: target.channelId,
      text: liveMrkdwn(text),
      unfurl_links: false,
      unfurl_media: false,
      ...(target.threadId && { thread_ts: target.threadId }),
      ...asAgent,
    });
    if (!posted.ts) throw new Error('slack chat.postMessage returned no ts');
    return { platform: 'slack', channelId: target.channelId, messageId: posted.ts, mode: 'edit' };
  }

  async function update(message: StartedMessage, text: string, shown: string): Promise<StartedMessage> {
    if (message.mode === 'stream') {
      if (text.startsWith(shown) && text.length <= SLACK_TEXT_LIMIT) {
        try {
          const added = text.slice(shown.length);
          if (added !== '') {
            await post.apiCall('chat.appendStream', {
              channel: message.channelId,
              ts: message.messageId,
              markdown_text: safeMarkdown(added),
            });
          }
          return message;
        } catch (error) {
          if (!STREAM_OVER.has(slackErrorCode(error) ?? '')) throw error;
        }
      }
      message = await close(message);
    }
    await post.chat.update({ channel: message.channelId, ts: message.messageId, text: liveMrkdwn(text) });
    return message;
  }

  async function close(message: StartedMessage): Promise<StartedMessage> {
    if (message.mode !== 'stream') return message;
    try {
      await post.apiCall('chat.stopStream', { channel: message.channelId, ts: message.messageId });
    } catch (error) {
      if (!STREAM_OVER.has(slackErrorCode(error) ?? '')) throw error;
    }
    return { ...message, mode: 'edit' };
  }

  async function finishInto(message: StartedMessage, part: SlackPart, metadata: Record<string, unknown>) {
    const open = await close(message);
    try {
      await post.chat.update({
        channel: open.channelId,
        ts: open.messageId,
        text: part.text,
        // Always sent, even empty: the blocks replace whatever the stream left in the message.
        blocks: part.blocks,
        metadata: metadata as unknown as webApi.ChatUpdateArguments['metadata'],
      });
      return open.messageId;
    } catch (error) {
      if (slackErrorCode(error) === 'message_not_found') return undefined;
      throw error;
    }
  }

  function remember(workspace: string): void {
    if (refusing.size >= MAX_REMEMBERED) refusing.clear();
    refusing.add(workspace);
  }

  return { start, update, close, finishInto };
}

/** What a streamed message shows mid-stream in a posted-and-edited message: its first part. */
export function liveMrkdwn(text: string): string {
  const source = clipForFormatting(closeOpenMarkdown(text), 1, SLACK_TEXT_LIMIT);
  return formatForSlack(source.text)[0] ?? '…';
}

/** Slack's error code of a Web API failure (`ratelimited` for a 429), if it is one. */
export function slackErrorCode(error: unknown): string | undefined {
  const { code, data } = (error ?? {}) as { code?: unknown; data?: { error?: unknown } };
  if (code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  if (code === 'slack_webapi_platform_error' && typeof data?.error === 'string') return data.error;
  return undefined;
}
