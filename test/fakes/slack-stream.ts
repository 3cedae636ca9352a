/**
 * Slack's streaming methods as the fake answers them (docs.slack.dev chat.startStream /
 * chat.appendStream / chat.stopStream): a stream is one message, started in a thread (`thread_ts`),
 * in a channel only for a named recipient (`recipient_user_id` + `recipient_team_id`), grown by
 * appends of `markdown_text` and ended by a stop (which may add text and metadata). Refusals as
 * Slack gives them: an append or a stop on a stream that is over answers
 * `message_not_in_streaming_state`, on a ts that is no message `message_not_found`; a start without
 * `thread_ts` or, outside a DM, without its recipient answers `invalid_arguments`. `chat.update`
 * refuses a message still streaming (`streaming_state_conflict`, in slack-api.ts).
 */
import type { SlackMessageStore, StoredSlackMessage } from './slack-messages.ts';

type StreamAnswer = { body: Record<string, unknown> } | { error: string };

export function streamCall(
  call: { method: string; params: Record<string, unknown> },
  store: SlackMessageStore,
  bot: { userId: string; botId: string },
): StreamAnswer {
  const { params } = call;
  const channel = text(params.channel);
  if (!channel) return { error: 'channel_not_found' };
  const markdown = text(params.markdown_text);
  if (call.method === 'chat.startStream') {
    const thread = text(params.thread_ts);
    if (!thread) return { error: 'invalid_arguments' };
    const isDm = channel.startsWith('D');
    if (!isDm && (!text(params.recipient_user_id) || !text(params.recipient_team_id)))
      return { error: 'invalid_arguments' };
    const stored = store.add({
      channel,
      text: markdown,
      user: bot.userId,
      bot_id: bot.botId,
      thread_ts: thread,
      streaming: true,
      ...(params.username !== undefined && { username: text(params.username) }),
      ...(params.icon_url !== undefined && { icon_url: text(params.icon_url) }),
    });
    return { body: { channel, ts: stored.ts } };
  }
  const found: StoredSlackMessage | undefined = store.find(channel, text(params.ts));
  if (!found) return { error: 'message_not_found' };
  if (!found.streaming) return { error: 'message_not_in_streaming_state' };
  if (call.method === 'chat.appendStream') {
    if (!markdown) return { error: 'invalid_arguments' };
    found.text += markdown;
    return { body: { channel, ts: found.ts } };
  }
  found.text += markdown;
  found.streaming = false;
  const metadata = params.metadata as StoredSlackMessage['metadata'] | undefined;
  if (metadata && typeof metadata === 'object') found.metadata = metadata;
  return { body: { channel, ts: found.ts, message: { ts: found.ts, text: found.text } } };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}
