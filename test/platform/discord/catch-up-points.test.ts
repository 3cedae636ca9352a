/**
 * The store's side of the Discord catch-up (AdapterHooks.catchUpPoints): which channels are worth
 * reading after a reconnect, and from which message on. On both databases.
 */
import { describe, expect, it } from 'vitest';
import { createAgent, joinChannel } from '../../../src/store/agents.ts';
import { catchUpPoints } from '../../../src/store/catch-up.ts';
import { ensureConversation } from '../../../src/store/conversations.ts';
import { ensureUser, ensureWorkspace } from '../../../src/store/identities.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';

const HOUR = 3600_000;
const actor = { label: 'test' };

for (const provider of providers) {
  describe(`catch-up points (${provider})`, () => {
    const t = useTestDatabase(provider);

    it('joined channels, their active threads and the recent DMs, each from its last inbound message stored before the reconnect', async () => {
      const { db } = t.current;
      const now = Date.now();
      const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);
      const guild = await ensureWorkspace(db, 'discord', 'G1');
      const dms = await ensureWorkspace(db, 'discord', '@dm');
      const nova = await createAgent(db, { workspaceId: guild.id, name: 'Nova', role: 'helper' }, actor);
      const gone = await createAgent(db, { workspaceId: guild.id, name: 'Gone', role: 'helper' }, actor);
      await joinChannel(db, nova.id, 'discord', 'C1', actor);
      await joinChannel(db, nova.id, 'discord', 'C2', actor);
      await joinChannel(db, gone.id, 'discord', 'C3', actor);
      await db.agent.update({ where: { id: gone.id }, data: { isActive: false } });
      // C1 was joined long ago, C2 an hour ago.
      await db.channelAgent.update({
        where: { agentId_channelId: { agentId: nova.id, channelId: 'C1' } },
        data: { createdAt: at(24 * 30) },
      });
      await db.channelAgent.update({
        where: { agentId_channelId: { agentId: nova.id, channelId: 'C2' } },
        data: { createdAt: at(1) },
      });
      const ana = await ensureUser(db, {
        platform: 'discord',
        externalId: 'U1',
        displayName: 'Ana',
        isBot: false,
      });
      const conversation = (
        channelId: string,
        threadId: string | undefined,
        kind: 'channel' | 'thread' | 'dm',
      ) =>
        ensureConversation(
          db,
          { platform: 'discord', workspaceId: kind === 'dm' ? dms.id : guild.id, channelId, threadId },
          kind,
        );
      const inbound = (conversationId: string, platformMessageId: string, createdAt: Date) =>
        db.message.create({
          data: {
            conversationId,
            authorId: ana.id,
            content: 'hi',
            platformMessageId,
            createdAt,
            sentAt: createdAt,
          },
        });

      const c1 = await conversation('C1', undefined, 'channel');
      // Row order, not string order, decides: 99 was stored last (and 1000 > 99 as strings sort lower).
      await inbound(c1.id, '1000', at(3));
      await inbound(c1.id, '99', at(2));
      // Our agent's reply (stored when generated; delivered while the gateway was away) is no cursor…
      await db.message.create({
        data: {
          conversationId: c1.id,
          agentId: nova.id,
          content: 'reply',
          platformMessageId: '5000',
          createdAt: at(1),
        },
      });
      // …nor a message that arrived live after the reconnect.
      await inbound(c1.id, '6000', new Date(now + 1_000));
      const t1 = await conversation('C1', 'T1', 'thread');
      await inbound(t1.id, '2000', at(30));
      const quiet = await conversation('C1', 'T2', 'thread');
      await inbound(quiet.id, '2100', at(24 * 10));
      const notJoined = await conversation('C9', 'T9', 'thread');
      await inbound(notJoined.id, '2200', at(1));
      const recentDm = await conversation('D1', undefined, 'dm');
      await inbound(recentDm.id, '3000', at(5));
      const oldDm = await conversation('D2', undefined, 'dm');
      await inbound(oldDm.id, '3100', at(48));
      const inactive = await conversation('C3', undefined, 'channel');
      await inbound(inactive.id, '4000', at(1));

      const since = at(24);
      const points = await catchUpPoints(db, 'discord', { since, storedBefore: new Date(now) });

      expect([...points].sort((a, b) => a.channelId.localeCompare(b.channelId))).toEqual([
        { kind: 'channel', channelId: 'C1', afterMessageId: '99', notBefore: since },
        // Joined an hour ago, nothing stored yet: read from the join.
        { kind: 'channel', channelId: 'C2', notBefore: at(1) },
        { kind: 'dm', channelId: 'D1', afterMessageId: '3000', notBefore: since },
        // Quiet for longer than the window, but active this week: read within the window.
        { kind: 'thread', channelId: 'T1', parentChannelId: 'C1', afterMessageId: '2000', notBefore: since },
      ]);
    });

    it('nothing joined, no DMs: no points', async () => {
      const { db } = t.current;
      const points = await catchUpPoints(db, 'slack', { since: new Date(0), storedBefore: new Date() });
      expect(points).toEqual([]);
    });
  });
}
