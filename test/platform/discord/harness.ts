/**
 * The whole service around the real Discord adapter: the real discord.js client against the fake
 * Discord, the reply pipeline (real Redis with a unique prefix, the test database, the real
 * @ai-sdk/google against the fake Gemini). Hooks are bound like app.ts binds them; `/agent`
 * commands go to a recording stub unless a test passes its own.
 */
import { randomBytes } from 'node:crypto';
import {
  createDiscordAdapter,
  type DiscordAdapter,
  type DiscordAdapterOptions,
} from '../../../src/adapters/discord/index.ts';
import type { AdapterHooks } from '../../../src/adapters/hooks.ts';
import type { AgentCommand, CommandContext, CommandReply } from '../../../src/commands/command.ts';
import { parseConfig } from '../../../src/config.ts';
import type { InboundMessage } from '../../../src/core/types.ts';
import { createRedis } from '../../../src/infra/redis.ts';
import { handleFeedback } from '../../../src/orchestrator/feedback.ts';
import type { InboundOutcome } from '../../../src/orchestrator/orchestrator.ts';
import { createPipeline, type Pipeline } from '../../../src/pipeline.ts';
import { createAgent, joinChannel, leaveRemovedChannel, listAgents } from '../../../src/store/agents.ts';
import { catchUpPoints } from '../../../src/store/catch-up.ts';
import type { Db } from '../../../src/store/database.ts';
import type { HotStore } from '../../../src/store/hot/types.ts';
import { ensureWorkspace } from '../../../src/store/identities.ts';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord-server.ts';
import { type FakeGemini, startFakeGemini } from '../../fakes/gemini-server.ts';
import { testLogger } from '../../support/test-log.ts';
import { waitFor as waitForCondition } from '../../support/wait-for.ts';

/** waitFor with room for a loaded CI machine: a reply crosses gateway, queues, model and REST. */
export function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000) {
  return waitForCondition(what, probe, timeoutMs);
}

export interface DiscordHarness {
  discord: FakeDiscord;
  adapter: DiscordAdapter;
  pipeline: Pipeline;
  gemini: FakeGemini;
  db: Db;
  /** Every message the adapter handed to onInbound, with the orchestrator's answer. */
  outcomes: Array<{ message: InboundMessage; outcome: InboundOutcome }>;
  commands: Array<{ context: CommandContext; command: AgentCommand }>;
  /** Log lines at warn and above (JSON). */
  logs: string[];
  /**
   * The next `count` messages handed to onInbound (those `match` accepts) fail before reaching it,
   * as when the store or Redis is down.
   */
  failInbound(count: number, match?: (message: InboundMessage) => boolean): void;
  createAgent(
    name: string,
    options?: { workspace?: string; join?: string[]; avatarUrl?: string },
  ): Promise<{ id: string; name: string }>;
  outcomeOf(message: { id?: unknown }): InboundOutcome | undefined;
  /** The agent's latest reply once it was delivered. */
  delivered(agent: { id: string }): Promise<{ platformMessageId: string | null } | null>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Settings over the harness's own; a function when they name the fake's ids. */
  env?: Record<string, string> | ((discord: FakeDiscord) => Record<string, string>);
  adapter?: Partial<Omit<DiscordAdapterOptions, 'config' | 'hooks'>>;
  onCommand?: AdapterHooks['onCommand'];
  /** Do not start the adapter (tests of start-up failures). */
  noStart?: boolean;
}

