// The per-message budgets of DESIGN.md, counted: a regression fails here instead of in the next
// benchmark. SQL: every statement the hot store runs for one answered DM in a conversation that
// already exists, ingest, reply and delivery together. Redis: every command the pipeline sends,
// per DM, over DMs answered together (BullMQ fetches the next job as it finishes one; a queue
// that empties after every job costs one more fetch and poll, see bench/RESULTS.md).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import type { LiveMessages } from '../../src/core/live-reply.ts';
import type { InboundMessage } from '../../src/core/types.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createPipeline, type Pipeline } from '../../src/pipeline.ts';
import { createAgent } from '../../src/store/agents.ts';
import { openHotStore } from '../../src/store/hot/open.ts';
import type { HotStore } from '../../src/store/hot/types.ts';
import { ensureWorkspace } from '../../src/store/identities.ts';
import { createOfflineEchoModel } from '../../src/worker/providers/offline-echo.ts';
import { RecordingAdapter } from '../support/recording-adapter.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';
import { testLogger } from '../support/test-log.ts';
import { waitFor } from '../support/wait-for.ts';

const SQL_DATA_BUDGET = 7;
const REDIS_BUDGET = 8;
/** A streamed reply adds the read of its started-message record and the record's write. */
const STREAMED_REDIS_BUDGET = REDIS_BUDGET + 2;
/** BEGIN and COMMIT around the reply's one write transaction (SQLite); PostgreSQL needs none. */
const TRANSACTION_STATEMENTS = { sqlite: 2, postgresql: 0 } as const;
const isControl = (sql: string) => /^\s*(BEGIN|COMMIT|ROLLBACK)/i.test(sql);

/** A platform that shows streamed replies (RecordingAdapter has none: the default path). */
class StreamingAdapter extends RecordingAdapter {
  readonly shown: string[] = [];
  readonly live: LiveMessages = {
    start: async (target, text) => {
      this.shown.push(text);
      return {
        platform: 'slack',
        channelId: target.channelId,
        messageId: `live-${this.shown.length}`,
        mode: 'edit',
      };
    },
    update: async (message, text) => {
      this.shown.push(text);
      return message;
    },
    close: async (message) => message,
  };
}

