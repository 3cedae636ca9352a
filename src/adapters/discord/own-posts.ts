/**
 * What this process posted on Discord, remembered in memory: which agent wrote which message (so a
 * reply to it addresses that agent, and its echo is recognised as ours) and the nonces we sent.
 * Which parts of a reply went out is not kept here: the database records each part (see
 * OutboundReply.postedParts). Bounded: the oldest entries are forgotten first.
 */

const DEFAULT_CAPACITY = 10_000;

class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

export class OwnPosts {
  private readonly agentByMessage: BoundedMap<string, string>;
  private readonly agentByName: BoundedMap<string, string>;
  private readonly nonces: BoundedMap<string, true>;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.agentByMessage = new BoundedMap(capacity);
    this.agentByName = new BoundedMap(capacity);
    this.nonces = new BoundedMap(capacity);
  }

  /** The agent we are about to post as: its webhook echo carries only its name. */
  rememberAgent(agent: { id: string; name: string }): void {
    this.agentByName.set(agent.name.toLowerCase(), agent.id);
  }

  agentNamed(name: string): string | undefined {
    return this.agentByName.get(name.toLowerCase());
  }

  recordMessage(messageId: string, agentId: string): void {
    this.agentByMessage.set(messageId, agentId);
  }

  agentOf(messageId: string): string | undefined {
    return this.agentByMessage.get(messageId);
  }

  recordNonce(nonce: string): void {
    this.nonces.set(nonce, true);
  }

  isOurNonce(nonce: string | number | null | undefined): boolean {
    return nonce !== null && nonce !== undefined && this.nonces.get(String(nonce)) === true;
  }
}
