/**
 * `/agent` and the agent form through the real Bolt app: signed slash commands and view
 * submissions, answered in the HTTP response (ephemeral Block Kit, response_action), views.open
 * and response_url on the fake Slack API. The command core is the harness's recording stub.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FORM_CALLBACK_ID } from '../../../src/adapters/slack/blocks.ts';
import type { CommandReply } from '../../../src/commands/command.ts';
import { slashCommand, viewSubmission } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

interface Ephemeral {
  response_type: string;
  text: string;
  blocks: Array<{ type: string; text?: { text: string } }>;
}

describe('slack /agent', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;

  beforeAll(async () => {
    h = await startSlackHarness(database.current);
    await h.createAgent('Aria', { role: 'TypeScript mentor' });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.commands.length = 0;
    h.commandReply = async (_context, command) => ({ ok: true, text: `Done: ${command.verb}.` });
  });

  const command = (text: string, fields: { userId?: string; channelId?: string } = {}) =>
    h.sendForm(
      slashCommand({
        teamId: h.teamId,
        userId: fields.userId ?? 'UANA',
        channelId: fields.channelId ?? 'C0GENERAL',
        text,
        responseUrl: h.slack.responseUrl('cmd'),
      }),
    );
  const blockTexts = (answer: Ephemeral) => answer.blocks.map((b) => b.text?.text ?? '');

  it('answers /agent list with an ephemeral Block Kit rendering of the reply', async () => {
    h.commandReply = async () => ({
      ok: true,
      text: 'Agents here: 1.',
      title: 'Agents',
      rows: [
        {
          name: 'Aria',
          status: 'active',
          model: 'google:gemini-2.5-flash',
          channels: '#general',
          role: 'Mentor <!channel>',
        },
      ],
    });
    const answer = await command('list', { userId: 'UADMIN' });
    expect(answer.status).toBe(200);
    const body = answer.json() as Ephemeral;
    expect(body.response_type).toBe('ephemeral');
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Agents' } });
    expect(blockTexts(body).join('\n')).toContain('*Aria* · active · `google:gemini-2.5-flash` · #general');
    expect(blockTexts(body).join('\n')).toContain('Mentor &lt;!channel&gt;');
    expect(h.commands).toEqual([
      {
        command: { verb: 'list' },
        context: {
          platform: 'slack',
          workspaceExternalId: h.teamId,
          workspaceName: 'fake',
          channelId: 'C0GENERAL',
          isDirect: false,
          actor: { platformUserId: 'UADMIN', displayName: 'Root', isPlatformAdmin: true },
        },
      },
    ]);
  });

  it('links channel ids in list rows', async () => {
    h.commandReply = async () => ({
      ok: true,
      text: 'Agents here: 1.',
      rows: [{ name: 'Aria', status: 'active', model: 'm', channels: 'C0123ABCD, C0456EFGH', role: '' }],
    });
    const linked = (await command('list')).json() as Ephemeral;
    expect(blockTexts(linked).join('\n')).toContain('<#C0123ABCD>, <#C0456EFGH>');
  });

  it('reads a DM as direct and a plain user as no admin', async () => {
    await command('use Aria', { channelId: 'D0ANA' });
    expect(h.commands[0]?.command).toEqual({ verb: 'use', name: 'Aria' });
    expect(h.commands[0]?.context).toMatchObject({
      isDirect: true,
      actor: { displayName: 'Ana', isPlatformAdmin: false },
    });
  });

  it('reads entities Slack escaped in the command text', async () => {
    await command('create Tom role="Tom &amp; Jerry &lt;3"');
    expect(h.commands[0]?.command).toEqual({
      verb: 'create',
      name: 'Tom',
      fields: { role: 'Tom & Jerry <3' },
    });
  });

  it('answers a typo with the parser error, without running anything', async () => {
    const body = (await command('creat Aria')).json() as Ephemeral;
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/Unknown command "creat"/);
    expect(h.commands).toEqual([]);
  });

  it('opens the form for `/agent create` alone', async () => {
    const answer = await command('create');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    const [open] = await h.slack.waitForCalls('views.open', 1);
    const view = open?.params.view as {
      callback_id: string;
      blocks: Array<{ block_id?: string }>;
      private_metadata: string;
    };
    expect(open?.params.trigger_id).toMatch(/^trigger\./);
    expect(view.callback_id).toBe(FORM_CALLBACK_ID);
    expect(view.blocks.map((b) => b.block_id)).toEqual([
      'name',
      'role',
      'goal',
      'backstory',
      'prompt',
      'model',
      'avatar',
      'loading',
    ]);
    expect(JSON.parse(view.private_metadata)).toEqual({
      verb: 'create',
      teamId: h.teamId,
      isDirect: false,
      channelId: 'C0GENERAL',
    });
    expect(h.commands).toEqual([]);
  });

  it('opens the edit form, prefilled, for `/agent edit NAME` alone', async () => {
    await command('edit aria');
    const [open] = await h.slack.waitForCalls('views.open', 1);
    const view = open?.params.view as {
      blocks: Array<{ block_id?: string; element?: { initial_value?: string } }>;
      private_metadata: string;
    };
    expect(view.blocks.find((b) => b.block_id === 'role')?.element?.initial_value).toBe('TypeScript mentor');
    expect(view.blocks.some((b) => b.block_id === 'name')).toBe(false);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ verb: 'edit', name: 'Aria' });
  });

  it('says why when the form cannot open', async () => {
    h.slack.enqueue('views.open', { error: 'expired_trigger_id' });
    const body = (await command('create')).json() as Ephemeral;
    expect(body.text).toContain('expired_trigger_id');
    expect(body.text).toContain('/agent create NAME');
  });

  const submit = (
    values: Record<string, string>,
    metadata: object = { verb: 'create', teamId: h.teamId, isDirect: false, channelId: 'C0GENERAL' },
  ) =>
    h.sendForm(
      viewSubmission({
        teamId: h.teamId,
        userId: 'UANA',
        callbackId: FORM_CALLBACK_ID,
        privateMetadata: JSON.stringify(metadata),
        values,
      }),
    );

  it('shows a bad model on the model field, with the parser’s words, and runs nothing', async () => {
    const answer = await submit({ name: 'Nova', role: 'Researcher', model: 'nonsense' });
    expect(answer.status).toBe(200);
    const body = answer.json() as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors)).toEqual(['model']);
    expect(body.errors.model).toMatch(/model/i);
    expect(h.commands).toEqual([]);
  });

  it('maps each bad field to its input', async () => {
    const body = (
      await submit({ name: 'no spaces allowed', avatar: 'http://insecure.example/a.png' })
    ).json() as {
      errors: Record<string, string>;
    };
    expect(Object.keys(body.errors).sort()).toEqual(['avatar', 'name']);
  });

  it('runs a valid submission as the create command and shows the result', async () => {
    const answer = await submit({ name: 'Nova', role: 'Says "hi" \\ politely', model: 'offline:echo' });
    const body = answer.json() as { response_action: string; view: { title: { text: string } } };
    expect(body.response_action).toBe('update');
    expect(body.view.title.text).toBe('Done');
    expect(h.commands[0]?.command).toEqual({
      verb: 'create',
      name: 'Nova',
      fields: { role: 'Says "hi" \\ politely', model: 'offline:echo' },
    });
    expect(h.commands[0]?.context).toMatchObject({
      channelId: 'C0GENERAL',
      actor: { platformUserId: 'UANA' },
    });
  });

  it('keeps the form open with the refusal on the name when the create is refused', async () => {
    h.commandReply = async () => ({
      ok: false,
      text: 'An agent named Aria already exists here. Pick another name.',
    });
    const body = (await submit({ name: 'Aria' })).json() as {
      response_action: string;
      errors: Record<string, string>;
    };
    expect(body).toEqual({
      response_action: 'errors',
      errors: { name: 'An agent named Aria already exists here. Pick another name.' },
    });
  });

  it('puts a model ALLOWED_MODELS refuses on the model field, in a create and in an edit', async () => {
    const text = 'Model local:llama3.2 is not allowed here. Allowed: google:* (ALLOWED_MODELS).';
    h.commandReply = async () => ({ ok: false, text, field: 'model' });
    const created = (await submit({ name: 'Nova', model: 'local:llama3.2' })).json();
    expect(created).toEqual({ response_action: 'errors', errors: { model: text } });
    const edited = (
      await submit(
        { model: 'local:llama3.2' },
        { verb: 'edit', name: 'Aria', teamId: h.teamId, isDirect: true },
      )
    ).json();
    expect(edited).toEqual({ response_action: 'errors', errors: { model: text } });
  });

  it('sends only the changed fields of an edit', async () => {
    await submit(
      { goal: 'Teach generics' },
      { verb: 'edit', name: 'Aria', teamId: h.teamId, isDirect: true },
    );
    expect(h.commands[0]?.command).toEqual({
      verb: 'edit',
      name: 'Aria',
      fields: { goal: 'Teach generics' },
    });
    expect(h.commands[0]?.context).toMatchObject({ isDirect: true });
  });
});

describe('slack /agent, slow', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;

  beforeAll(async () => {
    h = await startSlackHarness(database.current, { ackBudgetMs: 200 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('acks within the budget and answers through response_url', async () => {
    let release: (reply: CommandReply) => void = () => {};
    h.commandReply = () => new Promise((resolve) => (release = resolve));
    const answer = await h.sendForm(
      slashCommand({
        teamId: h.teamId,
        userId: 'UANA',
        channelId: 'C1',
        text: 'list',
        responseUrl: h.slack.responseUrl('slow'),
      }),
    );
    expect((answer.json() as Ephemeral).text).toBe('Working on it…');
    release({ ok: true, text: 'Agents here: 0.' });
    const [response] = await h.slack.waitForResponses(1);
    expect(response).toMatchObject({
      id: 'slow',
      body: { response_type: 'ephemeral', replace_original: true, text: 'Agents here: 0.' },
    });
  });
});
