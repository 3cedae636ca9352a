/**
 * The discord.js client with exactly the intents the adapter needs, and the two start-up failures
 * a person must fix themselves, each explained in one line that says how.
 */
import { Client, DiscordAPIError, GatewayCloseCodes, GatewayIntentBits, Partials, REST } from 'discord.js';

export function createDiscordClient(apiUrl: string): Client {
  return new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
    ],
    // DM channels are not cached before their first message arrives.
    partials: [Partials.Channel],
    rest: { api: apiUrl },
  });
}

/**
 * The REST client for webhook posts. Those take no nonce, so a post discord.js repeated on its own
 * after a 5xx or a timeout could appear twice: this client never repeats a request (429s are still
 * waited out: Discord refused those), and the delivery decides after looking at the channel.
 */
export function createWebhookRest(apiUrl: string): REST {
  return new REST({ api: apiUrl, retries: 0 });
}

export const MISSING_MESSAGE_CONTENT_INTENT =
  'Discord refused the connection: the Message Content intent is not enabled for this bot (close code 4014). Fix: Discord Developer Portal → your application → Bot → Privileged Gateway Intents → turn on MESSAGE CONTENT INTENT, save, then restart agent-bridge.';

export const INVALID_BOT_TOKEN =
  'Discord rejected DISCORD_BOT_TOKEN (authentication failed, close code 4004 / HTTP 401). Fix: Discord Developer Portal → your application → Bot → Reset Token, and set DISCORD_BOT_TOKEN to the new token (without a "Bot " prefix).';

/** The one-line explanation for an unrecoverable login failure, or undefined for other errors. */
export function explainConnectionFailure(failure: unknown): string | undefined {
  const code =
    typeof failure === 'number'
      ? failure
      : failure instanceof DiscordAPIError
        ? failure.status
        : failure instanceof Error
          ? failure.message
          : undefined;
  if (code === GatewayCloseCodes.DisallowedIntents || code === 'Used disallowed intents') {
    return MISSING_MESSAGE_CONTENT_INTENT;
  }
  if (
    code === GatewayCloseCodes.AuthenticationFailed ||
    code === 401 ||
    code === 'Authentication failed' ||
    (failure instanceof Error && 'code' in failure && failure.code === 'TokenInvalid')
  ) {
    return INVALID_BOT_TOKEN;
  }
  return undefined;
}

export class DiscordConnectionError extends Error {}
