/**
 * Slack event payloads → InboundMessage / MessageChange. Pure translation: which messages get a
 * reply is the orchestrator's call; this only drops what is not a message (joins, topics), our
 * own posts, and the `message` twin of an `app_mention`.
 */
import type { Attachment } from '../../core/attachments.ts';
import type { BotIdentity, InboundMessage } from '../../core/types.ts';
import type { MessageChange } from '../../orchestrator/orchestrator.ts';
import { decodeEntities } from './format.ts';

/** The fields of Slack's `message` / `app_mention` events this adapter reads (all optional on the wire). */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  /** Set on messages an app posted (with or without `bot_id`, e.g. some workflow steps). */
  app_id?: string;
  username?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  hidden?: boolean;
  user_profile?: { display_name?: string; real_name?: string; name?: string };
  bot_profile?: { name?: string };
  message?: SlackMessageEvent;
  previous_message?: SlackMessageEvent;
  deleted_ts?: string;
  /** `file_share` messages (and others with uploads): the files shared. */
  files?: SlackFile[];
}

/** The fields of a Slack file object this adapter reads. */
export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

export interface EventEnvelope {
  /** The workspace the app is installed in (`team_id` of the envelope). */
  teamId: string;
  /** `event_id`: Slack's delivery id, the same on every retry. */
  eventId?: string;
}

export type Translation =
  | { kind: 'inbound'; message: InboundMessage }
  | { kind: 'change'; change: MessageChange }
  | { kind: 'skip'; reason: string };

/** Message subtypes that carry a person's or app's words; every other subtype is a system notice. */
const CONTENT_SUBTYPES = new Set([undefined, 'bot_message', 'file_share', 'me_message', 'thread_broadcast']);
const MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;
/** Slackbot's user id: its DMs are notices ("You have been removed from #x"), never a person. */
export const SLACKBOT_USER_ID = 'USLACKBOT';

/** Platform user ids of `<@U…>` / `<@U…|name>` tokens, in order, without duplicates. */
export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(MENTION)].map((m) => m[1] ?? ''))].filter(Boolean);
}

/** A thread reply's root; a thread's parent message (thread_ts === ts) lives at the top level. */
function threadOf(event: Pick<SlackMessageEvent, 'thread_ts' | 'ts'>): string | undefined {
  return event.thread_ts && event.thread_ts !== event.ts ? event.thread_ts : undefined;
}

function isOurs(event: SlackMessageEvent, bot: BotIdentity): boolean {
  return (
    (Boolean(bot.botId) && event.bot_id === bot.botId) || (Boolean(event.user) && event.user === bot.userId)
  );
}

/** The name the event itself carries, if any (users.info fills in the rest). */
export function eventDisplayName(event: SlackMessageEvent): string | undefined {
  const profile = event.user_profile;
  return (
    profile?.display_name?.trim() ||
    profile?.real_name?.trim() ||
    profile?.name?.trim() ||
    event.username?.trim() ||
    event.bot_profile?.name?.trim() ||
    undefined
  );
}

/**
 * One Slack event → what the orchestrator needs. `displayName` is the author's name when the
 * caller looked it up; otherwise the event's own, else the user id.
 */
