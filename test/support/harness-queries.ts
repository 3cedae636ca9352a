/** What a user would notice, and what the store holds, read from a harness. */
import type { Pipeline } from '../../src/pipeline.ts';
import type { Harness } from './pipeline-harness.ts';

/** The typing signal as the platform saw it: 'start', 'stop', … */
export function typingActions(h: Harness): Array<'start' | 'stop'> {
  return h.adapter.typing.map((e) => e.action);
}

/** An agent's stored replies (failure notices included), oldest first. */
export function repliesOf(h: Harness, agentId: string) {
  return h.db.message.findMany({ where: { agentId }, orderBy: { id: 'asc' } });
}

/** The stored messages people sent (not the agents' replies), oldest first. */
export function inboundOf(h: Harness) {
  return h.db.message.findMany({ where: { agentId: null }, orderBy: { id: 'asc' } });
}

/** Short job locks, so a crashed job is taken over within a second or two, and no timed sweeps. */
export const FAST_RECOVERY = { JOB_LOCK_MS: '1000', SWEEP_INTERVAL_MS: '3600000' } as const;

/** The pipeline's sweeper (the harness runs none unless asked: `sweeper: true`). */
export function sweeperOf(pipeline: Pipeline) {
  const { sweeper } = pipeline;
  if (!sweeper) throw new Error('this pipeline runs no sweeper: start it with sweeper: true');
  return sweeper;
}
