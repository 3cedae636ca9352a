/**
 * The whole reply pipeline in the test process: real Redis (a unique prefix per harness), a real
 * database (SQLite or PostgreSQL), the real @ai-sdk/google against the fake Gemini server, and a
 * RecordingAdapter standing in for the platform.
 */
import { randomBytes } from 'node:crypto';
import { type Config, parseConfig } from '../../src/config.ts';
import type { InboundMessage } from '../../src/core/types.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createPipeline, type Pipeline, type PipelineOptions } from '../../src/pipeline.ts';
import { createAgent } from '../../src/store/agents.ts';
import type { Db } from '../../src/store/database.ts';
import type { HotStore } from '../../src/store/hot/types.ts';
import { ensureWorkspace } from '../../src/store/identities.ts';
import { type FakeGemini, startFakeGemini } from '../fakes/gemini-server.ts';
import { RecordingAdapter } from './recording-adapter.ts';
import { testLogger } from './test-log.ts';

export interface Harness {
  /** The current pipeline (a restart replaces it). */
  readonly pipeline: Pipeline;
  adapter: RecordingAdapter;
  gemini: FakeGemini;
  db: Db;
  /** The per-message store every pipeline of this harness uses. */
  store: HotStore;
  config: Config;
  prefix: string;
  /** The Slack team id messages come from. */
  team: string;
  /**
   * Closes the pipeline and starts a new one on the same Redis prefix, database, adapter and fake
   * Gemini, like a process restarted. A pipeline opened with `shutdownGraceMs: 1` leaves its running
   * jobs behind when it closes, as a crash would (another worker takes them over once their lock
   * expires after JOB_LOCK_MS).
   */
  restart(options?: Partial<PipelineOptions>): Promise<Pipeline>;
  /** Another process on the same Redis prefix and database (e.g. `role: 'worker'`); closed by close(). */
  addPipeline(options?: Partial<PipelineOptions>): Pipeline;
  createAgent(
    name: string,
    fields?: { role?: string; goal?: string; model?: string },
  ): Promise<{ id: string; name: string }>;
  send(
    text: string,
    overrides?: Partial<InboundMessage>,
  ): Promise<Awaited<ReturnType<Pipeline['orchestrator']['handleInbound']>>>;
  close(): Promise<void>;
}

let counter = 0;

export async function startHarness(
  database: { db: Db; hot: HotStore },
  env: Record<string, string> = {},
  options: Partial<PipelineOptions> = {},
): Promise<Harness> {
  const { db } = database;
  const gemini = await startFakeGemini();
  const config = parseConfig({
    GOOGLE_GENERATIVE_AI_API_KEY: gemini.apiKey,
    GOOGLE_GENERATIVE_AI_BASE_URL: gemini.baseURL,
    DEBOUNCE_MS: '50',
    JOB_BACKOFF_MS: '20',
    ...env,
  });
  const prefix = `abt_${randomBytes(4).toString('hex')}`;
  const adapter = new RecordingAdapter('slack');
  const logger = testLogger();
  const open = (extra: Partial<PipelineOptions> = {}) =>
    createPipeline({
      settings: config,
      store: database.hot,
      db,
      logger,
      adapters: { slack: adapter },
      prefix,
      shutdownGraceMs: 2000,
      // The tests of a file share a database: a sweeper would answer another test's leftovers here.
      // Tests that want one (sweeper: true) take a database of their own (useFreshTestDatabase).
      sweeper: false,
      ...options,
      ...extra,
    });
  let pipeline = open();
  const others: Pipeline[] = [];
  const team = `T${prefix}`;
  const workspace = await ensureWorkspace(db, 'slack', team);

  return {
    get pipeline() {
      return pipeline;
    },
    adapter,
    gemini,
    db,
    store: database.hot,
    config,
    prefix,
    team,
    async restart(extra = {}) {
      await pipeline.close();
      pipeline = open(extra);
      return pipeline;
    },
    addPipeline(extra = {}) {
      const other = open(extra);
      others.push(other);
      return other;
    },
    async createAgent(name, fields = {}) {
      const agent = await createAgent(
        db,
        {
          workspaceId: workspace.id,
          name,
          role: fields.role ?? '',
          goal: fields.goal ?? '',
          ...(fields.model && { modelConfig: { model: fields.model } }),
        },
        { label: 'test' },
      );
      return { id: agent.id, name: agent.name };
    },
    send(text, overrides = {}) {
      counter++;
      return pipeline.orchestrator.handleInbound({
        platform: 'slack',
        workspaceId: team,
        channelId: 'D1',
        isDirect: true,
        author: { id: 'UHUMAN', displayName: 'Ana', isBot: false },
        text,
        mentionedUserIds: [],
        platformMessageId: `${Date.now()}.${counter}`,
        sentAt: new Date(),
        ...overrides,
      });
    },
    async close() {
      await Promise.all([pipeline, ...others].map((p) => p.close()));
      await gemini.close();
      const redis = createRedis(config.redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
