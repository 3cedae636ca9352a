/**
 * Every Redis key agent-bridge uses, in one scheme under one prefix (`ab` unless
 * AGENT_BRIDGE_QUEUE_PREFIX says otherwise): BullMQ's queues (`<prefix>:replies:*`,
 * `<prefix>:deliveries:*`), the per-agent limits, the sweeper's lock and counters, and the
 * channel on which writers announce changes the caches must drop.
 */
export interface RedisKeys {
  prefix: string;
  /** ZSET of holders of an agent's concurrency slots (lease expiry as score). */
  agentRunning(agentId: string): string;
  /** ZSET of an agent's recent model calls (the sliding rate window). */
  agentCalls(agentId: string): string;
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
    agentRunning: (agentId) => `${prefix}:agent:${agentId}:running`,
    agentCalls: (agentId) => `${prefix}:agent:${agentId}:calls`,
    sweeperLock: `${prefix}:sweeper:lock`,
    sweeperCounts: `${prefix}:sweeper:counts`,
    directoryChanges: `${prefix}:directory:changes`,
  };
}
