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
  /** Makes the next N deliveries throw, like a platform outage. */
  failNextDeliveries = 0;
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
  async deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
    if (reply.postedParts?.length) return [...reply.postedParts];
    if (this.failNextDeliveries > 0) {
      this.failNextDeliveries--;
      throw new Error('platform unavailable');
    }
    this.delivered.push(reply);
    const id = `posted-${this.next++}`;
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
