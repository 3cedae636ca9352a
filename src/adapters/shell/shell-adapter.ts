/**
 * The terminal as a platform: replies are printed as `Aria: text`, notices as `agent-bridge: text`.
 * In a terminal a transient `Aria is typing…` line shows while an agent works; in a pipe nothing
 * but the conversation is written.
 */
import type {
  BotIdentity,
  OnPartPosted,
  OutboundReply,
  PlatformAdapter,
  TypingTarget,
} from '../../core/types.ts';

export const SHELL_BOT: BotIdentity = { userId: 'agent-bridge', name: 'agent-bridge' };

const CLEAR_LINE = '\r\x1b[K';

export interface ShellAdapterOptions {
  output: NodeJS.WritableStream;
  /** A terminal: show the typing line. */
  tty: boolean;
  /** Who is typing (the target names no agent); without it the line says `agent is typing…`. */
  typingName?: (target: TypingTarget) => string | undefined;
  /** After a reply or notice was printed, or the typing line cleared (the chat re-prompts). */
  onOutput?: () => void;
}

export class ShellAdapter implements PlatformAdapter {
  readonly platform = 'shell' as const;
  private readonly started = Date.now().toString(36);
  private posted = 0;
  /** Signals started and not yet stopped; the line stays until the last one stops. */
  private typing = 0;
  private typingShown = false;

  constructor(private readonly options: ShellAdapterOptions) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.typing = 0;
    this.clearTyping();
  }

  identity(): BotIdentity {
    return SHELL_BOT;
  }

  async deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
    if (reply.postedParts?.length) return [...reply.postedParts];
    // In a terminal the current line (a prompt, a typing line) gives way to the message.
    const clear = this.options.tty ? CLEAR_LINE : '';
    this.typingShown = false;
    this.options.output.write(`${clear}${formatShellMessage(reply.agent.name, reply.text)}\n`);
    this.posted += 1;
    this.options.onOutput?.();
    // Unique across sessions: stored message ids are unique per conversation.
    const id = `out-${this.started}-${process.pid}-${this.posted}`;
    await onPosted?.({ index: 0, platformMessageId: id, last: true });
    return [id];
  }

  async startTyping(target: TypingTarget): Promise<void> {
    this.typing += 1;
    if (!this.options.tty) return;
    const name = this.options.typingName?.(target) ?? 'agent';
    this.options.output.write(`${CLEAR_LINE}${name} is typing…`);
    this.typingShown = true;
  }

  async stopTyping(_target: TypingTarget): Promise<void> {
    this.typing = Math.max(0, this.typing - 1);
    if (this.typing === 0 && this.typingShown) {
      this.clearTyping();
      this.options.onOutput?.();
    }
  }

  private clearTyping(): void {
    if (!this.typingShown) return;
    this.options.output.write(CLEAR_LINE);
    this.typingShown = false;
  }
}

/** `Name: first line`, later lines indented under the text; blank lines stay blank. */
export function formatShellMessage(name: string, text: string): string {
  const indent = ' '.repeat(name.length + 2);
  const lines = text.replace(/\r\n?/g, '\n').trimEnd().split('\n');
  return lines
    .map((line, i) => (i === 0 ? `${name}: ${line}` : line === '' ? '' : `${indent}${line}`))
    .join('\n');
}
