/**
 * What a failing delivery or model call writes to the log must not carry a credential or the
 * message text: errors from the real discord.js and Slack Web API clients (against local servers)
 * and from the AI SDK go through the one logger, which is the only place that redacts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { APICallError, RetryError } from 'ai';
import { WebhookClient } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/logger.ts';

const WEBHOOK_ID = '112233445566778899';
const WEBHOOK_TOKEN = 'wHk-T0ken_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS';
const BOT_TOKEN = 'xoxb-1111-2222-LogSecretSlackBotToken';
const APP_TOKEN = 'xapp-1-A0123-4567-LogSecretAppToken';
const USER_TOKEN = 'xoxp-3333-4444-LogSecretUserToken';
const GEMINI_KEY = 'AIzaSy-LogSecret-GeminiKey-0123456789';
const MESSAGE_TEXT = 'my private reply text that must not be logged';
const PROMPT = 'a private question the user asked the model';
const SECRETS = [WEBHOOK_TOKEN, BOT_TOKEN, APP_TOKEN, USER_TOKEN, GEMINI_KEY, MESSAGE_TEXT, PROMPT];

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A local HTTP server that answers every request with `status` and `body`. */
async function answering(status: number, body: unknown): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function capture(secrets: string[] = []): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (s: string) => chunks.push(s) },
    secrets,
  });
  return { log, text: () => chunks.join('') };
}

function expectNoSecret(text: string): void {
  expect(text.length).toBeGreaterThan(0);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('secrets never reach the log', () => {
  it('a Discord webhook post failing with a DiscordAPIError (url has the token, requestBody the text)', async () => {
    const base = await answering(404, { message: 'Unknown Webhook', code: 10015 });
    const webhook = new WebhookClient(
      { id: WEBHOOK_ID, token: WEBHOOK_TOKEN },
      { rest: { api: `${base}/api` } },
    );
    const error = await webhook.send({ content: MESSAGE_TEXT, username: 'Nova' }).then(
      () => undefined,
      (e: unknown) => e as Error & { url: string; requestBody: unknown },
    );
    webhook.destroy();
    expect(error?.url).toContain(WEBHOOK_TOKEN);
    expect(JSON.stringify(error?.requestBody)).toContain(MESSAGE_TEXT);

    // Not configured as a secret: the webhook token is recognised by its place in the URL.
    const { log, text } = capture();
    log.warn({ err: error, platform: 'discord' }, 'delivery failed');
    log.warn({ err: { cause: error } }, `post to ${error?.url} failed`);
    log.error(`delivery failed: ${String(error?.stack)} at ${error?.url}`);
    expectNoSecret(text());
    expect(text()).toContain(`/webhooks/${WEBHOOK_ID}/[redacted]`);
    expect(text()).toContain('Unknown Webhook');
  });

  it('a Slack Web API error, and Slack tokens written into any message', async () => {
    const base = await answering(200, { ok: false, error: 'invalid_auth' });
    const client = new WebClient(BOT_TOKEN, { slackApiUrl: `${base}/api/`, retryConfig: { retries: 0 } });
    const error = await client.chat.postMessage({ channel: 'C1', text: MESSAGE_TEXT }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain('invalid_auth');

    const { log, text } = capture();
    log.warn({ err: error, platform: 'slack' }, 'slack post failed');
    log.info(`connecting with ${BOT_TOKEN} and ${APP_TOKEN} for ${USER_TOKEN}`);
    log.info({ note: { nested: [`Bearer ${BOT_TOKEN}`] } }, 'headers');
    expectNoSecret(text());
    expect(text()).toContain('invalid_auth');
  });

  it('a model error (APICallError in a RetryError) with the key in its message', () => {
    const apiError = new APICallError({
      message: `API key not valid: ${GEMINI_KEY}`,
      url: `https://generativelanguage.googleapis.com/v1beta/models/gemini:generateContent?key=${GEMINI_KEY}`,
      requestBodyValues: { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] },
      statusCode: 400,
      responseHeaders: { 'x-goog-api-key': GEMINI_KEY },
      responseBody: '{"error":{"message":"API key not valid"}}',
      isRetryable: false,
    });
    const retry = new RetryError({
      message: 'failed after 1 attempt',
      reason: 'maxRetriesExceeded',
      errors: [apiError],
    });
    const { log, text } = capture([GEMINI_KEY]);
    log.warn({ err: apiError }, 'model call failed');
    log.warn({ err: retry }, 'model call failed');
    expectNoSecret(text());
    expect(text()).toContain('API key not valid');
  });
});
