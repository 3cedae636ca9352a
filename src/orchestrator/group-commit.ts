/**
 * Group commit at ingest: messages that arrive together are stored in one write, with their reply
 * intents; their reply jobs are then added in one Redis round trip; only then does each caller
 * (and so each platform event's acknowledgement) get its answer. While one batch is being written
 * the next accumulates, so at low load a batch is a single message and adds no wait.
 *
 * A message already stored (a platform retry, a redelivery) whose intent is still open gets its job
 * added again instead of being dropped: Redis may have lost it, or the first attempt died between
 * the two steps. In-flight messages are bounded: past the bound a caller is refused at once, so the
 * platform retries later instead of the process queueing without end.
 */

import type { ReplyJobData } from '../jobs/queues.ts';
import type { InboundRecord, InboundResult } from '../store/hot/types.ts';

/** The ingest is full: refuse the event (non-2xx) so the platform redelivers it later. */
export class IngestOverloadedError extends Error {
  constructor(limit: number) {
    super(`ingest is at its limit of ${limit} messages in flight; retry later`);
  }
}

export interface CommitItem {
  record: InboundRecord;
  /** The reply job, when the message carries an intent (`messageId` is filled in once stored). */
  job?: Omit<ReplyJobData, 'messageId'> | undefined;
}

export interface ScheduledJob {
  data: ReplyJobData;
  /** > 0: a re-enqueue of an intent whose first job may be finished. */
  attempt?: number;
}

export interface GroupCommitDeps {
  insert(batch: readonly InboundRecord[]): Promise<InboundResult[]>;
  schedule(jobs: readonly ScheduledJob[]): Promise<void>;
  /** Messages stored or waiting to be, at most [2000]. */
  maxInFlight?: number;
  /** Messages per write at most [500]. */
  maxBatch?: number;
}

interface Waiting {
  item: CommitItem;
  resolve(result: InboundResult): void;
  reject(error: unknown): void;
}

export interface GroupCommit {
  submit(item: CommitItem): Promise<InboundResult>;
  /** Messages accepted and not yet answered. */
  inFlight(): number;
  /** Resolves once everything accepted so far has been answered. */
  drain(): Promise<void>;
}

export function createGroupCommit(deps: GroupCommitDeps): GroupCommit {
  const maxInFlight = deps.maxInFlight ?? 2000;
  const maxBatch = deps.maxBatch ?? 500;
  let queue: Waiting[] = [];
  let writing: Promise<void> | undefined;
  let active = 0;

  async function writeBatch(batch: Waiting[]): Promise<void> {
    try {
      const results = await deps.insert(batch.map((w) => w.item.record));
      const jobs: ScheduledJob[] = [];
      const retry = Date.now();
      results.forEach((result, i) => {
        const job = batch[i]?.item.job;
        if (!job) return;
        if (result.stored) {
          jobs.push({ data: { ...job, messageId: result.id } });
        } else if (result.existing.pendingAgentId) {
          const agentId = result.existing.pendingAgentId;
          jobs.push({ data: { ...job, agentId, messageId: result.existing.id }, attempt: retry });
        }
      });
      await deps.schedule(jobs);
      batch.forEach((w, i) => {
        w.resolve(results[i] as InboundResult);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await writeBatch(batch);
      active -= batch.length;
    }
    writing = undefined;
  }

  return {
    submit(item) {
      if (active >= maxInFlight) return Promise.reject(new IngestOverloadedError(maxInFlight));
      active += 1;
      const answer = new Promise<InboundResult>((resolve, reject) => {
        queue.push({ item, resolve, reject });
      });
      writing ??= writeAll();
      return answer;
    },
    inFlight: () => active,
    async drain() {
      while (writing) await writing;
    },
  };
}
