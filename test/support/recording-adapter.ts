/** An in-memory PlatformAdapter that records what the pipeline asks of a platform. */
import type {
  BotIdentity,
  OnPartPosted,
  OutboundReply,
  Platform,
  PlatformAdapter,
  TypingTarget,
} from '../../src/core/types.ts';

export class RecordingAdapter implements PlatformAdapter {
  readonly delivered: OutboundReply[] = [];
  readonly typing: Array<{ action: 'start' | 'stop'; target: TypingTarget }> = [];
  /** Makes the next N deliveries throw, like a platform outage (Infinity: until set back to 0). */
  failNextDeliveries = 0;
  /** Makes the next N deliveries post and then throw, as when the platform's answer is lost. */
  loseNextAnswers = 0;
  /** Makes the next N deliveries never settle, as when the process dies while posting. */
  hangNextDeliveries = 0;
  /** Deliveries that threw (failNextDeliveries, loseNextAnswers) or hang. */
  failedDeliveries = 0;
  hungDeliveries = 0;
  /** What the platform holds, by idempotency key: a retry that may have posted looks here first. */
  private readonly posted = new Map<string, string>();
  private next = 1;

  constructor(
    readonly platform: Platform = 'slack',
    private readonly bot: BotIdentity = { userId: 'UBOT', botId: 'BBOT', name: 'agent-bridge' },
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  identity(): BotIdentity {
    return this.bot;
  }
  /** Direct messages the bot sent to people (the budget owner's notice). */
  readonly directMessages: Array<{ userId: string; text: string }> = [];
  async directMessage(userId: string, text: string): Promise<void> {
    this.directMessages.push({ userId, text });
  }
  async deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
    if (reply.postedParts?.length) return [...reply.postedParts];
    if (this.hangNextDeliveries > 0) {
      this.hangNextDeliveries--;
      this.hungDeliveries++;
      return new Promise<never>(() => {});
    }
    if (this.failNextDeliveries > 0) {
      this.failNextDeliveries--;
      this.failedDeliveries++;
      throw new Error('platform unavailable');
    }
    // Like the Slack and Discord adapters: a retry that may have posted finds its earlier post.
    const earlier = reply.mayHavePosted ? this.posted.get(reply.idempotencyKey) : undefined;
    if (earlier) {
      await onPosted?.({ index: 0, platformMessageId: earlier, last: true });
      return [earlier];
    }
    this.delivered.push(reply);
    const id = `posted-${this.next++}`;
    this.posted.set(reply.idempotencyKey, id);
    if (this.loseNextAnswers > 0) {
      this.loseNextAnswers--;
      this.failedDeliveries++;
      throw new Error('socket hang up: posted, but the answer was lost');
    }
    await onPosted?.({ index: 0, platformMessageId: id, last: true });
    return [id];
  }
  async startTyping(target: TypingTarget): Promise<void> {
    this.typing.push({ action: 'start', target });
  }
  async stopTyping(target: TypingTarget): Promise<void> {
    this.typing.push({ action: 'stop', target });
  }
  /** Agent replies only (notices come from the `agent-bridge` identity). */
  replies(): OutboundReply[] {
    return this.delivered.filter((d) => d.agent.id !== 'agent-bridge');
  }
  notices(): OutboundReply[] {
    return this.delivered.filter((d) => d.agent.id === 'agent-bridge');
  }
}
