/**
 * The channel webhooks agents speak through: one per channel named `agent-bridge`, created by our
 * bot on first use, found again after a restart, cached. A channel where the bot may not manage
 * webhooks is remembered for a while, so every reply there does not cost a refused request.
 */
import {
  type APIWebhook,
  DiscordAPIError,
  type REST,
  RESTJSONErrorCodes,
  Routes,
  WebhookType,
} from 'discord.js';
import type { Logger } from '../../logger.ts';

export const WEBHOOK_NAME = 'agent-bridge';
const DENIED_FOR_MS = 10 * 60_000;

export interface AgentWebhook {
  id: string;
  token: string;
}

/** Errors that mean "no webhook here, post as the bot" rather than "try again later". */
const NO_WEBHOOK_CODES: ReadonlySet<number | string> = new Set([
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MaximumNumberOfWebhooksReached,
]);

export function isDiscordError(error: unknown, ...codes: Array<number | string>): error is DiscordAPIError {
  return error instanceof DiscordAPIError && codes.includes(error.code);
}

export interface WebhookDirectoryOptions {
  rest: REST;
  /** Our bot user's id (webhooks it created are ours). */
  botUserId: () => string | undefined;
  logger: Logger;
  now?: () => number;
}

export class WebhookDirectory {
  private readonly byChannel = new Map<string, Promise<AgentWebhook | null>>();
  private readonly deniedUntil = new Map<string, number>();
  /** Webhook id → whether our bot created it. */
  private readonly owner = new Map<string, boolean>();
  private readonly now: () => number;

  constructor(private readonly options: WebhookDirectoryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The channel's agent webhook, or null when the bot may not have one there. */
  forChannel(channelId: string): Promise<AgentWebhook | null> {
    const denied = this.deniedUntil.get(channelId);
    if (denied !== undefined && denied > this.now()) return Promise.resolve(null);
    const cached = this.byChannel.get(channelId);
    if (cached) return cached;
    const lookup = this.findOrCreate(channelId).catch((error: unknown) => {
      this.byChannel.delete(channelId);
      throw error;
    });
    this.byChannel.set(channelId, lookup);
    return lookup;
  }

  /** The cached webhook stopped working (deleted by a moderator): look it up again next time. */
  forget(channelId: string): void {
    this.byChannel.delete(channelId);
  }

  /** Whether a message's webhook is one of ours (asks Discord once per unknown webhook). */
  async isOurs(webhookId: string): Promise<boolean> {
    const known = this.owner.get(webhookId);
    if (known !== undefined) return known;
    try {
      const webhook = (await this.options.rest.get(Routes.webhook(webhookId))) as APIWebhook;
      return this.learn(webhook);
    } catch {
      // Unknown, or not visible to us: either way not a webhook of ours.
      this.owner.set(webhookId, false);
      return false;
    }
  }

  private async findOrCreate(channelId: string): Promise<AgentWebhook | null> {
    const { rest, logger } = this.options;
    try {
      const existing = (await rest.get(Routes.channelWebhooks(channelId))) as APIWebhook[];
      const ours = existing.find((w) => this.learn(w) && w.name === WEBHOOK_NAME && w.token);
      if (ours?.token) return { id: ours.id, token: ours.token };
      const created = (await rest.post(Routes.channelWebhooks(channelId), {
        body: { name: WEBHOOK_NAME },
        reason: 'agent-bridge: post replies under each agent’s name and avatar',
      })) as APIWebhook;
      this.owner.set(created.id, true);
      if (!created.token) return null;
      logger.info({ channelId, webhookId: created.id }, 'created the agent webhook for a discord channel');
      return { id: created.id, token: created.token };
    } catch (error) {
      if (!isDiscordError(error, ...NO_WEBHOOK_CODES)) throw error;
      logger.warn(
        { channelId, code: error.code },
        'cannot use a webhook in this discord channel: agents reply as the bot, with their name in bold. Fix: give the bot the Manage Webhooks permission there',
      );
      this.deniedUntil.set(channelId, this.now() + DENIED_FOR_MS);
      this.byChannel.delete(channelId);
      return null;
    }
  }

  private learn(webhook: APIWebhook): boolean {
    const ours =
      webhook.type === WebhookType.Incoming &&
      webhook.user?.id !== undefined &&
      webhook.user.id === this.options.botUserId();
    this.owner.set(webhook.id, ours);
    return ours;
  }
}
