/**
 * Every Redis key agent-bridge uses, in one scheme under one prefix (`ab` unless
 * AGENT_BRIDGE_QUEUE_PREFIX says otherwise): BullMQ's queues (`<prefix>:replies:*`,
 * `<prefix>:deliveries:*`), the per-agent and per-provider limits, the sweeper's lock and counters, and the
 * channel on which writers announce changes the caches must drop.
 */
/** What a model-call limit belongs to (worker/call-limits.ts). */
export type LimitScope = 'agent' | 'provider';

export interface RedisKeys {
  prefix: string;
  /** ZSET of holders of an agent's or a provider's concurrency slots (lease expiry as score). */
  limitRunning(scope: LimitScope, id: string): string;
  /** ZSET of an agent's or a provider's recent model calls (the sliding rate window). */
  limitCalls(scope: LimitScope, id: string): string;
  /** One sweeper pass at a time across processes. */
  sweeperLock: string;
  /** HASH: how often the sweeper re-enqueued an intent or a delivery. */
  sweeperCounts: string;
  /** Pub/sub channel: agents, channel memberships or a DM's chosen agent changed. */
  directoryChanges: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    limitRunning: (scope, id) => `${prefix}:${scope}:${id}:running`,
    limitCalls: (scope, id) => `${prefix}:${scope}:${id}:calls`,
    sweeperLock: `${prefix}:sweeper:lock`,
    sweeperCounts: `${prefix}:sweeper:counts`,
    directoryChanges: `${prefix}:directory:changes`,
  };
}
