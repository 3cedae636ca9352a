/**
 * The Slack "agent is working" signal: `assistant.threads.setStatus` on the reply's thread (with
 * the agent's `loading_messages` when it sets any); where
 * Slack refuses it (missing scope, not an assistant thread, …) an `eyes` reaction on the message
 * that triggered the reply. stop() clears whichever was shown, once the last user of it stops.
 */
import type { webApi } from '@slack/bolt';
import type { TypingTarget } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';

export const THINKING_STATUS = 'is thinking…';
export const FALLBACK_REACTION = 'eyes';

/** Refusals that hold for the whole app: after one, go straight to the reaction. */
const APP_WIDE_REFUSALS = new Set([
  'missing_scope',
  'not_allowed_token_type',
  'no_permission',
  'invalid_auth',
]);

type Shown =
  | { via: 'status'; channel: string; thread: string }
  | { via: 'reaction'; channel: string; ts: string };

interface Entry {
  users: number;
  shown: Promise<Shown | undefined>;
}

export class SlackTyping {
  private readonly entries = new Map<string, Entry>();
  private statusRefused = false;

  /** `client` should fail fast (no long retries): the signal is worth nothing once late. */
  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
  ) {}

  async start(target: TypingTarget): Promise<void> {
    const key = keyOf(target);
    if (!key) return;
    const entry = this.entries.get(key);
    if (entry) {
      entry.users += 1;
      await entry.shown;
      return;
    }
    const shown = this.show(target);
    this.entries.set(key, { users: 1, shown });
    await shown;
  }

  async stop(target: TypingTarget): Promise<void> {
    const key = keyOf(target);
    const entry = key ? this.entries.get(key) : undefined;
    if (!key || !entry) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.entries.delete(key);
    const shown = await entry.shown;
    if (!shown) return;
    try {
      if (shown.via === 'status') {
        await this.client.assistant.threads.setStatus({
          channel_id: shown.channel,
          thread_ts: shown.thread,
          status: '',
        });
      } else {
        await this.client.reactions.remove({
          channel: shown.channel,
          timestamp: shown.ts,
          name: FALLBACK_REACTION,
        });
      }
    } catch (error) {
      if (slackError(error) === 'no_reaction') return;
      this.logger.warn(
        { err: error, channel: shown.channel, via: shown.via },
        'could not clear the slack working signal',
      );
    }
  }

  /** Signals still shown (for shutdown and tests). */
  active(): number {
    return this.entries.size;
  }

  private async show(target: TypingTarget): Promise<Shown | undefined> {
    const channel = target.channelId;
    // Bolt's convention: a top-level message's status goes on the thread it starts.
    const thread = target.threadId ?? target.triggerPlatformMessageId;
    if (thread && !this.statusRefused) {
      try {
        await this.client.assistant.threads.setStatus({
          channel_id: channel,
          thread_ts: thread,
          status: THINKING_STATUS,
          // The agent's own working messages (`loading=`), which Slack rotates through.
          ...(target.loadingMessages?.length && { loading_messages: [...target.loadingMessages] }),
        });
        return { via: 'status', channel, thread };
      } catch (error) {
        const code = slackError(error);
        if (code && APP_WIDE_REFUSALS.has(code)) this.statusRefused = true;
        this.logger.debug({ err: error, channel }, 'setStatus refused; falling back to a reaction');
      }
    }
    const ts = target.triggerPlatformMessageId;
    if (!ts) return undefined;
    try {
      await this.client.reactions.add({ channel, timestamp: ts, name: FALLBACK_REACTION });
    } catch (error) {
      // Someone (or an earlier attempt) already put it there: ours to remove all the same.
      if (slackError(error) !== 'already_reacted') {
        this.logger.warn({ err: error, channel }, 'could not show the slack working signal');
        return undefined;
      }
    }
    return { via: 'reaction', channel, ts };
  }
}

function keyOf(target: TypingTarget): string | undefined {
  const where = target.threadId ?? target.triggerPlatformMessageId;
  return where ? `${target.channelId}:${where}` : undefined;
}

/** The `error` code of a Slack `{ok:false}` answer, if that is what failed. */
export function slackError(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('data' in error)) return undefined;
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