export async function startDiscordHarness(
  database: { db: Db; hot: HotStore },
  options: HarnessOptions = {},
): Promise<DiscordHarness> {
  const { db } = database;
  const discord = await startFakeDiscord({ heartbeatIntervalMs: 500 });
  const gemini = await startFakeGemini();
  const prefix = `abd_${randomBytes(4).toString('hex')}`;
  const config = parseConfig({
    GOOGLE_GENERATIVE_AI_API_KEY: gemini.apiKey,
    GOOGLE_GENERATIVE_AI_BASE_URL: gemini.baseURL,
    DEBOUNCE_MS: '50',
    JOB_BACKOFF_MS: '20',
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_GUILD_ID: discord.guild.id,
    // Replies are posted once when done unless a test streams them (streaming.test.ts).
    STREAM_REPLIES: 'false',
    ...(typeof options.env === 'function' ? options.env(discord) : options.env),
  });
  const logs: string[] = [];
  const logger = testLogger({ capture: { level: 'warn', lines: logs } });
  const outcomes: DiscordHarness['outcomes'] = [];
  const commands: DiscordHarness['commands'] = [];

  const agentsOf = async (platform: 'discord', workspace: string) => {
    const ws = await ensureWorkspace(db, platform, workspace);
    return (await listAgents(db, ws.id)).map((a) => ({ id: a.id, name: a.name, role: a.role }));
  };
  let pipeline: Pipeline | undefined;
  const failures: Array<(message: InboundMessage) => boolean> = [];
  const hooks: AdapterHooks = {
    async onInbound(message) {
      const failure = failures.findIndex((match) => match(message));
      if (failure >= 0) {
        failures.splice(failure, 1);
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      }
      if (!pipeline) throw new Error('pipeline not built yet');
      const outcome = await pipeline.orchestrator.handleInbound(message);
      outcomes.push({ message, outcome });
      return outcome;
    },
    onChange: (change) => (pipeline ? pipeline.orchestrator.handleChange(change) : Promise.resolve()),
    onUserName: async () => {},
    async onCommand(context, command) {
      commands.push({ context, command });
      if (options.onCommand) return options.onCommand(context, command);
      return stubCommand(command, await agentsOf('discord', context.workspaceExternalId));
    },
    parseCommand: () => ({ ok: false, error: 'the text form is not used on Discord' }),
    listAgents: (_platform, workspace) => agentsOf('discord', workspace),
    catchUpPoints: (platform, window) => catchUpPoints(db, platform, window),
    onWorkspaceRemoved: async (platform, externalId, reason) => {
      await pipeline?.workspaceRemoved(platform, externalId, reason);
    },
    async onFeedback(click) {
      if (!pipeline) throw new Error('pipeline not built yet');
      return handleFeedback(db, pipeline.bus, click);
    },
    async onChannelRemoved(platform, channelId, actorLabel) {
      const left = await leaveRemovedChannel(db, platform, channelId, { label: actorLabel });
      if (left.length > 0) await pipeline?.announceDirectoryChange();
      return left.length;
    },
    logger,
  };
  const adapter = createDiscordAdapter({ config: config.discord, hooks, ...options.adapter });
  pipeline = createPipeline({
    settings: config,
    store: database.hot,
    db,
    logger,
    adapters: { discord: adapter },
    prefix,
    shutdownGraceMs: 2000,
    // The tests of a file share a database: a sweeper would answer another test's leftovers here.
    sweeper: false,
  });
  if (!options.noStart) await adapter.start();

  return {
    discord,
    adapter,
    pipeline,
    gemini,
    db,
    outcomes,
    commands,
    logs,
    failInbound(count, match = () => true) {
      for (let i = 0; i < count; i++) failures.push(match);
    },
    async createAgent(name, opts = {}) {
      const workspace = await ensureWorkspace(db, 'discord', opts.workspace ?? discord.guild.id);
      const agent = await createAgent(
        db,
        {
          workspaceId: workspace.id,
          name,
          role: 'helper',
          ...(opts.avatarUrl && { avatarUrl: opts.avatarUrl }),
        },
        { label: 'test' },
      );
      for (const channelId of opts.join ?? []) {
        await joinChannel(db, agent.id, 'discord', channelId, { label: 'test' });
      }
      return { id: agent.id, name: agent.name };
    },
    outcomeOf(message) {
      return outcomes.find((o) => o.message.platformMessageId === String(message.id))?.outcome;
    },
    delivered(agent) {
      return db.message.findFirst({
        where: { agentId: agent.id, deliveredAt: { not: null } },
        orderBy: { id: 'desc' },
      });
    },
    async close() {
      if (process.env.DISCORD_TEST_LOGS) for (const line of logs) process.stderr.write(line);
      await adapter.stop();
      await pipeline?.close();
      await gemini.close();
      await discord.close();
      const redis = createRedis(config.redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

function stubCommand(command: AgentCommand, agents: Array<{ name: string; role: string }>): CommandReply {
  if (command.verb !== 'list') return { ok: true, text: `ran ${command.verb}` };
  return {
    ok: true,
    text: `${agents.length} agent(s) here.`,
    title: 'Agents',
    rows: agents.map((a) => ({
      name: a.name,
      status: 'active',
      model: 'google:gemini-2.5-flash',
      channels: '',
      role: a.role,
    })),
  };
}
