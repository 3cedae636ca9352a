// The per-message store on both providers: message and intent in one write, one reply per chain
// link, the intents a reply answers, part-by-part delivery records, and what the sweeper finds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHotStore } from '../../src/store/hot/open.ts';
import type { HotStore, InboundRecord, ReplyRecord } from '../../src/store/hot/types.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';

for (const provider of providers) {
  describe(`hot store on ${provider}`, () => {
    const t = useTestDatabase(provider);
    let store: HotStore;
    let workspaceId: string;
    let authorId: string;
    let agentId: string;
    let otherAgentId: string;
    let sequence = 0;

    beforeAll(async () => {
      store = openHotStore(t.current.url);
      workspaceId = (await store.ensureWorkspace('slack', 'T-HOT')).id;
      authorId = await store.ensureUser({
        platform: 'slack',
        externalId: 'U1',
        displayName: 'Ana',
        isBot: false,
      });
      const { db } = t.current;
      agentId = (await db.agent.create({ data: { workspaceId, name: 'Aria', nameKey: 'aria' } })).id;
      otherAgentId = (await db.agent.create({ data: { workspaceId, name: 'Nova', nameKey: 'nova' } })).id;
    });
    afterAll(async () => {
      await store?.close();
    });

    async function conversation(channelId = `D${++sequence}`) {
      return store.ensureConversation({ platform: 'slack', workspaceId, channelId }, 'dm');
    }
    function inbound(
      conversationId: string,
      text: string,
      extra: Partial<InboundRecord> = {},
    ): InboundRecord {
      sequence += 1;
      return {
        conversationId,
        authorId,
        content: text,
        platformMessageId: `17000.${sequence}`,
        platformEventId: `Ev${sequence}`,
        sentAt: new Date(),
        pendingAgentId: agentId,
        ...extra,
      };
    }
    function reply(
      conversationId: string,
      context: { lastReplyId: number; pendingIds: number[] },
      text: string,
    ) {
      const record: ReplyRecord = {
        conversationId,
        agentId,
        triggerMessageId: context.pendingIds.at(-1) ?? 0,
        afterReplyId: context.lastReplyId,
        answersThrough: Math.max(...context.pendingIds),
        answeredIds: context.pendingIds,
        text,
        queueJobId: `job-${++sequence}`,
        attempts: 1,
        startedAt: new Date(),
        status: 'completed',
        llm: { model: 'offline:echo', system: 'You are Aria.', userTurns: [] },
      };
      return record;
    }

    it('stores the file descriptors with the message in the same write and reads them back in the context', async () => {
      const convo = await conversation();
      const files = [
        { name: 'a.png', mimetype: 'image/png', size: 3, url: 'https://files.slack.com/a', id: 'F1' },
      ];
      const [withFiles, plain] = await store.insertInbound([
        inbound(convo.id, '', { attachments: JSON.stringify(files) }),
        inbound(convo.id, 'no files'),
      ]);
      expect(withFiles?.stored && plain?.stored).toBe(true);
      const context = await store.readContext(convo.id, agentId, 10);
      expect(context.messages.map((m) => [m.content, m.attachments])).toEqual([
        ['', files],
        ['no files', undefined],
      ]);
      expect(context.pendingIds).toHaveLength(2);
    });

    it('finds or creates workspaces, people and conversations, the same row every time', async () => {
      expect(await store.ensureWorkspace('slack', 'T-HOT')).toEqual({ id: workspaceId, uninstalled: false });
      const renamed = await store.ensureUser({
        platform: 'slack',
        externalId: 'U1',
        displayName: 'Ana B',
        isBot: false,
      });
      expect(renamed).toBe(authorId);
      const first = await conversation('D-same');
      const again = await store.ensureConversation(
        { platform: 'slack', workspaceId, channelId: 'D-same' },
        'dm',
      );
      expect(again).toEqual(first);
      expect(first).toMatchObject({ kind: 'dm', threadId: '', activeAgentId: null });
      expect(await store.workspaceIds('slack', ['T-HOT', 'T-none'])).toEqual([workspaceId]);
      expect((await store.agentsOf([workspaceId])).map((a) => a.name).sort()).toEqual(['Aria', 'Nova']);
    });

    it('stores a batch of neighbours with their intents, and a redelivery reports what became of it', async () => {
      const c = await conversation();
      const a = inbound(c.id, 'one');
      const b = inbound(c.id, 'two');
      const stored = await store.insertInbound([a, b, { ...a }]);
      expect(stored.map((r) => r.stored)).toEqual([true, true, false]);
      const [first] = stored;
      if (!first?.stored) throw new Error('not stored');
      expect(stored[2]).toEqual({
        stored: false,
        existing: { id: first.id, conversationId: c.id, pendingAgentId: agentId, answeredById: null },
      });
      // Slack's app_mention and message twins: two events, one message (the same ts).
      const twin = await store.insertInbound([{ ...a, platformEventId: 'Ev-twin' }]);
      expect(twin[0]?.stored).toBe(false);
    });

    it('one reply per link of the chain: a second run from the same point stores nothing', async () => {
      const c = await conversation();
      await store.insertInbound([inbound(c.id, 'hello'), inbound(c.id, 'are you there?')]);
      const context = await store.readContext(c.id, agentId, 20);
      expect(context.messages.map((m) => m.content)).toEqual(['hello', 'are you there?']);
      expect(context.messages[0]).toMatchObject({ authorName: 'Ana B', authorIsBot: false, agentId: null });
      expect(context.pendingIds).toHaveLength(2);
      expect(context.lastReplyId).toBe(0);

      const first = await store.storeReply(reply(c.id, context, 'Hi!'));
      const second = await store.storeReply(reply(c.id, context, 'Hi! (again)'));
      expect(first.stored).toBe(true);
      expect(second).toEqual({ stored: false });
      if (!first.stored) return;

      const after = await store.readContext(c.id, agentId, 20);
      expect(after.pendingIds).toEqual([]);
      expect(after.lastReplyId).toBe(first.id);
      expect(after.messages.map((m) => [m.content, m.agentName])).toEqual([
        ['hello', null],
        ['are you there?', null],
        ['Hi!', 'Aria'],
      ]);
      const answered = await t.current.db.message.findMany({
        where: { id: { in: context.pendingIds } },
        select: { answeredById: true, pendingAgentId: true },
      });
      expect(answered).toEqual([
        { answeredById: first.id, pendingAgentId: null },
        { answeredById: first.id, pendingAgentId: null },
      ]);
      const job = await t.current.db.job.findFirstOrThrow({ where: { replyMessageId: first.id } });
      expect(job).toMatchObject({ status: 'completed', attempts: 1, agentId });
      const llm = await t.current.db.llmMessage.findMany({ where: { jobId: job.id } });
      expect(llm.map((m) => m.role)).toEqual(['system', 'assistant']);
    });

    it('a message that arrives during the model call is not answered by the reply that did not see it', async () => {
      const c = await conversation();
      await store.insertInbound([inbound(c.id, 'first')]);
      const context = await store.readContext(c.id, agentId, 20);
      await store.insertInbound([inbound(c.id, 'late')]);
      const stored = await store.storeReply(reply(c.id, context, 'about the first'));
      expect(stored.stored).toBe(true);
      const next = await store.readContext(c.id, agentId, 20);
      const late = next.messages.find((m) => m.content === 'late');
      expect(next.pendingIds).toEqual([late?.id]);
    });

    it('records each posted part, then the delivery; reads back what a retry needs', async () => {
      const c = await conversation();
      await store.insertInbound([inbound(c.id, 'long question')]);
      const stored = await store.storeReply(
        reply(c.id, await store.readContext(c.id, agentId, 20), 'long answer'),
      );
      if (!stored.stored) throw new Error('not stored');
      const fresh = await store.readDelivery(stored.id);
      expect(fresh).toMatchObject({
        agentName: 'Aria',
        postedParts: [],
        deliveredAt: null,
        channelId: c.channelId,
      });
      expect(fresh?.replyToPlatformMessageId).toMatch(/^17000\./);

      await store.recordPosted(stored.id, ['p1'], false);
      expect((await store.readDelivery(stored.id))?.postedParts).toEqual(['p1']);
      const since = new Date(Date.now() - 60_000);
      expect(await store.undeliveredReplies(new Date(Date.now() + 1000), since, 100)).toContainEqual({
        id: stored.id,
        queueJobId: expect.stringMatching(/^job-/),
      });
      await store.recordPosted(stored.id, ['p1', 'p2'], true);
      const done = await store.readDelivery(stored.id);
      expect(done?.postedParts).toEqual(['p1', 'p2']);
      expect(done?.deliveredAt).toBeInstanceOf(Date);
      expect(
        (await store.undeliveredReplies(new Date(Date.now() + 1000), since, 100)).map((r) => r.id),
      ).not.toContain(stored.id);
    });

    it('a reply the platform refuses for good: no longer live, its job failed with the reason, out of the sweep', async () => {
      const c = await conversation();
      await store.insertInbound([inbound(c.id, 'question')]);
      const stored = await store.storeReply(
        reply(c.id, await store.readContext(c.id, agentId, 20), 'an answer nobody will see'),
      );
      if (!stored.stored) throw new Error('not stored');
      const sweep = () => store.undeliveredReplies(new Date(Date.now() + 1000), new Date(0), 1000);
      expect((await sweep()).map((r) => r.id)).toContain(stored.id);

      await store.recordUndeliverable(stored.id, 'not delivered: the channel no longer exists');

      expect((await sweep()).map((r) => r.id)).not.toContain(stored.id);
      const row = await t.current.db.message.findUniqueOrThrow({ where: { id: stored.id } });
      expect(row).toMatchObject({ isActive: false, deliveredAt: null });
      const job = await t.current.db.job.findFirstOrThrow({ where: { replyMessageId: stored.id } });
      expect(job).toMatchObject({ status: 'failed', error: 'not delivered: the channel no longer exists' });
      // The next turn's context leaves out what the person never saw.
      const context = await store.readContext(c.id, agentId, 20);
      expect(context.messages.map((m) => m.content)).toEqual(['question']);
    });

    it('the sweeper sees waiting intents; a paused agent releases them; deletion drops the intent', async () => {
      const c = await conversation();
      const [first] = await store.insertInbound([inbound(c.id, 'waiting')]);
      const soon = new Date(Date.now() + 1000);
      const open = await store.openIntents(soon, 1000);
      expect(open).toContainEqual(
        expect.objectContaining({
          conversationId: c.id,
          agentId,
          channelId: c.channelId,
          workspaceExternalId: 'T-HOT',
        }),
      );
      expect(await store.releaseIntents(c.id, agentId)).toBe(1);
      expect((await store.openIntents(soon, 1000)).some((i) => i.conversationId === c.id)).toBe(false);

      const record = inbound(c.id, 'oops');
      await store.insertInbound([record]);
      const removed = await store.applyChange({
        platform: 'slack',
        workspaceExternalId: 'T-HOT',
        channelId: c.channelId,
        platformMessageId: record.platformMessageId,
      });
      expect(removed).toBe(1);
      expect((await store.readContext(c.id, agentId, 20)).pendingIds).toEqual([]);
      expect(first?.stored).toBe(true);
    });

    it("an agent's reply can be marked as waiting for another agent, once", async () => {
      const c = await conversation();
      await store.insertInbound([inbound(c.id, 'debate')]);
      const stored = await store.storeReply(
        reply(c.id, await store.readContext(c.id, agentId, 20), 'Nova, you?'),
      );
      if (!stored.stored) throw new Error('not stored');
      expect(await store.markPending(stored.id, otherAgentId)).toBe(true);
      expect(await store.markPending(stored.id, otherAgentId)).toBe(false);
      const nova = await store.readContext(c.id, otherAgentId, 20);
      expect(nova.pendingIds).toEqual([stored.id]);
      const turns = await store.recentTurns(c.id, 5);
      expect(turns).toEqual([
        { agentId: null, isBot: false },
        { agentId, isBot: true },
      ]);
    });
  });
}
