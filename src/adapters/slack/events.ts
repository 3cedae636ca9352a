/**
 * Bolt listeners for messages, mentions and the assistant pane (the agent view: agent-view.ts). Each event is translated
 * (inbound.ts) and handed to the hooks; the listener returns, and Slack gets its 200, only once
 * the message and its reply intent are stored and scheduled. A hook that fails (overload, the
 * database or Redis down) fails the listener: Slack gets a 5xx and redelivers the event.
 */
import { type App, Assistant } from '@slack/bolt';
import type { BotIdentity } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import type { AdapterHooks } from '../hooks.ts';
import type { ThreadTitles } from './agent-view.ts';
import { plain } from './blocks.ts';
import type { UserDirectory } from './directory.ts';
import { greeting, suggestedPrompts } from './greeting.ts';
import { eventDisplayName, type SlackMessageEvent, translateEvent } from './inbound.ts';
import type { Notices } from './notices.ts';

export interface EventDeps {
  hooks: AdapterHooks;
  identity(): BotIdentity | undefined;
  directory: UserDirectory;
  logger: Logger;
  notices?: Notices;
  /** Names DM threads after their first question. */
  titles?: ThreadTitles;
}

/** The event types listened to below; any other is acknowledged by Bolt and noted once. */
const HANDLED_EVENTS = new Set([
  'message',
  'app_mention',
  'assistant_thread_started',
  'assistant_thread_context_changed',
  'app_home_opened',
  'app_context_changed',
  'tokens_revoked',
  'app_uninstalled',
]);

interface Envelope {
  team_id?: string;
  event_id?: string;
  authorizations?: Array<{ team_id?: string | null }>;
}

export function registerEvents(app: App, deps: EventDeps): void {
  const { hooks, logger } = deps;
  const greeted = new RecentIds(1000);

  app.use(async ({ body, payload, next }) => {
    // A request Bolt could not classify has no payload: Bolt's own Assistant middleware would throw
    // on it (a 500 Slack retries). Unanswered here, notices.ts acknowledges it as unhandled.
    if (typeof payload !== 'object' || payload === null) return;
    const type = (body as { event?: { type?: unknown } }).event?.type;
    if (typeof type === 'string' && !HANDLED_EVENTS.has(type)) deps.notices?.noteEventType(type);
    await next();
  });

  async function dispatch(event: SlackMessageEvent, body: Envelope): Promise<unknown> {
    const bot = deps.identity();
    // Thrown, so Slack gets an error and redelivers once the adapter has started.
    if (!bot) throw new Error('slack adapter is not started');
    const translation = translateEvent(
      event,
      { teamId: teamOf(body), ...(body.event_id && { eventId: body.event_id }) },
      bot,
    );
    if (translation.kind === 'skip') {
      logger.debug({ reason: translation.reason, eventId: body.event_id }, 'slack event skipped');
      return undefined;
    }
    if (translation.kind === 'change') return hooks.onChange(translation.change);
    const { message } = translation;
    deps.titles?.note({ ...message, isBot: message.author.isBot });
    if (!message.author.isBot && !eventDisplayName(event)) {
      // users.info stays off the acknowledgement path: the name known now, else it arrives later.
      // A one-to-one DM never shows the model a name (there is one person), so it needs none.
      const known = deps.directory.peek(message.author.id);
      if (known) message.author.displayName = known.displayName;
      else if (!message.isDirect) learnName(message.author.id);
    }
    return hooks.onInbound(message);
  }

  function learnName(userId: string): void {
    void deps.directory
      .lookup(userId)
      .then((info) =>
        info.displayName !== userId ? hooks.onUserName('slack', userId, info.displayName) : undefined,
      )
      .catch((error: unknown) => logger.debug({ err: error, userId }, 'slack user name not stored'));
  }

  async function handle(event: SlackMessageEvent, body: Envelope): Promise<void> {
    await dispatch(event, body);
  }

  app.assistant(
    new Assistant({
      // The agents read their context from the store; Bolt's default store calls conversations.replies.
      threadContextStore: { get: async () => ({}), save: async () => {} },
      threadStarted: async ({ event, body, say, setSuggestedPrompts }) => {
        if (
          !greeted.add(
            body.event_id ?? `${event.assistant_thread.channel_id}:${event.assistant_thread.thread_ts}`,
          )
        ) {
          return;
        }
        try {
          const agents = await hooks.listAgents('slack', teamOf(body));
          await say(plain(greeting(agents.map((a) => a.name))));
          const prompts = suggestedPrompts(agents);
          if (prompts) await setSuggestedPrompts(prompts);
        } catch (error) {
          logger.warn({ err: error }, 'slack assistant greeting failed');
        }
      },
      threadContextChanged: async () => {},
      userMessage: async ({ message, body }) => handle(message as SlackMessageEvent, body),
    }),
  );
  app.event('app_mention', async ({ event, body }) => handle(event as SlackMessageEvent, body));
  // Removed from the workspace: Slack sends both when the app is uninstalled; tokens_revoked alone
  // when the bot token was revoked (a revoked user token alone changes nothing here).
  app.event('app_uninstalled', async ({ body }) => {
    await hooks.onWorkspaceRemoved?.('slack', teamOf(body), 'uninstalled');
  });
  app.event('tokens_revoked', async ({ event, body }) => {
    const bots = (event as { tokens?: { bot?: unknown[] } }).tokens?.bot ?? [];
    if (bots.length > 0) await hooks.onWorkspaceRemoved?.('slack', teamOf(body), 'tokens_revoked');
  });
  app.event('message', async ({ event, body }) => handle(event as SlackMessageEvent, body));
}

function teamOf(body: Envelope): string {
  return body.team_id ?? body.authorizations?.[0]?.team_id ?? '';
}

/** Insertion-ordered set with a cap: remembers recent ids without growing forever. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}

  /** False when `id` was seen already. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value ?? '');
    return true;
  }
}
