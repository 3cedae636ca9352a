/** The one place Redis connections are made. */
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connection for BullMQ workers and queues: commands wait through reconnects instead of failing
 * (`maxRetriesPerRequest: null` is what BullMQ requires for blocking connections).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Answers within `timeoutMs` whether Redis at `url` replies to PING; never retries. */
export async function pingRedis(
  url: string,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await withTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
    );
    return { ok: true };
  } catch (error) {
    // connect() rejects with a generic "Connection is closed"; the error event has the cause.
    return { ok: false, reason: (lastError ?? (error as Error)).message };
  } finally {
    client.disconnect();
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Calls `observe` with the name of every command the connection sends (pipelines included). */
export function observeCommands(connection: Redis, observe: (name: string) => void): void {
  const send = connection.sendCommand.bind(connection);
  connection.sendCommand = ((command: { name: string }, stream?: unknown) => {
    observe(command.name);
    return send(command as never, stream as never);
  }) as typeof connection.sendCommand;
}
