/**
 * What Slack sends to a Request URL, signed the way Slack signs it (v0 HMAC-SHA256 of
 * `v0:{timestamp}:{raw body}`): Events API callbacks, slash commands and view submissions.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { nextSlackTs } from './slack-ts.ts';

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  /** Default: now. */
  timestamp?: number;
  /** Sign with this secret instead (a forgery). */
  secret?: string;
  retryNum?: number;
  retryReason?: string;
}

export interface SlackHttpAnswer {
  status: number;
  text: string;
  json(): unknown;
}

/** Posts to `url` as Slack does: `body` is JSON (events) or a form (commands, interactions). */
export async function postSigned(
  url: string,
  secret: string,
  body: { json: unknown } | { form: Record<string, string> },
  options: SignedPostOptions = {},
): Promise<SlackHttpAnswer> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const raw = 'json' in body ? JSON.stringify(body.json) : new URLSearchParams(body.form).toString();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'json' in body ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(options.secret ?? secret, timestamp, raw),
      ...(options.retryNum !== undefined && { 'x-slack-retry-num': String(options.retryNum) }),
      ...(options.retryReason !== undefined && { 'x-slack-retry-reason': options.retryReason }),
    },
    body: raw,
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** A unique Slack message ts (seconds.micros), from the clock the fake Web APIs post with. */
export const nextTs = nextSlackTs;

export function eventId(): string {
  return `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
}

/** The Events API envelope around one event. */
export function eventCallback(
  teamId: string,
  event: Record<string, unknown>,
  options: { eventId?: string; botUserId?: string } = {},
): Record<string, unknown> {
  return {
    token: 'verification-token-unused',
    team_id: teamId,
    api_app_id: 'AFAKEAPP',
    event: { event_ts: event.ts ?? nextTs(), ...event },
    type: 'event_callback',
    event_id: options.eventId ?? eventId(),
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: options.botUserId ?? 'UBOT', is_bot: true },
    ],
  };
}

export function directMessage(fields: {
  user: string;
  text: string;
  channel?: string;
  ts?: string;
  thread_ts?: string;
}) {
  return {
    type: 'message',
    channel_type: 'im',
    channel: fields.channel ?? 'D0DM',
    user: fields.user,
    text: fields.text,
    ts: fields.ts ?? nextTs(),
    ...(fields.thread_ts && { thread_ts: fields.thread_ts }),
  };
}

export function channelMessage(fields: {
  user?: string;
  bot_id?: string;
  subtype?: string;
  text: string;
  channel: string;
  ts?: string;
  thread_ts?: string;
  type?: 'message' | 'app_mention';
}) {
  const type = fields.type ?? 'message';
  return {
    type,
    ...(type === 'message' && { channel_type: 'channel' }),
    channel: fields.channel,
    ...(fields.user && { user: fields.user }),
    ...(fields.bot_id && { bot_id: fields.bot_id }),
    ...(fields.subtype && { subtype: fields.subtype }),
    text: fields.text,
    ts: fields.ts ?? nextTs(),
    ...(fields.thread_ts && { thread_ts: fields.thread_ts }),
  };
}

/** The form Slack posts for `/agent <text>`. */
export function slashCommand(fields: {
  teamId: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  text: string;
  responseUrl: string;
}): Record<string, string> {
  return {
    token: 'verification-token-unused',
    team_id: fields.teamId,
    team_domain: 'fake',
    channel_id: fields.channelId,
    channel_name: fields.channelName ?? (fields.channelId.startsWith('D') ? 'directmessage' : 'general'),
    user_id: fields.userId,
    user_name: fields.userName ?? 'ana',
    command: '/agent',
    text: fields.text,
    api_app_id: 'AFAKEAPP',
    response_url: fields.responseUrl,
    trigger_id: `trigger.${randomBytes(4).toString('hex')}`,
  };
}

/** A view_submission interaction (Slack posts it as `payload=<json>`). */
export function viewSubmission(fields: {
  teamId: string;
  userId: string;
  callbackId: string;
  privateMetadata: string;
  values: Record<string, string>;
}): Record<string, string> {
  const values = Object.fromEntries(
    Object.entries(fields.values).map(([block, value]) => [
      block,
      { value: { type: 'plain_text_input', value } },
    ]),
  );
  const payload = {
    type: 'view_submission',
    team: { id: fields.teamId, domain: 'fake' },
    user: { id: fields.userId, username: 'ana', name: 'ana', team_id: fields.teamId },
    api_app_id: 'AFAKEAPP',
    token: 'verification-token-unused',
    trigger_id: `trigger.${randomBytes(4).toString('hex')}`,
    view: {
      id: 'VFORM',
      team_id: fields.teamId,
      type: 'modal',
      callback_id: fields.callbackId,
      private_metadata: fields.privateMetadata,
      state: { values },
      hash: 'h',
      blocks: [],
    },
    response_urls: [],
  };
  return { payload: JSON.stringify(payload) };
}

/** `app_home_opened`: a person opened the app; tab "messages" is the agent view's conversation. */
export function appHomeOpened(fields: { user: string; channel: string; tab?: 'home' | 'messages' }) {
  return {
    type: 'app_home_opened',
    user: fields.user,
    channel: fields.channel,
    tab: fields.tab ?? 'messages',
    event_ts: nextTs(),
  };
}

/** `app_context_changed`: what the person looks at while the app is visible (entities by relevance). */
export function appContextChanged(fields: { user: string; channel: string; viewing?: string }) {
  return {
    type: 'app_context_changed',
    user: fields.user,
    channel: fields.channel,
    context: fields.viewing ? { entities: [{ type: 'slack#/types/channel_id', value: fields.viewing }] } : {},
    event_ts: nextTs(),
  };
}

/** A click on a feedback button (block_actions, posted as `payload=<json>`). */
export function feedbackClick(fields: {
  teamId: string;
  userId: string;
  channel: string;
  messageTs: string;
  blockId: string;
  actionId: string;
  value: string;
}): Record<string, string> {
  const payload = {
    type: 'block_actions',
    team: { id: fields.teamId, domain: 'fake' },
    user: { id: fields.userId, username: 'ana', name: 'ana', team_id: fields.teamId },
    api_app_id: 'AFAKEAPP',
    token: 'verification-token-unused',
    container: {
      type: 'message',
      message_ts: fields.messageTs,
      channel_id: fields.channel,
      is_ephemeral: false,
    },
    trigger_id: `trigger.${randomBytes(4).toString('hex')}`,
    channel: { id: fields.channel, name: 'directmessage' },
    message: { type: 'message', ts: fields.messageTs, text: '' },
    response_url: 'https://hooks.slack.invalid/actions/unused',
    actions: [
      {
        type: 'feedback_buttons',
        block_id: fields.blockId,
        action_id: fields.actionId,
        value: fields.value,
        text: { type: 'plain_text', text: fields.value === 'positive_feedback' ? '👍' : '👎', emoji: true },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return { payload: JSON.stringify(payload) };
}
