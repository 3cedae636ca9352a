/**
 * A team adds its own Anthropic key from Slack and points an agent at it, without a restart: the
 * real Bolt app, the real command core, the real worker and @ai-sdk/anthropic against the fake
 * Anthropic API. The key goes in through a modal only, and shows up nowhere: not in a reply, not in
 * a command Slack saw, not in a log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_FORM_CALLBACK_ID } from '../../../src/adapters/slack/provider-form.ts';
import { runAgentCommand } from '../../../src/commands/handlers.ts';
import { parseConfig } from '../../../src/config.ts';
import { keyringOf } from '../../../src/providers/keyring.ts';
import { type FakeAnthropic, startFakeAnthropic } from '../../fakes/anthropic-server.ts';
import { directMessage, slashCommand, viewSubmission } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

interface Ephemeral {
  response_type: string;
  text: string;
}

const KEY = TEST_SECRETS.anthropicApiKey;

describe('slack /agent provider: a team brings its own Anthropic key', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  let anthropic: FakeAnthropic;

  beforeAll(async () => {
    anthropic = await startFakeAnthropic({ apiKey: KEY });
    const env = { AGENT_BRIDGE_SECRET_KEY: TEST_SECRETS.secretKey };
    h = await startSlackHarness(database.current, { env });
    await h.createAgent('Aria', { role: 'TypeScript mentor' });
    const config = parseConfig({ ...env, AGENT_BRIDGE_ADMINS: 'slack:UOPS' });
    const deps = {
      db: h.db,
      config,
      keyring: keyringOf(config),
      onChange: () => h.pipeline.announceDirectoryChange(),
    };
    h.commandReply = (context, command) => runAgentCommand(deps, context, command);
  });
  afterAll(async () => {
    await h?.close();
    await anthropic?.close();
  });

  const command = async (text: string, userId: string) =>
    (
      await h.sendForm(
        slashCommand({
          teamId: h.teamId,
          userId,
          channelId: 'C0GENERAL',
          text,
          responseUrl: h.slack.responseUrl('cmd'),
        }),
      )
    ).json() as Ephemeral;

  it('refuses a member who is no admin before any form opens, saying who may', async () => {
    const answer = await command(
      `provider add team-claude kind=anthropic base_url=${anthropic.baseURL}`,
      'UANA',
    );
    expect(answer.text).toBe(
      'Only a workspace admin or owner or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.',
    );
    expect(h.slack.callsTo('views.open')).toHaveLength(0);
  });

  it('refuses a key typed in the command text, without running anything', async () => {
    h.commands.length = 0;
    const answer = await command(`provider add team-claude kind=anthropic key=${KEY}`, 'UADMIN');
    expect(answer.text).toMatch(/^Never type a key in a command/);
    expect(answer.text).not.toContain(KEY);
    expect(h.commands).toEqual([]);
  });

  it('asks for the key in a modal, stores it sealed, and the agent answers through it at once', async () => {
    h.slack.reset();
    const typed = `provider add team-claude kind=anthropic model=claude-sonnet-4-5 base_url=${anthropic.baseURL}`;
    const opened = await h.sendForm(
      slashCommand({
        teamId: h.teamId,
        userId: 'UADMIN',
        channelId: 'C0GENERAL',
        text: typed,
        responseUrl: h.slack.responseUrl('cmd'),
      }),
    );
    expect(opened.text).toBe('');
    const [open] = await h.slack.waitForCalls('views.open', 1);
    const view = open?.params.view as {
      callback_id: string;
      private_metadata: string;
      blocks: Array<{ block_id?: string; hint?: { text: string } }>;
    };
    expect(view.callback_id).toBe(PROVIDER_FORM_CALLBACK_ID);
    expect(view.blocks.find((b) => b.block_id === 'key')?.hint?.text).toMatch(/no password field/);

    const saved = await h.sendForm(
      viewSubmission({
        teamId: h.teamId,
        userId: 'UADMIN',
        callbackId: PROVIDER_FORM_CALLBACK_ID,
        privateMetadata: view.private_metadata,
        values: { key: KEY },
      }),
    );
    const result = saved.json() as { response_action: string; view: unknown };
    expect(result.response_action).toBe('update');
    const shown = JSON.stringify(result.view);
    expect(shown).toContain('Added the provider team-claude');
    expect(shown).toContain(`…${KEY.slice(-4)}`);
    expect(shown).not.toContain(KEY);

    const edited = await command('edit Aria model=team-claude:claude-sonnet-4-5', 'UADMIN');
    expect(edited.text).toMatch(/^Updated Aria/);

    await h.sendEvent(directMessage({ user: 'UANA', text: 'what is a union type?', channel: 'D0CLAUDE' }));
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(String(post?.params.text)).toBe('fake anthropic (claude-sonnet-4-5): what is a union type?');
    expect(post?.params).toMatchObject({ channel: 'D0CLAUDE', username: 'Aria' });
    expect(anthropic.requests.at(-1)?.apiKey).toBe(KEY);

    const listed = await command('provider list', 'UADMIN');
    expect(JSON.stringify(listed)).toContain('team-claude');
    expect(JSON.stringify(listed)).not.toContain(KEY);

    const refused = await command('provider remove team-claude', 'UADMIN');
    expect(refused.text).toBe(
      'team-claude is in use by Aria: change their model first (edit NAME model=...).',
    );

    // Nothing Slack was sent, and no log line, carries the key.
    for (const call of h.slack.calls) expect(JSON.stringify(call.params)).not.toContain(KEY);
    for (const line of h.logs) expect(line).not.toContain(KEY);
  });
});
