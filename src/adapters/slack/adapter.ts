/**
 * The Slack PlatformAdapter: Bolt over HTTP (POST /slack/events on the service's express app) or
 * Socket Mode, replies posted as the agent, the working signal, `/agent` and the assistant pane.
 */
import { App, webApi } from '@slack/bolt';
import type { Express, IRouter } from 'express';
import type { Config } from '../../config.ts';
import type {
  BotIdentity,
  OnPartPosted,
  OutboundReply,
  PlatformAdapter,
  TypingTarget,
} from '../../core/types.ts';
import type { AdapterHooks } from '../hooks.ts';
import { registerCommands } from './commands.ts';
import { createUserDirectory } from './directory.ts';
import { registerEvents } from './events.ts';
import { createSlackFetch } from './fetch.ts';
import { formatForSlack } from './format.ts';
import {
  boltLogger,
  createHttpReceiver,
  DEFAULT_ACK_BUDGET_MS,
  DeferredAckSocketReceiver,
} from './receiver.ts';
import { SlackTyping } from './typing.ts';

export interface SlackAdapterOptions {
  config: Config['slack'];
  hooks: AdapterHooks;
  /** HTTP mode: the service's express app; POST /slack/events is mounted on it. */
  app?: Express;
  /** Web API retries (429 Retry-After is always honoured). Default: 5 retries, 1 s → 30 s backoff. */
  retryConfig?: webApi.RetryOptions;
  /** How long an event or command may run before Slack gets its ack anyway [2500]. */
  ackBudgetMs?: number;
  /** Per Web API request [30000]. */
  requestTimeoutMs?: number;
}

export interface SlackAdapter extends PlatformAdapter {
  readonly platform: 'slack';
  readonly mode: 'http' | 'socket';
  /** HTTP mode: the router serving POST /slack/events (already mounted when `app` was given). */
  readonly router: IRouter | undefined;
  /** Signals currently shown (tests, shutdown checks). */
  activeSignals(): number;
}

export const DEFAULT_RETRY_CONFIG: webApi.RetryOptions = {
  retries: 5,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 30_000,
  randomize: true,
};

/** Notices (help, hints) come from the service itself, not an agent: they post as the bot. */
const SERVICE_AGENT_ID = 'agent-bridge';
/** Parts of split replies already posted, per delivery: a retried delivery continues, never reposts. */
const MAX_TRACKED_DELIVERIES = 500;

export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { config, hooks } = options;
  const { botToken, signingSecret, appToken } = config;
  if (config.mode === 'off' || !botToken) throw new Error('slack is not configured: set SLACK_BOT_TOKEN');
  const mode = config.mode === 'socket' ? 'socket' : 'http';
  const logger = hooks.logger.child({ platform: 'slack' });
  const bolt = boltLogger(hooks.logger);
  const ackBudgetMs = options.ackBudgetMs ?? DEFAULT_ACK_BUDGET_MS;
  // Every WebClient here (and Bolt's own) goes through one lean fetch and its keep-alive pool.
  const http = createSlackFetch();
  const clientOptions: webApi.WebClientOptions = {
    slackApiUrl: config.apiUrl,
    logger: bolt,
    retryConfig: options.retryConfig ?? DEFAULT_RETRY_CONFIG,
    timeout: options.requestTimeoutMs ?? 30_000,
    fetch: http.fetch,
  };
  const web = new webApi.WebClient(botToken, clientOptions);
  // For what is worthless when late (signals, lookups, opening a form): one try, no waiting out a 429.
  const quick = new webApi.WebClient(botToken, {
    ...clientOptions,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: Math.min(2000, ackBudgetMs),
  });
  const typing = new SlackTyping(quick, logger);
  const directory = createUserDirectory(quick, logger);

  let bot: BotIdentity | undefined;
  let receiver: ReturnType<typeof createHttpReceiver> | DeferredAckSocketReceiver;
  if (mode === 'socket') {
    if (!appToken) throw new Error('slack Socket Mode needs SLACK_APP_TOKEN');
    receiver = new DeferredAckSocketReceiver({
      appToken,
      slackApiUrl: config.apiUrl,
      logger: bolt,
      fetch: http.fetch,
    });
  } else {
    if (!signingSecret) throw new Error('slack over HTTP needs SLACK_SIGNING_SECRET');
    receiver = createHttpReceiver({ signingSecret, logger: bolt, ...(options.app && { app: options.app }) });
  }
  const app = new App({
    receiver,
    logger: bolt,
    clientOptions,
    convoStore: false,
    deferInitialization: true,
    // Identity comes from our own auth.test in start(); until then events are refused (and redelivered).
    authorize: async () => {
      if (!bot) throw new Error('slack adapter is not started');
      return { botToken, botUserId: bot.userId, ...(bot.botId && { botId: bot.botId }) };
    },
  });
  registerEvents(app, { hooks, identity: () => bot, directory, ackBudgetMs, logger });
  registerCommands(app, { hooks, directory, formClient: quick, ackBudgetMs, logger });

  const progress = new Map<string, string[]>();

  return {
    platform: 'slack',
    mode,
    router: receiver instanceof DeferredAckSocketReceiver ? undefined : receiver.router,

    async start() {
      await app.init();
      const auth = await web.auth.test();
      if (!auth.user_id)
        throw new Error('slack auth.test returned no user_id: is SLACK_BOT_TOKEN a bot token?');
      bot = {
        userId: auth.user_id,
        ...(auth.bot_id && { botId: auth.bot_id }),
        name: auth.user ?? 'agent-bridge',
      };
      if (mode === 'socket') await app.start();
      logger.info({ mode, botUserId: bot.userId, team: auth.team_id }, 'slack connected');
    },

    async stop() {
      if (mode === 'socket')
        await app.stop().catch((error: unknown) => logger.warn({ err: error }, 'slack socket stop failed'));
      bot = undefined;
      await http.close();
    },

    identity: () => bot,

    async deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
      const parts = formatForSlack(reply.text);
      if (parts.length === 0) parts.push('…');
      const posted = [...(reply.postedParts ?? progress.get(reply.idempotencyKey) ?? [])];
      const asAgent =
        reply.agent.id === SERVICE_AGENT_ID
          ? {}
          : { username: reply.agent.name, ...(reply.agent.avatarUrl && { icon_url: reply.agent.avatarUrl }) };
      for (const [index, part] of parts.entries()) {
        if (index < posted.length) continue;
        const result = await web.chat.postMessage({
          channel: reply.channelId,
          text: part,
          ...(reply.threadId && { thread_ts: reply.threadId }),
          ...asAgent,
        });
        if (!result.ts) throw new Error('slack chat.postMessage returned no ts');
        posted.push(result.ts);
        progress.delete(reply.idempotencyKey);
        progress.set(reply.idempotencyKey, posted);
        if (progress.size > MAX_TRACKED_DELIVERIES) progress.delete(progress.keys().next().value ?? '');
        await onPosted?.({ index, platformMessageId: result.ts, last: index === parts.length - 1 });
      }
      progress.delete(reply.idempotencyKey);
      if (posted.length === 0) throw new Error('slack delivery posted nothing');
      return posted;
    },

    startTyping: (target: TypingTarget) => typing.start(target),
    stopTyping: (target: TypingTarget) => typing.stop(target),
    activeSignals: () => typing.active(),
  };
}
