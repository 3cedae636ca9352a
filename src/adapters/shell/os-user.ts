/**
 * The OS user's name, for the shell chat and the `agents` command line. A module of its own so that
 * `agents` does not load the chat (and with it the whole reply pipeline) to learn it.
 */
import { userInfo } from 'node:os';

/** The OS user name; `fallback` where there is none (no passwd entry in some containers). */
export function osUserName(fallback = 'you'): string {
  try {
    return userInfo().username || fallback;
  } catch {
    return fallback;
  }
}
