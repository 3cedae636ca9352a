import { describe, expect, it } from 'vitest';
import {
  AgentNameTakenError,
  auditTrail,
  createAgent,
  deleteAgent,
  findAgentByName,
  joinChannel,
  listAgents,
  updateAgent,
} from '../../src/store/agents.ts';
import { ensureConversation } from '../../src/store/conversations.ts';
import { ensureUser, ensureWorkspace } from '../../src/store/identities.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';

const actor = { label: 'test' };

describe.each(providers)('store on %s', (provider) => {
  const t = useTestDatabase(provider);

  async function setup(channelId: string) {
    const { db } = t.current;
    const ws = await ensureWorkspace(db, 'slack', `T-${channelId}`);
    const user = await ensureUser(db, {
      platform: 'slack',
      externalId: `U-${channelId}`,
      displayName: 'Ana',
      isBot: false,
    });
    const conversation = await ensureConversation(
      db,
      { platform: 'slack', workspaceId: ws.id, channelId },
      'channel',
    );
    return { db, ws, user, conversation };
  }

  it('creates workspaces, users and conversations once, even when asked twice at the same time', async () => {
    const { db, ws } = await setup('C-once');
    const [a, b] = await Promise.all([
      ensureConversation(
        db,
        { platform: 'slack', workspaceId: ws.id, channelId: 'C-twice', threadId: '1.2' },
        'thread',
      ),
      ensureConversation(
        db,
        { platform: 'slack', workspaceId: ws.id, channelId: 'C-twice', threadId: '1.2' },
        'thread',
      ),
    ]);
    expect(a.id).toBe(b.id);
    const top = await ensureConversation(
      db,
      { platform: 'slack', workspaceId: ws.id, channelId: 'C-twice' },
      'channel',
    );
    expect(top.id).not.toBe(a.id);
    expect(await db.conversation.count({ where: { channelId: 'C-twice' } })).toBe(2);
  });

  it('the model reads the last N messages oldest first, edits applied and deletions gone', async () => {
    const { user, conversation } = await setup('C-lastn');
    const store = t.current.hot;
    for (let i = 1; i <= 5; i++) {
      await store.insertInbound([
        {
          conversationId: conversation.id,
          authorId: user.id,
          content: `m${i}`,
          platformMessageId: `ts-${i}`,
          sentAt: new Date(),
        },
      ]);
    }
    const read = async () => (await store.readContext(conversation.id, 'nobody', 3)).messages;
    expect((await read()).map((m) => m.content)).toEqual(['m3', 'm4', 'm5']);
    const where = { platform: 'slack' as const, workspaceExternalId: 'T-C-lastn', channelId: 'C-lastn' };
    await store.applyChange({ ...where, platformMessageId: 'ts-4' });
    await store.applyChange({ ...where, platformMessageId: 'ts-5', text: 'm5 edited' });
    const last = await read();
    expect(last.map((m) => m.content)).toEqual(['m2', 'm3', 'm5 edited']);
    expect(last[2]?.authorName).toBe('Ana');
  });

  it('keeps agent names unique per workspace regardless of case, and frees a deleted name', async () => {
    const { db, ws } = await setup('C-agents');
    const aria = await createAgent(db, { workspaceId: ws.id, name: 'Aria', role: 'mentor' }, actor);
    await expect(createAgent(db, { workspaceId: ws.id, name: 'ARIA' }, actor)).rejects.toBeInstanceOf(
      AgentNameTakenError,
    );
    expect((await findAgentByName(db, ws.id, 'aria'))?.id).toBe(aria.id);
    const other = await ensureWorkspace(db, 'discord', 'G-1');
    await expect(createAgent(db, { workspaceId: other.id, name: 'aria' }, actor)).resolves.toBeTruthy();

    await deleteAgent(db, aria.id, actor);
    expect(await listAgents(db, ws.id)).toEqual([]);
    const again = await createAgent(db, { workspaceId: ws.id, name: 'Aria' }, actor);
    expect(again.id).not.toBe(aria.id);
  });

  it('records who changed an agent, and which channels it joined', async () => {
    const { db, ws } = await setup('C-audit');
    const nova = await createAgent(db, { workspaceId: ws.id, name: 'Nova' }, { label: 'slack:U1 (Ana)' });
    await updateAgent(db, nova.id, { goal: 'ship it' }, { label: 'slack:U2 (Bo)' });
    expect((await joinChannel(db, nova.id, 'slack', 'C-audit', actor)).joined).toBe(true);
    expect((await joinChannel(db, nova.id, 'slack', 'C-audit', actor)).joined).toBe(false);
    expect(await t.current.hot.channelAgentIds('slack', 'C-audit')).toEqual([nova.id]);
    const trail = await auditTrail(db, nova.id);
    expect(trail.map((a) => [a.action, a.actorLabel])).toEqual([
      ['create', 'slack:U1 (Ana)'],
      ['edit', 'slack:U2 (Bo)'],
      ['join', 'test'],
    ]);
    expect(trail[1]?.changes).toEqual({ goal: 'ship it' });
  });
});
