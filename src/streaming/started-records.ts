/**
 * Where a streamed reply's started message is recorded: Redis, by the reply's key, for a day (a
 * reply's work is retried, stalled and swept within hours; after a day a lookup would post anew).
 * Written once, when the message exists, and again only if a stream had to turn into edits.
 */
import type { Redis } from 'ioredis';
import type { StartedMessage } from '../core/live-reply.ts';

export const STARTED_TTL_SECONDS = 24 * 60 * 60;

export interface StartedRecords {
  get(key: string): Promise<StartedMessage | undefined>;
  set(key: string, message: StartedMessage): Promise<void>;
}

export function redisStartedRecords(redis: Redis, prefix: string): StartedRecords {
  const at = (key: string) => `${prefix}:live:${key}`;
  return {
    async get(key) {
      const raw = await redis.get(at(key));
      return raw ? parseStarted(raw) : undefined;
    },
    async set(key, message) {
      await redis.set(at(key), JSON.stringify(message), 'EX', STARTED_TTL_SECONDS);
    },
  };
}

/** For tests and a process without Redis. */
export function memoryStartedRecords(): StartedRecords & { readonly entries: Map<string, StartedMessage> } {
  const entries = new Map<string, StartedMessage>();
  return {
    entries,
    get: async (key) => entries.get(key),
    async set(key, message) {
      entries.set(key, message);
    },
  };
}

function parseStarted(raw: string): StartedMessage | undefined {
  try {
    const value = JSON.parse(raw) as Partial<StartedMessage>;
    if (typeof value.messageId !== 'string' || typeof value.channelId !== 'string') return undefined;
    if (value.mode !== 'stream' && value.mode !== 'edit') return undefined;
    if (value.platform !== 'slack' && value.platform !== 'discord' && value.platform !== 'shell')
      return undefined;
    return {
      platform: value.platform,
      channelId: value.channelId,
      messageId: value.messageId,
      mode: value.mode,
      ...(typeof value.threadId === 'string' && { threadId: value.threadId }),
      ...(typeof value.webhookId === 'string' && { webhookId: value.webhookId }),
    };
  } catch {
    return undefined;
  }
}
