import { describe, expect, it } from 'vitest';
import {
  AgentNameTakenError,
  agentsInChannel,
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
import { deleteMessage, editMessage, lastMessages, storeInboundMessage } from '../../src/store/messages.ts';
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

  it('returns the last N messages oldest first and skips deleted ones', async () => {
    const { db, user, conversation } = await setup('C-lastn');
    for (let i = 1; i <= 5; i++) {
      await storeInboundMessage(db, {
        conversationId: conversation.id,
        authorId: user.id,
        content: `m${i}`,
        platformMessageId: `ts-${i}`,
        sentAt: new Date(),
      });
    }
    expect((await lastMessages(db, conversation.id, 3)).map((m) => m.content)).toEqual(['m3', 'm4', 'm5']);
    await deleteMessage(db, conversation.id, 'ts-4');
    await editMessage(db, conversation.id, 'ts-5', 'm5 edited');
    const last = await lastMessages(db, conversation.id, 3);
    expect(last.map((m) => m.content)).toEqual(['m2', 'm3', 'm5 edited']);
    expect(last[2]?.author?.displayName).toBe('Ana');
  });

  it('stores a redelivered message once, by platform message id or by event id', async () => {
    const { db, user, conversation } = await setup('C-dedupe');
    const record = {
      conversationId: conversation.id,
      authorId: user.id,
      content: 'hello',
      platformMessageId: 'ts-1',
      platformEventId: 'Ev1',
      sentAt: new Date(),
    };
    const first = await storeInboundMessage(db, record);
    const again = await storeInboundMessage(db, record);
    const sameEvent = await storeInboundMessage(db, { ...record, platformMessageId: 'ts-other' });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, message: { id: first.message?.id } });
    expect(sameEvent.duplicate).toBe(true);
    expect(await db.message.count({ where: { conversationId: conversation.id } })).toBe(1);
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
    expect((await agentsInChannel(db, 'slack', 'C-audit', ws.id)).map((a) => a.name)).toEqual(['Nova']);
    const trail = await auditTrail(db, nova.id);
    expect(trail.map((a) => [a.action, a.actorLabel])).toEqual([
      ['create', 'slack:U1 (Ana)'],
      ['edit', 'slack:U2 (Bo)'],
      ['join', 'test'],
    ]);
    expect(trail[1]?.changes).toEqual({ goal: 'ship it' });
  });
});