export function translateEvent(
  event: SlackMessageEvent,
  envelope: EventEnvelope,
  bot: BotIdentity,
  displayName?: string,
): Translation {
  const channel = event.channel;
  if (!channel) return { kind: 'skip', reason: 'no_channel' };
  if (event.type === 'message' && event.subtype === 'message_changed')
    return edit(event, channel, envelope, bot);
  if (event.type === 'message' && event.subtype === 'message_deleted')
    return deletion(event, channel, envelope);
  if (event.type !== 'message' && event.type !== 'app_mention')
    return { kind: 'skip', reason: 'not_a_message' };
  if (!CONTENT_SUBTYPES.has(event.subtype)) return { kind: 'skip', reason: `subtype_${event.subtype}` };
  if (!event.ts) return { kind: 'skip', reason: 'no_ts' };
  if (isOurs(event, bot)) return { kind: 'skip', reason: 'own_message' };

  const isDirect = event.channel_type === 'im';
  const text = event.text ?? '';
  const mentions = mentionedUserIds(text);
  // Slack sends `app_mention` and `message` for one mention of the bot by a person: the
  // app_mention carries it. A bot's mention may come without an app_mention; the orchestrator's
  // dedupe by (channel, ts) covers the case where both arrive.
  // Apps and workflows post with a bot_id, as bot_message, or with only an app_id / bot_profile.
  const isBot =
    Boolean(event.bot_id) ||
    event.subtype === 'bot_message' ||
    Boolean(event.app_id) ||
    Boolean(event.bot_profile);
  if (event.type === 'message' && !isDirect && !isBot && mentions.includes(bot.userId)) {
    return { kind: 'skip', reason: 'app_mention_twin' };
  }
  const isSystem = event.user === SLACKBOT_USER_ID;
  const authorId = event.user ?? event.bot_id;
  if (!authorId) return { kind: 'skip', reason: 'no_author' };
  const threadId = threadOf(event);
  const message: InboundMessage = {
    platform: 'slack',
    workspaceId: envelope.teamId,
    channelId: channel,
    ...(threadId && { threadId }),
    // Slack channel replies go in a thread: the one the message is in, else its own.
    ...(!isDirect && { replyThreadId: threadId ?? event.ts }),
    isDirect,
    author: {
      id: authorId,
      displayName: displayName ?? eventDisplayName(event) ?? authorId,
      isBot,
      ...(event.bot_id && { botId: event.bot_id }),
      ...(isSystem && { isSystem }),
    },
    text: decodeEntities(text),
    ...(event.files?.length && { attachments: event.files.map(slackAttachment) }),
    mentionedUserIds: mentions,
    platformMessageId: event.ts,
    ...(envelope.eventId && { platformEventId: envelope.eventId }),
    sentAt: slackTime(event.ts),
  };
  return { kind: 'inbound', message };
}

function edit(
  event: SlackMessageEvent,
  channel: string,
  envelope: EventEnvelope,
  bot: BotIdentity,
): Translation {
  const current = event.message;
  if (!current?.ts) return { kind: 'skip', reason: 'no_ts' };
  // Our replies are stored as the model wrote them; Slack's copy (mrkdwn, unfurls) must not replace it.
  if (isOurs(current, bot)) return { kind: 'skip', reason: 'own_message' };
  const text = current.text ?? '';
  // Link unfurls and thread bookkeeping arrive as message_changed with the text unchanged.
  if (event.previous_message && event.previous_message.text === current.text) {
    return { kind: 'skip', reason: 'text_unchanged' };
  }
  return {
    kind: 'change',
    change: {
      kind: 'edit',
      platform: 'slack',
      workspaceId: envelope.teamId,
      channelId: channel,
      threadId: threadOf(current),
      platformMessageId: current.ts,
      text: decodeEntities(text),
    },
  };
}

function deletion(event: SlackMessageEvent, channel: string, envelope: EventEnvelope): Translation {
  const ts = event.deleted_ts ?? event.previous_message?.ts;
  if (!ts) return { kind: 'skip', reason: 'no_ts' };
  const previous = event.previous_message;
  return {
    kind: 'change',
    change: {
      kind: 'delete',
      platform: 'slack',
      workspaceId: envelope.teamId,
      channelId: channel,
      threadId: previous ? threadOf({ ts, thread_ts: previous.thread_ts }) : undefined,
      platformMessageId: ts,
    },
  };
}

/**
 * A Slack file as a descriptor. A Slack Connect file from another organisation comes with only its
 * id (`file_access: check_file_info`, no urls): it is named, not fetched.
 */
export function slackAttachment(file: SlackFile): Attachment {
  const url = file.url_private_download ?? file.url_private;
  return {
    name: file.name || file.title || file.id || 'file',
    ...(file.mimetype && { mimetype: file.mimetype }),
    ...(typeof file.size === 'number' && { size: file.size }),
    ...(url && { url }),
    ...(file.id && { id: file.id }),
  };
}

/** `1700000000.123456` → its Date (Slack ts are seconds with microseconds). */
export function slackTime(ts: string): Date {
  const seconds = Number(ts);
  return Number.isFinite(seconds) ? new Date(Math.round(seconds * 1000)) : new Date();
}
