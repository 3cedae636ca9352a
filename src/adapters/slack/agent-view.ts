/**
 * Slack's agent messaging experience (manifest `agent_view`): conversations live in the app's
 * Messages tab. Opening it (`app_home_opened`, tab "messages") greets a person once per workspace
 * (the claim is stored, so a restart does not greet again) and sets suggested prompts naming the
 * workspace's agents; `app_context_changed` (what the person is looking at) is acknowledged.
 * A thread is named after its first question (`assistant.threads.setTitle`). The older assistant
 * pane (`assistant_view`) keeps working through Bolt's Assistant in events.ts.
 */
import type { App, webApi } from '@slack/bolt';
import type { Logger } from '../../logger.ts';
import type { AdapterHooks } from '../hooks.ts';
import { plain } from './blocks.ts';
import { greeting, suggestedPrompts, threadTitle } from './greeting.ts';
import { slackError } from './typing.ts';

export interface AgentViewDeps {
  hooks: AdapterHooks;
  /** Posts the greeting and sets prompts and titles: one try, no long waits. */
  client: webApi.WebClient;
  logger: Logger;
}

interface Envelope {
  team_id?: string;
  authorizations?: Array<{ team_id?: string | null }>;
}

export function registerAgentView(app: App, deps: AgentViewDeps): void {
  const { hooks, client, logger } = deps;

  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'messages' || !event.channel) return;
    const team = teamOf(body as Envelope);
    try {
      const agents = await hooks.listAgents('slack', team);
      if (await hooks.claimGreeting?.('slack', team, event.user)) {
        await client.chat.postMessage({
          channel: event.channel,
          text: plain(greeting(agents.map((a) => a.name))),
        });
      }
      const prompts = suggestedPrompts(agents);
      // No thread_ts: in the agent view Slack sets the prompts of the Messages tab itself (a
      // thread_ts there makes the call fail silently, Slack's docs say).
      if (prompts)
        await client.assistant.threads.setSuggestedPrompts({ channel_id: event.channel, ...prompts });
    } catch (error) {
      logger.warn({ err: error, code: slackError(error) }, 'slack agent view greeting failed');
    }
  });

  app.event('app_context_changed', async ({ event }) => {
    const entities = (event as { context?: { entities?: unknown[] } }).context?.entities ?? [];
    logger.debug({ entities: entities.length }, 'slack app context changed');
  });
}

/** Refusals after which setTitle is not tried again by this process. */
const TITLE_REFUSALS_FOR_GOOD = new Set([
  'missing_scope',
  'not_allowed_token_type',
  'no_permission',
  'invalid_auth',
]);

/**
 * Names a thread after its first question: a person's top-level message in a one-to-one DM starts
 * a thread in the agent view; in the assistant pane the first message seen in its thread. Never
 * waited for, never fails the event.
 */
export class ThreadTitles {
  private readonly titled = new Set<string>();
  private refused = false;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly max = 1000,
  ) {}

  note(message: {
    channelId: string;
    threadId?: string;
    platformMessageId: string;
    text: string;
    isBot: boolean;
  }): void {
    if (this.refused || message.isBot || !message.channelId.startsWith('D')) return;
    const thread = message.threadId ?? message.platformMessageId;
    const key = `${message.channelId}:${thread}`;
    const title = threadTitle(message.text);
    if (!title || this.titled.has(key)) return;
    this.titled.add(key);
    if (this.titled.size > this.max) this.titled.delete(this.titled.values().next().value ?? '');
    void this.client.assistant.threads
      .setTitle({ channel_id: message.channelId, thread_ts: thread, title })
      .catch((error: unknown) => {
        const code = slackError(error);
        if (code && TITLE_REFUSALS_FOR_GOOD.has(code)) this.refused = true;
        this.logger.debug({ err: error, code }, 'slack setTitle refused');
      });
  }
}

function teamOf(body: Envelope): string {
  return body.team_id ?? body.authorizations?.[0]?.team_id ?? '';
}
