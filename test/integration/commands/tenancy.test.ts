/**
 * What `/agent` refuses or hides for a deployment exposed to many people: models outside
 * ALLOWED_MODELS, agents past MAX_AGENTS_PER_WORKSPACE, the system prompt of someone else's agent,
 * and (Discord) join/leave by a member who does not manage the channel. Each refusal writes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/commands/command.ts';
import { runAgentCommand } from '../../../src/commands/handlers.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { admin, ana, baseConfig, bob, workspace } from './command-harness.ts';

const HIDDEN =
  'hidden, with the goal and backstory it is written from: only Ana (the creator) or an admin can see them';

describe.each(providers)('/agent tenancy and permissions on %s', (provider) => {
  const t = useTestDatabase(provider);
  const db = () => t.current.db;
  const fieldsOf = (reply: { fields?: Array<{ label: string; value: string }> }) =>
    Object.fromEntries((reply.fields ?? []).map((f) => [f.label, f.value]));

  describe('ALLOWED_MODELS', () => {
    const config = {
      ...baseConfig,
      defaultModel: 'google:gemini-2.5-flash',
      allowedModels: ['google:gemini-*'],
    };
    const refusal = (model: string) =>
      `Model ${model} is not allowed here. Allowed: google:gemini-* (ALLOWED_MODELS).`;

    it('create with a model outside the list is refused, naming what is allowed; nothing is stored', async () => {
      const ws = workspace(db, 'slack', config);
      expect(await ws.run(ana, 'create Aria model=local:llama3.2')).toEqual({
        ok: false,
        text: refusal('local:llama3.2'),
        field: 'model',
      });
      expect(await ws.agent('Aria')).toBeNull();
      expect(await ws.run(ana, 'create Aria model=google:gemini-2.5-pro')).toMatchObject({
        ok: true,
        text: expect.stringContaining('Created Aria (model google:gemini-2.5-pro)'),
      });
    });

    it('edit to a model outside the list is refused and the agent keeps its model', async () => {
      const ws = workspace(db, 'slack', config);
      await ws.run(ana, 'create Aria model=google:gemini-2.5-pro');
      expect(await ws.run(ana, 'edit Aria model=offline:echo role=tester')).toEqual({
        ok: false,
        text: refusal('offline:echo'),
        field: 'model',
      });
      expect(await ws.agent('Aria')).toMatchObject({
        role: '',
        modelConfig: { model: 'google:gemini-2.5-pro' },
      });
      expect(await ws.actions('Aria')).toEqual(['create']);
    });

    it('an agent whose model is no longer allowed shows what it answers with instead', async () => {
      const open = workspace(db, 'slack', { ...config, allowedModels: ['*:*'] });
      await open.run(ana, 'create Aria model=local:llama3.2');
      // The same workspace after the operator narrowed ALLOWED_MODELS.
      const show = await runAgentCommand({ db: db(), config }, open.context(ana), {
        verb: 'show',
        name: 'Aria',
      });
      expect(fieldsOf(show).Model).toBe(
        'local:llama3.2 (not allowed any more: answers with google:gemini-2.5-flash)',
      );
      const list = await runAgentCommand({ db: db(), config }, open.context(ana), { verb: 'list' });
      expect(list.rows?.[0]?.model).toBe(
        'local:llama3.2 (not allowed any more: answers with google:gemini-2.5-flash)',
      );
    });
  });

  describe('MAX_AGENTS_PER_WORKSPACE', () => {
    it('create past the limit is refused clearly; another workspace and a freed place are fine', async () => {
      const config = { ...baseConfig, maxAgentsPerWorkspace: 2 };
      const ws = workspace(db, 'slack', config);
      await ws.run(ana, 'create Aria');
      await ws.run(bob, 'create Nova');
      const full = {
        ok: false,
        text: 'This workspace has 2 agents, the most allowed (MAX_AGENTS_PER_WORKSPACE): delete one to make room.',
      };
      expect(await ws.run(bob, 'create Orion')).toEqual(full);
      // Admins too: the limit is the operator's, not a permission.
      expect(await ws.run(admin, 'create Orion')).toEqual(full);
      expect(await ws.agent('Orion')).toBeNull();

      expect((await workspace(db, 'slack', config).run(bob, 'create Orion')).ok).toBe(true);
      await ws.run(ana, 'delete Aria');
      expect((await ws.run(bob, 'create Orion')).ok).toBe(true);
    });
  });

  describe('show', () => {
    it('shows the system prompt, goal and backstory to the creator and admins only', async () => {
      const ws = workspace(db);
      await ws.run(
        ana,
        'create Aria role=mentor goal="secret goal" backstory="secret past" prompt="Secret prompt."',
      );
      const theirs = fieldsOf(await ws.run(bob, 'show Aria'));
      expect(theirs).toMatchObject({ Role: 'mentor', 'System prompt': HIDDEN });
      expect(JSON.stringify(theirs)).not.toMatch(/secret|Secret/);
      expect(theirs).not.toHaveProperty('Goal');
      expect(theirs).not.toHaveProperty('Backstory');
      expect(theirs).not.toHaveProperty('Prompt');
      for (const who of [ana, admin, { ...bob, isPlatformAdmin: true }]) {
        expect(fieldsOf(await ws.run(who, 'show Aria'))).toMatchObject({
          Goal: 'secret goal',
          Backstory: 'secret past',
          'System prompt': 'Secret prompt.',
        });
      }
    });

    it('in a discord DM, only the creator sees the prompt of an agent of a shared server', async () => {
      const guild = workspace(db, 'discord');
      const dms = workspace(db, 'discord');
      await guild.run(ana, 'create Aria goal="secret goal"', 'C1');
      const inDm: Partial<CommandContext> = { dmWorkspaceExternalIds: [guild.externalId] };
      const theirs = fieldsOf(await dms.run(bob, 'show Aria', 'dm', inDm));
      expect(theirs['System prompt']).toBe(HIDDEN);
      expect(JSON.stringify(theirs)).not.toContain('secret');
      expect(fieldsOf(await dms.run(ana, 'show Aria', 'dm', inDm)).Goal).toBe('secret goal');
    });
  });

  describe('join and leave', () => {
    it('on Slack, anyone in the channel may (typing the command there makes them a member)', async () => {
      const ws = workspace(db);
      await ws.run(ana, 'create Aria');
      expect((await ws.run(bob, 'join Aria', 'C5')).ok).toBe(true);
      expect((await ws.run(bob, 'leave Aria', 'C5')).ok).toBe(true);
    });

    it('on Discord, a member without Manage Channels is refused and nothing changes', async () => {
      const ws = workspace(db, 'discord');
      await ws.run(ana, 'create Aria', 'C1');
      await ws.run(ana, 'join Aria', 'C1');
      expect(await ws.run(bob, 'join Aria', 'C2')).toEqual({
        ok: false,
        text: 'Only Ana (the creator), an admin or a member with Manage Channels here can add Aria to this channel.',
      });
      expect(await ws.run(bob, 'leave Aria', 'C1')).toEqual({
        ok: false,
        text: 'Only Ana (the creator), an admin or a member with Manage Channels here can remove Aria from this channel.',
      });
      const agent = await ws.agent('Aria');
      expect(await db().channelAgent.findMany({ where: { agentId: agent?.id ?? '' } })).toMatchObject([
        { channelId: 'C1' },
      ]);
      expect(await ws.actions('Aria')).toEqual(['create', 'join']);

      const manager = (who: typeof bob) => ({
        actor: {
          platformUserId: who.id,
          displayName: who.name,
          isPlatformAdmin: false,
          managesChannel: true,
        },
      });
      expect((await ws.run(bob, 'join Aria', 'C2', manager(bob))).ok).toBe(true);
      expect((await ws.run(bob, 'leave Aria', 'C1', manager(bob))).ok).toBe(true);
      expect((await ws.run({ ...bob, isPlatformAdmin: true }, 'leave Aria', 'C2')).ok).toBe(true);
    });
  });
});
