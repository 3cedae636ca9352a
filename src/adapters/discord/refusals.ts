/**
 * What Discord's refusal of a post means for the reply (pure decisions, tested table-style):
 * - `gone`: the channel or thread no longer exists (404, code 10003 Unknown Channel): posting
 *   again can never work, the reply is undeliverable;
 * - `thread-closed`: the thread is archived (400, code 50083) or locked (403, code 160005): the
 *   reply goes to the thread's parent channel instead.
 */
import { RESTJSONErrorCodes } from 'discord.js';
import { isDiscordError } from './webhooks.ts';

export type Refusal = 'gone' | 'thread-closed';

export function refusalOf(error: unknown): Refusal | undefined {
  if (isDiscordError(error, RESTJSONErrorCodes.UnknownChannel)) return 'gone';
  if (
    isDiscordError(error, RESTJSONErrorCodes.InvalidActionOnArchivedThread, RESTJSONErrorCodes.ThreadLocked)
  ) {
    return 'thread-closed';
  }
  return undefined;
}

/** A thread as discord.js caches it (`ThreadChannel.archived` / `.locked`, null when not known). */
export interface ThreadState {
  archived: boolean | null;
  locked: boolean | null;
}

/** Nothing can be posted in an archived or locked thread: its replies go to the parent channel. */
export function isClosedThread(thread: ThreadState | undefined): boolean {
  return thread !== undefined && (thread.archived === true || thread.locked === true);
}
