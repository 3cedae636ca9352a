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
import { createTenancyGate } from '../tenancy.ts';
import { registerAgentView, ThreadTitles } from './agent-view.ts';
import { registerCommands } from './commands.ts';
import { createSlackDelivery } from './delivery.ts';
import { createUserDirectory } from './directory.ts';
import { registerEvents } from './events.ts';
import { registerFeedback } from './feedback.ts';
import { createSlackFetch } from './fetch.ts';
import { createSlackLive } from './live.ts';
import { createNotices, teamOfRequest } from './notices.ts';
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
  /**
   * Web API retries (429 Retry-After is always honoured). Default: 5 retries, 1 s → 30 s backoff.
   * Replies are the exception: chat.postMessage only waits out 429s (`retries` of them), since a
   * blind retry after a 5xx or a lost answer could post twice (see delivery.ts).
   */
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

export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { config, hooks } = options;
  const { botToken, signingSecret, appToken } = config;
  if (config.mode === 'off' || !botToken) throw new Error('slack is not configured: set SLACK_BOT_TOKEN');
  const mode = config.mode === 'socket' ? 'socket' : 'http';
  const logger = hooks.logger.child({ platform: 'slack' });
  const bolt = boltLogger(hooks.logger);
  const ackBudgetMs = options.ackBudgetMs ?? DEFAULT_ACK_BUDGET_MS;
  const retryConfig = options.retryConfig ?? DEFAULT_RETRY_CONFIG;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  // Every WebClient here (and Bolt's own) goes through one lean fetch and its keep-alive pool.
  const http = createSlackFetch();
  const clientOptions: webApi.WebClientOptions = {
    slackApiUrl: config.apiUrl,
    logger: bolt,
    retryConfig,
    timeout: requestTimeoutMs,
    fetch: http.fetch,
  };
  const web = new webApi.WebClient(botToken, clientOptions);
  // For what is worthless when late (signals, user names, opening a form): one try, no waiting out a 429.
  const quick = new webApi.WebClient(botToken, {
    ...clientOptions,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: Math.min(2000, ackBudgetMs),
  });
  const typing = new SlackTyping(quick, logger);
  const directory = createUserDirectory(quick, logger);

  let bot: BotIdentity | undefined;
  // Replies: never a blind retry (it could post twice); 429s are waited out in delivery.ts.
  const post = new webApi.WebClient(botToken, {
    ...clientOptions,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  const live = createSlackLive({ post, logger });
  const delivery = createSlackDelivery({
    post,
    live,
    lookup: new webApi.WebClient(botToken, {
      ...clientOptions,
      retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 1000 },
      rejectRateLimitedCalls: true,
      timeout: Math.min(10_000, requestTimeoutMs),
    }),
    logger,
    botId: () => bot?.botId,
    rateLimitRetries: retryConfig.retries ?? 5,
  });
  const tenancy = createTenancyGate({
    allowed: config.allowedTeams,
    logger,
    variable: 'SLACK_ALLOWED_TEAMS',
    ignored: 'slack team ignored: its events, commands and forms are acknowledged and nothing else',
  });
  const notices = createNotices({ hooks, logger, admits: (body) => tenancy.admits(teamOfRequest(body)) });
  let receiver: ReturnType<typeof createHttpReceiver> | DeferredAckSocketReceiver;
  if (mode === 'socket') {
    if (!appToken) throw new Error('slack Socket Mode needs SLACK_APP_TOKEN');
    receiver = new DeferredAckSocketReceiver({
      appToken,
      slackApiUrl: config.apiUrl,
      logger: bolt,
      notices,
      fetch: http.fetch,
    });
  } else {
    if (!signingSecret) throw new Error('slack over HTTP needs SLACK_SIGNING_SECRET');
    receiver = createHttpReceiver({
      signingSecret,
      logger: bolt,
      notices,
      ...(options.app && { app: options.app }),
    });
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
  const titles = new ThreadTitles(quick, logger);
  registerEvents(app, { hooks, identity: () => bot, directory, logger, notices, titles });
  registerAgentView(app, { hooks, client: quick, logger });
  registerFeedback(app, { hooks, ackBudgetMs, logger });
  registerCommands(app, { hooks, directory, formClient: quick, ackBudgetMs, logger });

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
      // Said now rather than at the team's first event: the token's own team is turned away.
      if (auth.team_id) tenancy.admits(auth.team_id);
    },

    async stop() {
      if (mode === 'socket')
        await app.stop().catch((error: unknown) => logger.warn({ err: error }, 'slack socket stop failed'));
      bot = undefined;
      await http.close();
    },

    identity: () => bot,

    deliver: (reply: OutboundReply, onPosted?: OnPartPosted) => delivery.deliver(reply, onPosted),
    live,

    // A user id as the channel posts in the app's DM with that person.
    async directMessage(userId: string, text: string) {
      await web.chat.postMessage({ channel: userId, text, unfurl_links: false });
    },

    startTyping: (target: TypingTarget) => typing.start(target),
    stopTyping: (target: TypingTarget) => typing.stop(target),
    activeSignals: () => typing.active(),
  };
}
