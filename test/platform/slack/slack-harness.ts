/**
 * The whole service path for Slack tests: the real Bolt app mounted on our express server at
 * POST /slack/events, talking to the fake Slack Web API; the real pipeline (orchestrator, queues on
 * real Redis under a unique prefix, workers) with the fake Gemini answering. The command core is a
 * recording stub here (its handlers are tested on their own): onCommand calls are recorded and
 * answered by `commandReply`.
 */
import { randomBytes } from 'node:crypto';
import type { PlatformNotice } from '../../../src/adapters/hooks.ts';
import { createSlackAdapter, type SlackAdapter } from '../../../src/adapters/slack/index.ts';
import type { AgentCommand, CommandContext, CommandReply } from '../../../src/commands/command.ts';
import { parseAgentCommand } from '../../../src/commands/parse.ts';
import { parseConfig } from '../../../src/config.ts';
import type { InboundMessage } from '../../../src/core/types.ts';
import { createRedis } from '../../../src/infra/redis.ts';
import { handleFeedback } from '../../../src/orchestrator/feedback.ts';
import type { InboundOutcome } from '../../../src/orchestrator/orchestrator.ts';
import { createPipeline, type Pipeline } from '../../../src/pipeline.ts';
import { createHttpServer, type HttpServer } from '../../../src/server.ts';
import { createAgent, joinChannel, listAgents } from '../../../src/store/agents.ts';
import type { Db } from '../../../src/store/database.ts';
import { claimGreeting } from '../../../src/store/greetings.ts';
import type { HotStore } from '../../../src/store/hot/types.ts';
import { ensureWorkspace } from '../../../src/store/identities.ts';
import { type FakeGemini, startFakeGemini } from '../../fakes/gemini-server.ts';
import { type FakeSlackApi, startFakeSlackApi } from '../../fakes/slack-api.ts';
import {
  eventCallback,
  postSigned,
  type SignedPostOptions,
  type SlackHttpAnswer,
} from '../../fakes/slack-events.ts';
import { testLogger } from '../../support/test-log.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';

export const SIGNING_SECRET = TEST_SECRETS.slackSigningSecret;

export interface SlackHarness {
  slack: FakeSlackApi;
  gemini: FakeGemini;
  adapter: SlackAdapter;
  pipeline: Pipeline;
  http: HttpServer;
  db: Db;
  /** http://127.0.0.1:<port>/slack/events */
  eventsUrl: string;
  teamId: string;
  /** Makes the next N onInbound calls throw, like a database outage. */
  failNextInbound: number;
  /** When onInbound resolved (the message was stored), by platform message id. */
  storedAt: Map<string, number>;
  /** Every message the adapter handed to onInbound, with the orchestrator's answer, in order. */
  outcomes: Array<{ message: InboundMessage; outcome: InboundOutcome }>;
  /** onCommand calls, in order. */
  commands: Array<{ context: CommandContext; command: AgentCommand }>;
  /** Platform notices the adapter reported (app_rate_limited, unhandled requests), in order. */
  notices: PlatformNotice[];
  /** Log lines at warn and above (JSON), whatever TEST_LOG_LEVEL and TEST_LOG_FILE say. */
  logs: string[];
  /** How the stubbed command core answers (default: ok, "Done: <verb>."). */
  commandReply: (context: CommandContext, command: AgentCommand) => Promise<CommandReply>;
  createAgent(
    name: string,
    fields?: { role?: string; avatarUrl?: string; model?: string; loading?: string[] },
  ): Promise<{ id: string; name: string }>;
  join(agentId: string, channelId: string): Promise<void>;
  /** A signed Events API callback with `event`; returns Slack's view of the answer. */
  sendEvent(
    event: Record<string, unknown>,
    options?: SignedPostOptions & { eventId?: string },
  ): Promise<SlackHttpAnswer>;
  sendForm(form: Record<string, string>, options?: SignedPostOptions): Promise<SlackHttpAnswer>;
  close(): Promise<void>;
}

