import { describe, expect, it } from 'vitest';
import { auditTrail } from '../../../src/store/agents.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { admin, ana, baseConfig, bob, owner, workspace } from './command-harness.ts';

describe.each(providers)('/agent places, permissions and audit on %s', (provider) => {
  const t = useTestDatabase(provider);
  const db = () => t.current.db;

  it('join and leave act on this channel; in a DM they say they work in channels', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    expect(await ws.run(bob, 'join Aria', 'dm')).toEqual({
      ok: false,
      text: 'Agents join channels, not DMs: type /agent join Aria in the channel where it should answer.',
    });
    expect(await ws.run(bob, 'join Aria', 'C7')).toEqual({
      ok: true,
      text: "Aria joined this channel: mention the bot with Aria's name to talk to it.",
    });
    expect(await ws.run(bob, 'join aria', 'C7')).toEqual({
      ok: true,
      text: 'Aria is already in this channel.',
    });
    const agent = await ws.agent('Aria');
    expect(await db().channelAgent.findMany({ where: { agentId: agent?.id ?? '' } })).toMatchObject([
      { platform: 'slack', channelId: 'C7', joinedBy: 'slack:UBOB (Bob)' },
    ]);
    expect((await ws.run(bob, 'leave Aria', 'dm')).text).toBe(
      'Agents leave channels, not DMs: type /agent leave Aria in the channel it should leave.',
    );
    expect(await ws.run(bob, 'leave Aria', 'C8')).toEqual({ ok: true, text: 'Aria is not in this channel.' });
    expect(await ws.run(bob, 'leave Aria', 'C7')).toEqual({ ok: true, text: 'Aria left this channel.' });
    expect(await ws.actions('Aria')).toEqual(['create', 'join', 'leave']);
  });

  it('use picks the DM agent; in a channel it says to use a DM or address the agent', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    await ws.run(ana, 'create Nova');
    expect(await ws.run(bob, 'use nova', 'dm')).toEqual({ ok: true, text: 'Nova answers in this DM now.' });
    const conversation = await db().conversation.findFirstOrThrow({
      where: { workspaceId: await ws.id(), channelId: 'D-UBOB' },
    });
    const nova = await ws.agent('Nova');
    expect(conversation).toMatchObject({
      platform: 'slack',
      kind: 'dm',
      threadId: '',
      activeAgentId: nova?.id,
    });
    expect(await ws.run(bob, 'use Nova', 'dm')).toEqual({
      ok: true,
      text: 'Nova already answers in this DM.',
    });

    expect(await ws.run(bob, 'use Aria', 'C1')).toEqual({
      ok: false,
      text: '/agent use picks who answers in a DM with the bot: in a channel, address the agent by name (@bot Aria …).',
    });
    const after = await db().conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(after.activeAgentId).toBe(nova?.id);

    await ws.run(ana, 'pause Aria');
    expect(await ws.run(bob, 'use Aria', 'dm')).toEqual({
      ok: true,
      text: 'Aria answers in this DM now. It is paused: /agent resume Aria to wake it.',
    });
    expect(await ws.actions('Nova')).toEqual(['create', 'use']);
    const [, use] = await auditTrail(db(), nova?.id ?? '');
    expect(use).toMatchObject({
      actorLabel: 'slack:UBOB (Bob)',
      changes: { conversationId: conversation.id, channelId: 'D-UBOB' },
    });
  });

  it('records who did what for every change', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria role=mentor');
    await ws.run(ana, 'edit Aria goal=teach');
    await ws.run(ana, 'join Aria', 'C1');
    await ws.run(ana, 'use Aria', 'dm');
    await ws.run(ana, 'pause Aria');
    await ws.run(ana, 'resume Aria');
    await ws.run(ana, 'leave Aria', 'C1');
    const agent = await ws.agent('Aria');
    await ws.run(admin, 'delete Aria');
    const trail = await auditTrail(db(), agent?.id ?? '');
    const anaUser = await db().platformUser.findFirstOrThrow({
      where: { platform: 'slack', externalId: 'UANA' },
    });
    expect(trail.map((e) => [e.action, e.actorLabel, e.actorId === anaUser.id])).toEqual([
      ['create', 'slack:UANA (Ana)', true],
      ['edit', 'slack:UANA (Ana)', true],
      ['join', 'slack:UANA (Ana)', true],
      ['use', 'slack:UANA (Ana)', true],
      ['pause', 'slack:UANA (Ana)', true],
      ['resume', 'slack:UANA (Ana)', true],
      ['leave', 'slack:UANA (Ana)', true],
      ['delete', 'slack:UADMIN (Root)', false],
    ]);
    expect(trail[1]?.changes).toEqual({ goal: 'teach' });
  });

  it('only the creator or an admin may edit, delete, pause or resume; refusals say who may', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria role=mentor');
    for (const text of ['edit Aria role=pirate', 'delete Aria', 'pause Aria', 'resume Aria']) {
      const verb = text.split(' ')[0];
      expect(await ws.run(bob, text)).toEqual({
        ok: false,
        text: `Only Ana (the creator) or an admin can ${verb} Aria.`,
      });
    }
    expect(await ws.agent('Aria')).toMatchObject({ role: 'mentor', status: 'active', isActive: true });
    expect(await ws.actions('Aria')).toEqual(['create']);

    // Anyone may look, join, leave and use.
    for (const [text, where] of [
      ['list'],
      ['show Aria'],
      ['join Aria'],
      ['leave Aria'],
      ['use Aria', 'dm'],
    ]) {
      expect((await ws.run(bob, text ?? '', where)).ok).toBe(true);
    }
    // Admins: AGENT_BRIDGE_ADMINS and platform admins.
    expect((await ws.run(admin, 'edit Aria role=pirate')).ok).toBe(true);
    expect((await ws.run(owner, 'pause Aria')).ok).toBe(true);
    expect((await ws.run(owner, 'resume Aria')).ok).toBe(true);
    expect((await ws.run(ana, 'edit Aria goal=sail')).ok).toBe(true);
    expect(await ws.agent('Aria')).toMatchObject({ role: 'pirate', goal: 'sail', status: 'active' });
  });

  it('an agent made outside any platform can be managed by admins only', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    const agent = await ws.agent('Aria');
    await db().agent.update({ where: { id: agent?.id ?? '' }, data: { ownerId: null } });
    expect(await ws.run(ana, 'pause Aria')).toEqual({ ok: false, text: 'Only an admin can pause Aria.' });
    expect((await ws.run(admin, 'pause Aria')).ok).toBe(true);
  });

  it('AGENT_CREATION=admins lets only admins create, and refuses before writing', async () => {
    const ws = workspace(db, 'slack', { ...baseConfig, agentCreation: 'admins' });
    expect(await ws.run(bob, 'create Aria')).toEqual({
      ok: false,
      text: 'Only an admin can create agents here.',
    });
    expect(await db().workspace.count({ where: { externalId: ws.externalId } })).toBe(0);
    expect((await ws.run(owner, 'create Aria')).ok).toBe(true);
    expect((await ws.run(admin, 'create Nova')).ok).toBe(true);
    expect((await ws.run(bob, 'join Aria')).ok).toBe(true);
  });

  it('the shell operator is an admin', async () => {
    const ws = workspace(db, 'shell', { ...baseConfig, agentCreation: 'admins' });
    await ws.run(ana, 'create Aria');
    expect((await ws.run(bob, 'delete Aria')).ok).toBe(true);
  });
});
