/** Who wrote one turn of a conversation, as far as loop detection cares. */
export interface TurnAuthorship {
  isBot: boolean;
  /** Set when one of our agents wrote it. */
  agentId?: string;
}

/**
 * Consecutive agent or bot turns at the end of `recentTurns` (oldest → newest), stopping at the
 * last human message. Pass the history that already holds the message being decided on: a bot's
 * message arriving after a human one makes a chain of 1.
 */
export function countAgentChain(recentTurns: readonly TurnAuthorship[]): number {
  let count = 0;
  for (let i = recentTurns.length - 1; i >= 0; i--) {
    const turn = recentTurns[i];
    if (!turn || !(turn.isBot || turn.agentId)) break;
    count++;
  }
  return count;
}

/**
 * A chain of `maxHops` agent turns without a human is a loop: with 3, human → A → B → A, and
 * B does not answer that third agent turn.
 */
export function isLoop(chainLength: number, maxHops: number): boolean {
  return chainLength >= maxHops;
}
