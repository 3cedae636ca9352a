// Every text the hot store writes is cleaned (core/clean-text.ts) on both providers: PostgreSQL
// refuses NUL outright, so without it such a message failed on every retry. The context read also
// gives each author's platform id, which the worker uses to tell who took part.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STORED_TEXT } from '../../src/core/clean-text.ts';
import { openHotStore } from '../../src/store/hot/open.ts';
import type { HotStore } from '../../src/store/hot/types.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';

for (const provider of providers) {
  describe(`stored text on ${provider}`, () => {
    const t = useTestDatabase(provider);
    let store: HotStore;

    beforeAll(() => {
      store = openHotStore(t.current.url);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('a message, its edit and a reply carrying NUL, lone surrogates or too much text are stored cleaned', async () => {
      const workspaceId = (await store.ensureWorkspace('slack', 'T-CLEAN')).id;
      const authorId = await store.ensureUser({
        platform: 'slack',
        externalId: 'UCLEAN',
        displayName: 'A\u0000na',
        isBot: false,
      });
      const agentId = (
        await t.current.db.agent.create({ data: { workspaceId, name: 'Aria', nameKey: 'aria' } })
      ).id;
      const conversation = await store.ensureConversation(
        { platform: 'slack', workspaceId, channelId: 'D-CLEAN' },
        'dm',
      );
      const [first, second] = await store.insertInbound([
        {
          conversationId: conversation.id,
          authorId,
          content: 'nul\u0000 and \uD800 lone',
          platformMessageId: '1.1',
          sentAt: new Date(),
          pendingAgentId: agentId,
        },
        {
          conversationId: conversation.id,
          authorId,
          content: 'x'.repeat(MAX_STORED_TEXT + 5000),
          platformMessageId: '1.2',
          sentAt: new Date(),
          pendingAgentId: agentId,
        },
      ]);
      expect(first?.stored && second?.stored).toBe(true);
      await store.applyChange({
        platform: 'slack',
        workspaceExternalId: 'T-CLEAN',
        channelId: 'D-CLEAN',
        platformMessageId: '1.1',
        text: 'edited\u0000 \uDC00',
      });
      const context = await store.readContext(conversation.id, agentId, 10);
      expect(context.messages.map((m) => m.content.slice(0, 20))).toEqual(['edited \uFFFD', 'x'.repeat(20)]);
      expect(context.messages[1]?.content).toHaveLength(MAX_STORED_TEXT);
      expect(context.messages[1]?.content.endsWith('…(truncated)')).toBe(true);
      expect(context.messages[0]).toMatchObject({ authorName: 'Ana', authorExternalId: 'UCLEAN' });

      const stored = await store.storeReply({
        conversationId: conversation.id,
        agentId,
        triggerMessageId: context.pendingIds.at(-1) ?? 0,
        afterReplyId: context.lastReplyId,
        answersThrough: Math.max(...context.pendingIds),
        answeredIds: context.pendingIds,
        text: 'reply\u0000 ok',
        queueJobId: 'job-clean',
        attempts: 1,
        startedAt: new Date(),
        status: 'completed',
        llm: { model: 'offline:echo', system: 'sys\u0000', userTurns: [] },
      });
      expect(stored.stored).toBe(true);
      if (!stored.stored) return;
      expect((await store.readDelivery(stored.id))?.content).toBe('reply ok');
    });
  });
}
