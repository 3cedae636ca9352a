/**
 * Finding a part of a reply that an earlier attempt may have posted without recording it (a crash,
 * an answer lost on the way back): the channel's messages after a point, read once, oldest first,
 * searched for our own post with the part's exact content. Webhook posts carry no nonce, so this is
 * their only protection; bot posts use it beyond Discord's nonce window.
 */
import { type APIMessage, DiscordAPIError, type REST, Routes } from 'discord.js';
import type { Logger } from '../../logger.ts';
import { compareSnowflakes } from './snowflakes.ts';

/** Messages per request: Discord's maximum. */
const PAGE = 100;
/** At most this many pages are read for one reply (500 messages posted since it was stored). */
const MAX_PAGES = 5;

export interface Verdict {
  /** The id of the part, already on Discord. */
  found: string | undefined;
  /** Not found though the channel was read from the point to now (else posting may double it). */
  certain: boolean;
}

export class ChannelHistory {
  private read: Promise<{ messages: APIMessage[]; complete: boolean }> | undefined;

  constructor(
    private readonly rest: REST,
    private readonly channelId: string,
    /** Only messages after this id can be parts of the reply. */
    private readonly after: bigint,
    private readonly logger: Logger,
  ) {}

  /** The first message after `afterId` that `matches`, oldest first. */
  async find(matches: (message: APIMessage) => boolean, afterId: string | undefined): Promise<Verdict> {
    this.read ??= this.readAll();
    const { messages, complete } = await this.read;
    const hit = messages.find(
      (m) => (afterId === undefined || compareSnowflakes(m.id, afterId) > 0) && matches(m),
    );
    return { found: hit?.id, certain: hit !== undefined || complete };
  }

  private async readAll(): Promise<{ messages: APIMessage[]; complete: boolean }> {
    const messages: APIMessage[] = [];
    let cursor = this.after.toString();
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const query = new URLSearchParams({ after: cursor, limit: String(PAGE) });
        const batch = (await this.rest.get(Routes.channelMessages(this.channelId), {
          query,
        })) as APIMessage[];
        // Discord answers newest first.
        const oldestFirst = [...batch].sort((a, b) => compareSnowflakes(a.id, b.id));
        messages.push(...oldestFirst);
        const newest = oldestFirst.at(-1);
        if (batch.length < PAGE || !newest) return { messages, complete: true };
        cursor = newest.id;
      }
      return { messages, complete: false };
    } catch (error) {
      // No Read Message History here, or the channel is gone: nothing to learn from it. Anything
      // else (5xx, network) is thrown: the delivery is retried rather than risk a second post.
      if (!(error instanceof DiscordAPIError)) throw error;
      this.logger.warn(
        { err: error, channelId: this.channelId },
        'cannot read the discord channel to check for an earlier post of a reply. Fix: give the bot Read Message History there',
      );
      return { messages, complete: false };
    }
  }
}

/** Discord trims what it stores; a part is the same when its content is. */
export function sameContent(stored: string | undefined, part: string): boolean {
  return (stored ?? '').trim() === part.trim();
}