export async function startSlackHarness(
  database: { db: Db; hot: HotStore },
  options: {
    env?: Record<string, string>;
    ackBudgetMs?: number;
    socketUrl?: string;
    /** The team the harness's events and agents belong to [a fresh one]. */
    teamId?: string;
  } = {},
): Promise<SlackHarness> {
  const { db } = database;
  const slack = await startFakeSlackApi();
  if (options.socketUrl) slack.setSocketUrl(options.socketUrl);
  slack.addUser({ id: 'UANA', name: 'ana', displayName: 'Ana' });
  slack.addUser({ id: 'UADMIN', name: 'root', displayName: 'Root', isAdmin: true });
  const gemini = await startFakeGemini();
  const prefix = `abslack_${randomBytes(4).toString('hex')}`;
  const teamId = options.teamId ?? `T${prefix.toUpperCase()}`;
  const config = parseConfig({
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    GOOGLE_GENERATIVE_AI_API_KEY: gemini.apiKey,
    GOOGLE_GENERATIVE_AI_BASE_URL: gemini.baseURL,
    DEBOUNCE_MS: '30',
    JOB_BACKOFF_MS: '20',
    // Every test talks to the same few agents: the per-minute limit would make later tests wait.
    AGENT_RATE_LIMIT_PER_MIN: '0',
    // These tests read the posted replies call by call; streaming.test.ts turns streaming on.
    STREAM_REPLIES: 'false',
    ...(options.socketUrl && { SLACK_APP_TOKEN: slack.appToken }),
    ...options.env,
  });
  const logs: string[] = [];
  const logger = testLogger({ capture: { level: 'warn', lines: logs } });
  const http = createHttpServer({ logger, readiness: {} });
  const workspace = await ensureWorkspace(db, 'slack', teamId);
  let pipeline: Pipeline | undefined;
  const commands: SlackHarness['commands'] = [];
  const storedAt = new Map<string, number>();
  const notices: PlatformNotice[] = [];
  const outcomes: SlackHarness['outcomes'] = [];

  const harness = {} as SlackHarness;
  harness.failNextInbound = 0;
  harness.commandReply = async (_context, command) => ({ ok: true, text: `Done: ${command.verb}.` });
  const adapter = createSlackAdapter({
    config: config.slack,
    app: http.app,
    retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 20 },
    ...(options.ackBudgetMs !== undefined && { ackBudgetMs: options.ackBudgetMs }),
    hooks: {
      logger,
      onInbound: async (message) => {
        if (harness.failNextInbound > 0) {
          harness.failNextInbound -= 1;
          throw new Error('database unavailable');
        }
        const outcome = await required(pipeline).orchestrator.handleInbound(message);
        storedAt.set(message.platformMessageId, Date.now());
        outcomes.push({ message, outcome });
        return outcome;
      },
      onChange: (change) => required(pipeline).orchestrator.handleChange(change),
      onUserName: (platform, externalId, displayName) =>
        required(pipeline).directory.userId({ platform, externalId, displayName, isBot: false }),
      parseCommand: parseAgentCommand,
      onCommand: async (context, command) => {
        commands.push({ context, command });
        return harness.commandReply(context, command);
      },
      listAgents: async () =>
        (await listAgents(db, workspace.id)).map((a) => ({ id: a.id, name: a.name, role: a.role })),
      onWorkspaceRemoved: (platform, externalId, reason) =>
        required(pipeline).workspaceRemoved(platform, externalId, reason),
      onNotice: (notice) => notices.push(notice),
      claimGreeting: (platform, workspaceExternalId, userId) =>
        claimGreeting(db, platform, workspaceExternalId, userId),
      onFeedback: (click) => handleFeedback(db, required(pipeline).bus, click),
    },
  });
  pipeline = createPipeline({
    settings: config,
    store: database.hot,
    db,
    logger,
    adapters: { slack: adapter },
    prefix,
    shutdownGraceMs: 2000,
    // The tests of a file share a database: a sweeper would answer another test's leftovers here.
    sweeper: false,
  });
  const { port } = await http.listen(0, '127.0.0.1');
  await adapter.start();
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;

  return Object.assign(harness, {
    slack,
    gemini,
    adapter,
    pipeline,
    http,
    db,
    eventsUrl,
    teamId,
    storedAt,
    outcomes,
    commands,
    notices,
    logs,
    async createAgent(
      name: string,
      fields: { role?: string; avatarUrl?: string; model?: string; loading?: string[] } = {},
    ) {
      const agent = await createAgent(
        db,
        {
          workspaceId: workspace.id,
          name,
          role: fields.role ?? '',
          ...(fields.avatarUrl && { avatarUrl: fields.avatarUrl }),
          ...((fields.model || fields.loading) && {
            modelConfig: {
              ...(fields.model && { model: fields.model }),
              ...(fields.loading && { loading: fields.loading }),
            },
          }),
        },
        { label: 'test' },
      );
      return { id: agent.id, name: agent.name };
    },
    async join(agentId: string, channelId: string) {
      await joinChannel(db, agentId, 'slack', channelId, { label: 'test' });
    },
    sendEvent(event: Record<string, unknown>, opts: SignedPostOptions & { eventId?: string } = {}) {
      const body = eventCallback(teamId, event, {
        ...(opts.eventId && { eventId: opts.eventId }),
        botUserId: slack.bot.userId,
      });
      return postSigned(eventsUrl, SIGNING_SECRET, { json: body }, opts);
    },
    sendForm(form: Record<string, string>, opts: SignedPostOptions = {}) {
      return postSigned(eventsUrl, SIGNING_SECRET, { form }, opts);
    },
    async close() {
      await http.close();
      await adapter.stop();
      await pipeline?.close();
      await gemini.close();
      await slack.close();
      const redis = createRedis(config.redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  });
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('pipeline not built yet');
  return value;
}
