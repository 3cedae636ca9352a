import { describe, expect, it } from 'vitest';
import { runAgentCommand } from '../../../src/commands/handlers.ts';
import { parseAgentCommand } from '../../../src/commands/parse.ts';
import { effectiveSystemPrompt } from '../../../src/core/system-prompt.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { ana, baseConfig, bob, workspace } from './command-harness.ts';

const today = () => new Date().toISOString().slice(0, 10);

describe.each(providers)('/agent verbs on %s', (provider) => {
  const t = useTestDatabase(provider);
  const db = () => t.current.db;

  it('create stores the agent owned by its creator, with the configured concurrency', async () => {
    const ws = workspace(db);
    const reply = await ws.run(ana, 'create Aria role="Friendly TypeScript mentor" goal=teach');
    expect(reply).toEqual({
      ok: true,
      text: 'Created Aria (model default (offline:echo)): add it to a channel with /agent join Aria.',
    });
    const agent = await ws.agent('Aria');
    const creator = await db().platformUser.findUniqueOrThrow({ where: { id: agent?.ownerId ?? '' } });
    expect(creator).toMatchObject({ platform: 'slack', externalId: 'UANA', displayName: 'Ana' });
    expect(agent).toMatchObject({
      name: 'Aria',
      role: 'Friendly TypeScript mentor',
      goal: 'teach',
      systemPrompt: null,
      modelConfig: null,
      avatarUrl: null,
      maxConcurrentJobs: 3,
      status: 'active',
    });

    await ws.run(
      ana,
      'create Nova model=local:llama3.2:3b avatar=https://example.com/n.png prompt="Be terse."',
    );
    expect(await ws.agent('nova')).toMatchObject({
      modelConfig: { model: 'local:llama3.2:3b' },
      avatarUrl: 'https://example.com/n.png',
      systemPrompt: 'Be terse.',
    });
  });

  it('names are unique per workspace regardless of case', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    expect(await ws.run(bob, 'create ARIA')).toEqual({
      ok: false,
      text: 'There is already an agent named Aria here (names ignore case): pick another name.',
    });
    expect(await ws.run(bob, 'create Aria')).toEqual({
      ok: false,
      text: 'There is already an agent named Aria here: pick another name.',
    });
    expect(await db().agent.count({ where: { workspaceId: await ws.id() } })).toBe(1);
    expect((await ws.run(bob, 'show aRiA')).title).toBe('Aria');
    // Another workspace is another namespace.
    expect((await workspace(db).run(bob, 'create aria')).ok).toBe(true);
  });

  it('checks input before writing anything, for commands that bypass the parser (Discord options)', async () => {
    const ws = workspace(db, 'discord');
    const ctx = ws.context(ana);
    const deps = { db: db(), config: baseConfig };
    const bad = [
      { verb: 'create', name: 'Ann Lee', fields: {} },
      { verb: 'create', name: 'Aria', fields: { model: 'ac_me:x' } },
      { verb: 'create', name: 'Aria', fields: { avatar: 'http://x.png' } },
      { verb: 'create', name: 'Aria', fields: { role: 'x'.repeat(201) } },
    ] as const;
    for (const command of bad) expect((await runAgentCommand(deps, ctx, command)).ok).toBe(false);
    expect(await db().workspace.count({ where: { externalId: ws.externalId } })).toBe(0);

    const made = await runAgentCommand(deps, ctx, {
      verb: 'create',
      name: ' Zoë ',
      fields: { role: ' r\u0000 ' },
    });
    expect(made.ok).toBe(true);
    expect(await ws.agent('zoë')).toMatchObject({ name: 'Zoë', role: 'r' });
    expect(await runAgentCommand(deps, ctx, { verb: 'edit', name: 'Zoë', fields: {} })).toEqual({
      ok: false,
      text: 'Nothing to change: type /agent edit name:Zoë [role:…] [goal:…] [backstory:…] [prompt:…] [model:…] [avatar:…] [loading:…] [stream:on|off] (keys: role, goal, backstory, prompt, model, avatar, loading or stream).',
    });
  });

  it('list shows status, model, raw channel ids and role', async () => {
    const ws = workspace(db);
    expect(await ws.run(ana, 'list')).toEqual({
      ok: true,
      text: 'No agents here yet: create one with /agent create Aria role="…"',
    });
    await ws.run(ana, 'create Nova model=google:gemini-2.5-flash');
    await ws.run(ana, 'create aria role=mentor');
    await ws.run(ana, 'join aria', 'C2');
    await ws.run(ana, 'join aria', 'C1');
    await ws.run(ana, 'pause Nova');
    const reply = await ws.run(bob, 'list');
    expect(reply).toMatchObject({ ok: true, text: '2 agents here.', title: 'Agents' });
    expect(reply.rows).toEqual([
      {
        name: 'aria',
        status: 'active',
        model: 'default (offline:echo)',
        channels: 'C1, C2',
        channelIds: ['C1', 'C2'],
        role: 'mentor',
      },
      {
        name: 'Nova',
        status: 'paused',
        model: 'google:gemini-2.5-flash',
        channels: '',
        channelIds: [],
        role: '',
      },
    ]);
  });

  it('show gives its creator every field, the effective prompt and who created the agent when', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria role=mentor backstory="Ten years of TypeScript." goal=teach');
    await ws.run(bob, 'join Aria', 'C9');
    const reply = await ws.run(ana, 'show aria');
    const agent = await ws.agent('Aria');
    if (!agent) throw new Error('Aria missing');
    expect(reply).toMatchObject({ ok: true, title: 'Aria', text: `Created by Ana on ${today()}.` });
    expect(reply.channelIds).toEqual(['C9']);
    expect(Object.fromEntries((reply.fields ?? []).map((f) => [f.label, f.value]))).toEqual({
      Status: 'active',
      Role: 'mentor',
      Goal: 'teach',
      Backstory: 'Ten years of TypeScript.',
      Model: 'default (offline:echo)',
      Avatar: '(none)',
      Streaming: 'on',
      Channels: 'C9',
      Prompt: 'generated from role, goal and backstory',
      'System prompt': effectiveSystemPrompt(agent),
      'Working messages': 'the default',
      Replies: '0',
      'Last 24 hours': 'no replies',
      'Last 30 days': 'no replies',
      Budget: 'none',
      'Budget left': 'no budget',
      Queued: '0 messages waiting',
      Satisfaction: 'no votes in the last 30 days',
    });
    expect(effectiveSystemPrompt(agent)).toContain('You are Aria, mentor.');

    await ws.run(ana, 'edit Aria prompt="You are terse."');
    const fields = (await ws.run(ana, 'show Aria')).fields ?? [];
    expect(fields.find((f) => f.label === 'System prompt')?.value).toBe('You are terse.');
  });

  it('loading= sets the working messages beside the model; each edit keeps the other; show has the satisfaction rate', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria model=offline:echo loading="Reading the docs…|Thinking…"');
    expect(await ws.agent('Aria')).toMatchObject({
      modelConfig: { model: 'offline:echo', loading: ['Reading the docs…', 'Thinking…'] },
    });
    expect(await ws.run(ana, 'edit Aria model=offline:echo')).toMatchObject({ ok: true });
    expect((await ws.agent('Aria'))?.modelConfig).toEqual({
      model: 'offline:echo',
      loading: ['Reading the docs…', 'Thinking…'],
    });
    expect(await ws.run(ana, 'edit Aria loading=" Checking… | | Almost there "')).toEqual({
      ok: true,
      text: 'Updated Aria: loading.',
    });
    expect((await ws.agent('Aria'))?.modelConfig).toEqual({
      model: 'offline:echo',
      loading: ['Checking…', 'Almost there'],
    });
    const tooMany = Array.from({ length: 11 }, (_, i) => `m${i}`).join('|');
    expect(parseAgentCommand(`edit Aria loading="${tooMany}"`)).toEqual({
      ok: false,
      error: 'Loading takes at most 10 messages separated by |.',
    });
    expect(await ws.run(ana, 'edit Aria loading=""')).toEqual({
      ok: true,
      text: 'Updated Aria: loading (back to the default).',
    });
    expect((await ws.agent('Aria'))?.modelConfig).toEqual({ model: 'offline:echo' });

    // Two people vote on one of Aria's replies: a 50 % rate.
    const agent = await ws.agent('Aria');
    const conversation = await db().conversation.create({
      data: { platform: 'slack', workspaceId: await ws.id(), channelId: 'D1', threadId: '', kind: 'dm' },
    });
    const reply = await db().message.create({
      data: { conversationId: conversation.id, agentId: agent?.id ?? '', content: 'hi' },
    });
    for (const [userId, vote] of [
      ['UANA', 'up'],
      ['UBOB', 'down'],
    ] as const) {
      await db().replyFeedback.create({
        data: { replyId: reply.id, platform: 'slack', userId, agentId: agent?.id ?? '', vote },
      });
    }
    const fields = (await ws.run(ana, 'show Aria')).fields ?? [];
    expect(fields.find((f) => f.label === 'Satisfaction')?.value).toBe('50% 👍 (1 of 2 votes, last 30 days)');
  });

  it('edit changes the given fields; prompt="" goes back to the generated prompt', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria role=mentor prompt="Custom."');
    expect(await ws.run(ana, 'edit aria goal="Ship it" model=offline:echo prompt=""')).toEqual({
      ok: true,
      text: 'Updated Aria: goal, prompt (now generated from role, goal and backstory), model.',
    });
    expect(await ws.agent('Aria')).toMatchObject({
      role: 'mentor',
      goal: 'Ship it',
      systemPrompt: null,
      modelConfig: { model: 'offline:echo' },
    });
    expect(await ws.run(ana, 'edit Aria')).toEqual({
      ok: false,
      text: 'Nothing to change: type /agent edit Aria key="value" … (keys: role, goal, backstory, prompt, model, avatar, loading or stream).',
    });
  });

  it('delete is soft: the agent disappears, its row stays, the name is free again', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    await ws.run(ana, 'join Aria');
    const before = await ws.agent('Aria');
    expect(await ws.run(ana, 'delete ARIA')).toEqual({
      ok: true,
      text: 'Deleted Aria: its messages are kept and the name is free again.',
    });
    expect(await db().agent.findUnique({ where: { id: before?.id ?? '' } })).toMatchObject({
      isActive: false,
    });
    expect(await db().channelAgent.count({ where: { agentId: before?.id ?? '' } })).toBe(0);
    expect((await ws.run(ana, 'list')).rows).toBeUndefined();
    expect((await ws.run(ana, 'show Aria')).ok).toBe(false);
    expect((await ws.run(bob, 'create aria')).ok).toBe(true);
  });

  it('pause and resume, saying so when there is nothing to do', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    expect(await ws.run(ana, 'resume Aria')).toEqual({ ok: true, text: 'Aria is not paused.' });
    expect(await ws.run(ana, 'pause Aria')).toEqual({
      ok: true,
      text: 'Paused Aria: it answers nowhere until /agent resume Aria.',
    });
    expect((await ws.agent('Aria'))?.status).toBe('inactive');
    expect(await ws.run(ana, 'pause Aria')).toEqual({ ok: true, text: 'Aria is already paused.' });
    expect(await ws.run(ana, 'resume Aria')).toEqual({ ok: true, text: 'Resumed Aria: it answers again.' });
    expect((await ws.agent('Aria'))?.status).toBe('active');
    expect(await ws.actions('Aria')).toEqual(['create', 'pause', 'resume']);
  });

  it('help lists the grammar without touching the database', async () => {
    const reply = await runAgentCommand({ db: db(), config: baseConfig }, workspace(db).context(ana), {
      verb: 'help',
    });
    expect(reply.ok).toBe(true);
    expect(reply.fields?.map((f) => f.label.split(' ')[1])).toEqual([
      'create',
      'list',
      'show',
      'edit',
      'delete',
      'join',
      'leave',
      'pause',
      'resume',
      'use',
      'workspace',
      'help',
    ]);
  });

  it('an unknown agent gets the list of agents here, or how to create one', async () => {
    const ws = workspace(db);
    expect(await ws.run(ana, 'show Nope')).toEqual({
      ok: false,
      text: 'No agent named Nope here, and no agents yet: create one with /agent create Nope role="…"',
    });
    await ws.run(ana, 'create Nova');
    await ws.run(ana, 'create Aria');
    for (const verb of ['show', 'edit', 'delete', 'join', 'leave', 'pause', 'resume', 'use']) {
      const text = verb === 'edit' ? 'edit Nope role=x' : `${verb} Nope`;
      const where = verb === 'use' ? 'dm' : 'C1';
      expect(await ws.run(ana, text, where)).toEqual({
        ok: false,
        text: 'No agent named Nope here. Agents: Aria, Nova.',
      });
    }
  });
});
