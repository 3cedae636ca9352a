/**
 * The streamed replies shown by this process (the one that owns the platform connections):
 * snapshots come in (from the reply job in the same process, or from a worker process through
 * Redis: live-relay.ts), one session per reply key; the reply's delivery ends the session and
 * finishes into its message. Bounded: at most MAX_SESSIONS at once (past it a reply simply posts
 * when done), a session no snapshot reached for IDLE_MS is dropped (its worker died: the rerun
 * finds the message by its record), and a key that finished never opens again (a snapshot that
 * arrives after the delivery must not post a second message).
 */
import type { LiveSnapshot, LiveTarget, StartedMessage } from '../core/live-reply.ts';
import { FIRST_SHOW_DELAY_MS } from '../core/live-text.ts';
import type { Platform } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import { createLiveSession, type LiveSession, type LiveSessionDeps } from './live-session.ts';
import type { StartedRecords } from './started-records.ts';

export const MAX_SESSIONS = 10_000;
export const IDLE_MS = 10 * 60_000;

export interface LiveHubDeps {
  /** The platforms that can show a streamed reply, by platform. */
  live: Partial<Record<Platform, LiveSessionDeps['live']>>;
  records: StartedRecords;
  logger: Logger;
  intervalMs?: number;
  /** The first text's wait after the model's first token [FIRST_SHOW_DELAY_MS]. */
  firstShowDelayMs?: number;
  onFirstVisible?(target: LiveTarget, seconds: number): void;
}

export interface LiveHub {
  push(snapshot: LiveSnapshot): void;
  /** Ends the reply's session: its started message (this process's, or the recorded one), if any. */
  finish(key: string, platform: Platform): Promise<StartedMessage | undefined>;
  /** Whether `platform` shows streamed replies here. */
  shows(platform: Platform): boolean;
  close(): void;
}

export function createLiveHub(deps: LiveHubDeps): LiveHub {
  const sessions = new Map<string, LiveSession>();
  /** Keys whose delivery ended their session (the last MAX_SESSIONS, oldest dropped first). */
  const finished = new Set<string>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, session] of sessions) {
      if (now - session.lastPushAt > IDLE_MS) {
        sessions.delete(key);
        void session.finish();
      }
    }
  }, IDLE_MS / 10);
  sweep.unref();

  return {
    push(snapshot) {
      if (finished.has(snapshot.key)) return;
      let session = sessions.get(snapshot.key);
      if (!session) {
        const live = deps.live[snapshot.target.platform];
        if (!live || sessions.size >= MAX_SESSIONS) return;
        session = createLiveSession(
          {
            live,
            records: deps.records,
            logger: deps.logger,
            ...(deps.intervalMs !== undefined && { intervalMs: deps.intervalMs }),
            firstShowDelayMs: deps.firstShowDelayMs ?? FIRST_SHOW_DELAY_MS,
            ...(deps.onFirstVisible && { onFirstVisible: deps.onFirstVisible }),
          },
          snapshot.key,
          snapshot.target,
        );
        sessions.set(snapshot.key, session);
      }
      session.push(snapshot.text, snapshot.firstTokenAt);
    },
    async finish(key, platform) {
      finished.add(key);
      if (finished.size > MAX_SESSIONS) {
        const oldest = finished.values().next().value;
        if (oldest !== undefined) finished.delete(oldest);
      }
      const session = sessions.get(key);
      sessions.delete(key);
      if (session) return session.finish();
      if (!deps.live[platform]) return undefined;
      return deps.records.get(key).catch(() => undefined);
    },
    shows: (platform) => deps.live[platform] !== undefined,
    close() {
      clearInterval(sweep);
      for (const session of sessions.values()) void session.finish();
      sessions.clear();
    },
  };
}
