/**
 * The guilds a user shares with the bot, which their DMs reach. Without the privileged Server
 * Members intent the gateway does not tell, so each guild is asked (GET /guilds/:id/members/:user,
 * all at once) and the answer kept per user for a while. Never throws: a guild that cannot be asked
 * is left out (and the answer not kept, so the next message asks again), the others still count.
 */
import { type Client, RESTJSONErrorCodes } from 'discord.js';
import type { Logger } from '../../logger.ts';
import { isDiscordError } from './webhooks.ts';

export interface SharedGuild {
  id: string;
  name: string;
}

export interface DmGuildsOptions {
  client: Client;
  logger: Logger;
  /** Guilds that count (DISCORD_ALLOWED_GUILDS); default: every guild. */
  admits?(guildId: string): boolean;
  /** How long an answer is kept [10 minutes]. */
  ttlMs?: number;
  /** How many users' answers are kept; the oldest go first [5000]. */
  capacity?: number;
  now?: () => number;
}

const NOT_A_MEMBER = [RESTJSONErrorCodes.UnknownMember, RESTJSONErrorCodes.UnknownUser];

export class DmGuilds {
  private readonly byUser = new Map<string, { at: number; guilds: Promise<SharedGuild[]> }>();
  private readonly ttlMs: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(private readonly options: DmGuildsOptions) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.capacity = options.capacity ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** The guilds `userId` shares with the bot, in the client's guild order. */
  of(userId: string): Promise<SharedGuild[]> {
    const kept = this.byUser.get(userId);
    if (kept && this.now() - kept.at < this.ttlMs) return kept.guilds;
    this.byUser.delete(userId);
    const lookup = this.lookup(userId);
    const entry = { at: this.now(), guilds: lookup.then((answer) => answer.guilds) };
    this.byUser.set(userId, entry);
    if (this.byUser.size > this.capacity) {
      const oldest = this.byUser.keys().next();
      if (!oldest.done) this.byUser.delete(oldest.value);
    }
    void lookup.then(({ complete }) => {
      if (!complete && this.byUser.get(userId) === entry) this.byUser.delete(userId);
    });
    return entry.guilds;
  }

  private async lookup(userId: string): Promise<{ guilds: SharedGuild[]; complete: boolean }> {
    const admits = this.options.admits ?? (() => true);
    const guilds = [...this.options.client.guilds.cache.values()].filter((guild) => admits(guild.id));
    const answers = await Promise.allSettled(
      guilds.map(async (guild) => {
        try {
          await guild.members.fetch({ user: userId, force: true, cache: false });
          return true;
        } catch (error) {
          if (isDiscordError(error, ...NOT_A_MEMBER)) return false;
          throw error;
        }
      }),
    );
    const shared: SharedGuild[] = [];
    const failed: string[] = [];
    for (const [index, answer] of answers.entries()) {
      const guild = guilds[index];
      if (!guild) continue;
      if (answer.status === 'rejected') failed.push(guild.id);
      else if (answer.value) shared.push({ id: guild.id, name: guild.name });
    }
    if (failed.length > 0) {
      this.options.logger.warn(
        { userId, guildIds: failed, err: firstReason(answers) },
        'could not check which discord servers a DM author shares with the bot: their DM reaches the agents of the others',
      );
    }
    return { guilds: shared, complete: failed.length === 0 };
  }
}

function firstReason(answers: Array<PromiseSettledResult<unknown>>): unknown {
  return answers.find((answer) => answer.status === 'rejected')?.reason;
}
