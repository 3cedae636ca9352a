/**
 * Every credential the fakes and the tests use, in one place: the fakes and tests take their
 * secrets from here, and scripts/check-log-secrets.mjs fails when any of them (or anything of
 * `TEST_SECRET_SHAPES`) appears in a test run's log files (test/support/test-log.ts, TEST_LOG_FILE).
 * A new secret belongs here, or the check cannot know it.
 */

/** Fixed secrets, by what they are. Each is 8 characters or more (the logger ignores shorter). */
export const TEST_SECRETS = {
  /** The fake Slack Web API's bot token (test/fakes/slack-api.ts). */
  slackBotToken: 'xoxb-fake-bot-token',
  /** The fake Slack Web API's app-level token, for Socket Mode. */
  slackAppToken: 'xapp-fake-app-token',
  /** The lean fake Slack Web API's bot token (test/fakes/slack-web-lean.ts, benches and chaos). */
  slackLeanBotToken: 'xoxb-lean-fake-token',
  /** The signing secret of the in-process Slack harness (test/platform/slack, fuzz). */
  slackSigningSecret: 'fake-signing-secret-0123456789abcdef',
  /** The signing secret of the end-to-end app (test/e2e/platforms.test.ts). */
  e2eSigningSecret: 'e2e-signing-secret-0123456789',
  /** The signing secret of the service started by the chaos test. */
  chaosSigningSecret: 'chaos-signing-secret-5f1c0e9a7b42',
  /** The signing secret of the Slack-style sender's own tests (test/chaos/harness.test.ts). */
  senderSigningSecret: 'harness-secret',
  /** The fake Gemini's API key (test/fakes/gemini-server.ts). */
  geminiApiKey: 'fake-gemini-key-0123456789',
  /** A Gemini-shaped key the provider tests check never comes out in an error. */
  geminiOtherKey: 'AIzaSy-this-is-the-secret-key-0000000',
  /** The key of the fake OpenAI-compatible server (test/unit/providers/openai-compatible.test.ts). */
  openaiCompatibleKey: 'local-secret-key',
  /** The fake Discord's bot token (test/fakes/discord-server.ts). */
  discordBotToken: 'fake-discord-bot-token',
  /** ADMIN_TOKEN of the admin-surface tests (test/integration/ops.test.ts). */
  adminToken: 'ops-test-token-0123456789',
  /** The fake OpenAI API's key (test/fakes/openai-server.ts). */
  openaiApiKey: 'sk-proj-fake-openai-key-0123456789abcdef',
  /** The fake Anthropic API's key (test/fakes/anthropic-server.ts). */
  anthropicApiKey: 'sk-ant-api03-fake-anthropic-key-0123456789',
  /** A key the provider tests store in a record and the fakes refuse (401). */
  revokedProviderKey: 'sk-ant-api03-revoked-key-9876543210',
  /** AGENT_BRIDGE_SECRET_KEY of the provider-record tests (32 bytes, base64). */
  secretKey: 'dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODlhYmNkZWY=',
  /** The second AGENT_BRIDGE_SECRET_KEY of the rotation tests. */
  nextSecretKey: 'bmV4dC1zZWNyZXQta2V5LTAxMjM0NTY3ODlhYmNkZWY=',
  /** The password in a DATABASE_URL the start test checks is never printed (test/e2e/start.test.ts). */
  databasePassword: 'hunter2secret',
} as const;

/** Prefixes of the tokens the fake Discord hands out per run (random, so matched by shape). */
export const DISCORD_WEBHOOK_TOKEN_PREFIX = 'wtoken-';
export const DISCORD_INTERACTION_TOKEN_PREFIX = 'itoken-';

/** Secrets that are random per run, recognised by their shape wherever they appear. */
export const TEST_SECRET_SHAPES: { name: string; pattern: RegExp }[] = [
  {
    name: 'fake Discord webhook token',
    pattern: new RegExp(`\\b${DISCORD_WEBHOOK_TOKEN_PREFIX}\\d{5,}`, 'g'),
  },
  {
    name: 'fake Discord interaction token',
    pattern: new RegExp(`\\b${DISCORD_INTERACTION_TOKEN_PREFIX}\\d{5,}`, 'g'),
  },
  // Any Slack token, whoever made it up (the service's logger scrubs these by shape).
  { name: 'Slack token', pattern: /\b(?:xox[abeoprs]|xapp)-[\w-]*\w/g },
  // Provider keys by their real shapes (OpenAI project/user keys, Anthropic keys).
  { name: 'Anthropic key', pattern: /\bsk-ant-[\w-]{10,}/g },
  { name: 'OpenAI key', pattern: /\bsk-proj-[\w-]{10,}/g },
];