for (const provider of providers) {
  describe(`per-message budgets on ${provider}`, () => {
    const t = useTestDatabase(provider);
    const statements: string[] = [];
    const commands: string[] = [];
    let counting = false;
    let store: HotStore;
    let pipeline: Pipeline;
    let adapter: RecordingAdapter;
    let streamed: StreamingAdapter;
    let streaming: Pipeline;
    const prefix = `abbudget_${randomBytes(4).toString('hex')}`;
    const team = `T${prefix}`;
    let sent = 0;

    function dm(channelId: string): InboundMessage {
      sent += 1;
      return {
        platform: 'slack',
        workspaceId: team,
        channelId,
        isDirect: true,
        author: { id: 'UANA', displayName: 'Ana', isBot: false },
        text: `question ${sent}`,
        mentionedUserIds: [],
        platformMessageId: `${prefix}.${sent}`,
        sentAt: new Date(),
      };
    }

    async function answered(count: number) {
      await waitFor(`${count} replies`, () => adapter.replies().length >= count, 15_000);
      await waitFor('the reply jobs finished', async () => {
        const counts = await pipeline.queues.replies.getJobCounts('active', 'waiting', 'delayed');
        return Object.values(counts).every((n) => n === 0);
      });
    }

    beforeAll(async () => {
      store = openHotStore(t.current.url, {
        onStatement: (sql) => {
          if (counting) statements.push(sql);
        },
      });
      const workspace = await ensureWorkspace(t.current.db, 'slack', team);
      // No per-agent cap to wait on: a wait is the limit's policy, not a message's cost.
      await createAgent(
        t.current.db,
        { workspaceId: workspace.id, name: 'Aria', maxConcurrentJobs: 1000 },
        { label: 'test' },
      );
      adapter = new RecordingAdapter('slack');
      const model = slowly(createOfflineEchoModel(), 80);
      pipeline = createPipeline({
        settings: parseConfig({
          DEBOUNCE_MS: '20',
          AGENT_RATE_LIMIT_PER_MIN: '0',
          AGENT_MAX_CONCURRENT: '1000',
          DEFAULT_MODEL: 'offline:echo',
        }),
        store,
        db: t.current.db,
        logger: testLogger(),
        adapters: { slack: adapter },
        models: { resolve: () => model },
        prefix,
        sweeper: false,
        onRedisCommand: (name) => {
          if (counting) commands.push(name);
        },
      });
      // Each conversation exists, and the caches are warm: the steady state of a DM.
      for (let i = 0; i < 10; i++) await pipeline.orchestrator.handleInbound(dm(`D${i}`));
      await answered(10);
    });

    async function startStreaming() {
      // The same service where the platform shows streamed replies: its own prefix and team.
      streamed = new StreamingAdapter('slack');
      const model = slowly(createOfflineEchoModel(), 80);
      const workspace = await ensureWorkspace(t.current.db, 'slack', `${team}S`);
      await createAgent(
        t.current.db,
        { workspaceId: workspace.id, name: 'Aria', maxConcurrentJobs: 1000 },
        { label: 'test' },
      );
      streaming = createPipeline({
        settings: parseConfig({
          DEBOUNCE_MS: '20',
          AGENT_RATE_LIMIT_PER_MIN: '0',
          AGENT_MAX_CONCURRENT: '1000',
          DEFAULT_MODEL: 'offline:echo',
        }),
        store,
        db: t.current.db,
        logger: testLogger(),
        adapters: { slack: streamed },
        models: { resolve: () => model },
        prefix: `${prefix}s`,
        sweeper: false,
        onRedisCommand: (name) => {
          if (counting) commands.push(name);
        },
      });
      const streamedDm = (channelId: string) => ({ ...dm(channelId), workspaceId: `${team}S` });
      const answeredHere = async (count: number) => {
        await waitFor(`${count} streamed replies`, () => streamed.replies().length >= count, 15_000);
        await waitFor('the streamed reply jobs finished', async () => {
          const counts = await streaming.queues.replies.getJobCounts('active', 'waiting', 'delayed');
          return Object.values(counts).every((n) => n === 0);
        });
      };
      for (let i = 0; i < 10; i++) await streaming.orchestrator.handleInbound(streamedDm(`S${i}`));
      await answeredHere(10);
      return { streamedDm, answeredHere };
    }

    afterAll(async () => {
      await streaming?.close();
      await pipeline?.close();
      await store?.close();
      const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}:*`);
      const streamedKeys = await redis.keys(`${prefix}s:*`);
      if (keys.length + streamedKeys.length > 0) await redis.del(...keys, ...streamedKeys);
      redis.disconnect();
    });

    it(`one answered DM runs at most ${SQL_DATA_BUDGET} SQL statements (plus its transaction's BEGIN/COMMIT)`, async () => {
      statements.length = 0;
      counting = true;
      await pipeline.orchestrator.handleInbound(dm('D0'));
      await answered(11);
      counting = false;
      const data = statements.filter((sql) => !isControl(sql));
      if (process.env.DEBUG_BUDGET)
        console.log(statements.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 90)).join('\n'));
      const summary = statements.map((sql) => sql.trim().split(/\s+/).slice(0, 3).join(' ')).join('\n');
      expect(data.length, summary).toBeLessThanOrEqual(SQL_DATA_BUDGET);
      expect(statements.length - data.length, summary).toBeLessThanOrEqual(TRANSACTION_STATEMENTS[provider]);
    });

    it(`DMs answered together cost at most ${REDIS_BUDGET} Redis commands each`, async () => {
      commands.length = 0;
      counting = true;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => pipeline.orchestrator.handleInbound(dm(`D${i}`))),
      );
      await answered(21);
      counting = false;
      const perDm = commands.length / 10;
      expect(perDm, commands.join(' ')).toBeLessThanOrEqual(REDIS_BUDGET);
    });

    it(`a streamed DM costs at most ${STREAMED_REDIS_BUDGET} Redis commands, and no more SQL`, async () => {
      const { streamedDm, answeredHere } = await startStreaming();
      commands.length = 0;
      statements.length = 0;
      counting = true;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => streaming.orchestrator.handleInbound(streamedDm(`S${i}`))),
      );
      await answeredHere(20);
      counting = false;
      expect(streamed.replies().every((reply) => reply.started !== undefined)).toBe(true);
      const perDm = commands.length / 10;
      expect(perDm, commands.join(' ')).toBeLessThanOrEqual(STREAMED_REDIS_BUDGET);
      const data = statements.filter((sql) => !isControl(sql));
      expect(data.length / 10).toBeLessThanOrEqual(SQL_DATA_BUDGET);
    });
  });
}

/**
 * The offline model, writing its answer over time (each text delta `gapMs` after the last), as a
 * real model does: an answer complete within FIRST_SHOW_DELAY_MS is posted, never streamed.
 */
function slowly(model: ReturnType<typeof createOfflineEchoModel>, gapMs: number) {
  return {
    ...model,
    async doStream(options: Parameters<typeof model.doStream>[0]) {
      const result = await model.doStream(options);
      type Part =
        Awaited<ReturnType<typeof model.doStream>>['stream'] extends ReadableStream<infer P> ? P : never;
      const paced = new TransformStream<Part, Part>({
        async transform(part, controller) {
          if (part.type === 'text-delta') await sleep(gapMs);
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(paced) };
    },
  };
}
