/**
 * Requests from Slack that Bolt cannot route, answered 200 at once instead of being left to time
 * out (Bolt's receiver answers 404 after 3 s, and Slack counts every failed delivery against the
 * app: above 5 % in an hour it may disable the event subscriptions):
 * - `app_rate_limited`: Slack is dropping this app's events for the rest of a minute. It has no
 *   inner event. Logged as a warning with its minute, and counted.
 * - any other request nothing acknowledged (a future envelope type, a command or action nothing
 *   listens to): acknowledged, and logged once per type.
 * Event types nothing listens to are acknowledged by Bolt itself; `noteEventType` logs each once.
 * Requests from a team SLACK_ALLOWED_TEAMS leaves out are acknowledged before Bolt sees them.
 */
import type { App, ReceiverEvent } from '@slack/bolt';
import { firstSeen, type Logger } from '../../logger.ts';
import type { AdapterHooks } from '../hooks.ts';

export interface NoticeDeps {
  hooks: Pick<AdapterHooks, 'onNotice'>;
  logger: Logger;
  /**
   * SLACK_ALLOWED_TEAMS: false for a request from a team not served. It is acknowledged and
   * nothing else happens (no listener runs: nothing stored, nothing answered).
   */
  admits?(body: Record<string, unknown>): boolean;
}

export interface Notices {
  /** Runs Bolt on one request, acknowledging what Bolt leaves unacknowledged. */
  process(app: Pick<App, 'processEvent'>, event: ReceiverEvent): Promise<void>;
  /** An event type arrived that nothing here uses: say so once per type. */
  noteEventType(type: string): void;
}

export function createNotices(deps: NoticeDeps): Notices {
  const { logger } = deps;
  const first = firstSeen();
  const once = (key: string, say: () => void): void => {
    if (first(key)) say();
  };

  return {
    async process(app, event) {
      const body = event.body as Record<string, unknown>;
      if (deps.admits && !deps.admits(body)) {
        await event.ack();
        return;
      }
      if (body.type === 'app_rate_limited') {
        await event.ack();
        logger.warn(
          { team: body.team_id, minuteRateLimited: body.minute_rate_limited },
          'slack is rate-limiting the events it sends this app for that minute: some events of that minute are not delivered',
        );
        deps.hooks.onNotice?.({ platform: 'slack', kind: 'app_rate_limited' });
        return;
      }
      const malformed = malformedReason(body);
      if (malformed) {
        // It can never succeed: an error would only make Slack send it again (events are retried).
        await event.ack();
        once(`malformed:${malformed}`, () =>
          logger.warn(
            { reason: malformed },
            'slack sent a request of a shape nothing here can read: acknowledged and dropped (said once per reason)',
          ),
        );
        deps.hooks.onNotice?.({ platform: 'slack', kind: 'malformed' });
        return;
      }
      let acknowledged = false;
      await app.processEvent({
        ...event,
        ack: async (response) => {
          acknowledged = true;
          await event.ack(response);
        },
      });
      if (acknowledged) return;
      await event.ack();
      const kind = requestKind(body);
      once(`request:${kind}`, () =>
        logger.info({ kind }, 'slack sent a request nothing here handles: acknowledged (said once per kind)'),
      );
      deps.hooks.onNotice?.({ platform: 'slack', kind: 'unhandled' });
    },

    noteEventType(type) {
      once(`event:${type}`, () =>
        logger.info({ type }, 'slack event type not used here: acknowledged (said once per type)'),
      );
    },
  };
}

/** Wraps Bolt so a receiver that calls `processEvent` goes through `notices` first. */
export function withNotices(app: App, notices: Notices): App {
  return Object.create(app, {
    processEvent: { value: (event: ReceiverEvent) => notices.process(app, event) },
  }) as App;
}

/**
 * The team a request comes from, as the agents' workspace is keyed: events (`team_id`, else their
 * authorization's), slash commands (`team_id`), forms and buttons (`team.id`, else the user's team).
 */
export function teamOfRequest(body: Record<string, unknown>): string | undefined {
  const pick = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const team = body.team as { id?: unknown } | null | undefined;
  const user = body.user as { team_id?: unknown } | null | undefined;
  const authorizations = body.authorizations as Array<{ team_id?: unknown }> | undefined;
  return pick(body.team_id) ?? pick(authorizations?.[0]?.team_id) ?? pick(team?.id) ?? pick(user?.team_id);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown) => isString(value) && value !== '';
/** Absent, or a string. */
const optionalString = (value: unknown) => value === undefined || isString(value);

/**
 * Why a signed request cannot be processed (Bolt and the listeners would throw on it), or
 * undefined. Only the fields Bolt and our listeners read without checking are looked at.
 */
export function malformedReason(body: unknown): string | undefined {
  if (!isObject(body)) return 'body is not an object';
  if (isString(body.command)) {
    for (const field of ['channel_id', 'user_id', 'team_id'] as const) {
      if (!isString(body[field])) return `slash command without ${field}`;
    }
    return isString(body.text) ? undefined : 'slash command without text';
  }
  // Bolt routes anything with an `event` as an event, whatever `type` says.
  if (body.type === 'event_callback' || body.event !== undefined) {
    const event = body.event;
    if (!isObject(event) || !isString(event.type)) return 'event_callback without an event type';
    if (!optionalString(body.team_id)) return 'event_callback with a team_id that is not text';
    if (event.type.startsWith('assistant_thread_')) {
      const thread = event.assistant_thread;
      if (!isObject(thread) || !nonEmpty(thread.channel_id) || !nonEmpty(thread.thread_ts))
        return `${event.type} without its thread`;
    }
    if (event.type !== 'message' && event.type !== 'app_mention') return undefined;
    for (const field of ['text', 'user', 'channel', 'ts', 'thread_ts', 'subtype', 'channel_type'] as const) {
      if (!optionalString(event[field])) return `${event.type} event with a ${field} that is not text`;
    }
    // Real deliveries carry `bot_id: null` (test/fixtures/slack/file-share-im.json).
    if (event.bot_id !== null && !optionalString(event.bot_id))
      return `${event.type} event with an odd bot_id`;
    if (!nonEmpty(event.channel)) return `${event.type} event without a channel`;
    if (event.thread_ts !== undefined && !nonEmpty(event.thread_ts))
      return `${event.type} event with an empty thread_ts`;
    if (event.message !== undefined && !isObject(event.message))
      return `${event.type} event with an odd message`;
    return undefined;
  }
  if (body.type === 'view_submission' || body.type === 'view_closed') {
    const view = body.view;
    if (!isObject(view) || !isObject(body.user) || !isString(body.user.id))
      return `${body.type} without a view or user`;
    if (!isObject(view.state) || !isObject(view.state.values)) return `${body.type} without form values`;
  }
  return undefined;
}

function requestKind(body: Record<string, unknown>): string {
  if (typeof body.command === 'string') return `command ${body.command}`;
  const event = body.event as { type?: unknown } | undefined;
  if (typeof event?.type === 'string') return `event ${event.type}`;
  return typeof body.type === 'string' ? body.type : 'unknown';
}
