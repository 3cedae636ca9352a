// A reply job whose agent belongs to another workspace than its conversation never reaches the
// model or the platform: it fails at once, recorded with its reason. The one modelled exception, a
// Discord DM (workspace `@dm`) reaching a guild's agent, still passes.
import { afterEach, describe, expect, it } from 'vitest';
import { mayReach } from '../../src/core/workspace-reach.ts';
import { scheduleReplies } from '../../src/jobs/schedule.ts';
import { createAgent } from '../../src/store/agents.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

for (const provider of providers) {
  describe(`reply jobs across workspaces on ${provider}`, () => {
    const t = useTestDatabase(provider);
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('a job for an agent of another workspace fails at once with its reason: no model call, nothing posted, the intent released', async () => {
      h = await startHarness(t.current, { JOB_ATTEMPTS: '3' });
      const harness = h;
      const aria = await harness.createAgent('Aria');
      const otherTeam = `${harness.team}x`;
      const other = await harness.store.ensureWorkspace('slack', otherTeam);
      const conversation = await harness.store.ensureConversation(
        { platform: 'slack', workspaceId: other.id, channelId: 'D9' },
        'dm',
      );
      const author = await harness.store.ensureUser({
        platform: 'slack',
        externalId: 'UOTHER',
        displayName: 'Eve',
        isBot: false,
      });
      const [inserted] = await harness.store.insertInbound([
        {
          conversationId: conversation.id,
          authorId: author,
          content: 'words of another team',
          platformMessageId: `other-${provider}`,
          sentAt: new Date(),
          pendingAgentId: aria.id,
        },
      ]);
      if (!inserted?.stored) throw new Error('not stored');
      const queue = harness.pipeline.queues.replies;
      await scheduleReplies(queue, { debounceMs: 0, jobAttempts: 3, jobBackoffMs: 20 }, [
        {
          data: {
            conversationId: conversation.id,
            agentId: aria.id,
            messageId: inserted.id,
            receivedAt: Date.now(),
            target: { platform: 'slack', channelId: 'D9', isDirect: true, workspaceExternalId: otherTeam },
          },
        },
      ]);

      await waitFor('the job failed', async () => (await queue.getFailedCount()) === 1);
      const [job] = await queue.getFailed();
      expect(job?.attemptsMade).toBe(1);
      expect(job?.failedReason).toMatch(/^cross_workspace: agent of workspace \S+ \(slack\) may not answer/);
      const record = await harness.db.job.findUnique({ where: { queueJobId: job?.id as string } });
      expect(record?.status).toBe('failed');
      expect(record?.error).toMatch(/^cross_workspace/);
      expect(harness.gemini.requests).toEqual([]);
      expect(harness.adapter.replies()).toEqual([]);
      expect((await harness.store.readContext(conversation.id, aria.id, 20)).pendingIds).toEqual([]);
    });

    it('the same agent in its own workspace, and a Discord DM reaching a guild agent, are allowed', async () => {
      h = await startHarness(t.current);
      const harness = h;
      const aria = await harness.createAgent('Aria');
      const own = await harness.store.ensureWorkspace('slack', harness.team);
      const ownConversation = await harness.store.ensureConversation(
        { platform: 'slack', workspaceId: own.id, channelId: 'D1' },
        'dm',
      );
      expect(mayReach((await harness.store.readContext(ownConversation.id, aria.id, 5)).reach)).toBe(true);

      const guild = await harness.store.ensureWorkspace('discord', `g-${harness.prefix}`);
      const nova = await createAgent(
        harness.db,
        { workspaceId: guild.id, name: 'Nova', role: '', goal: '' },
        {
          label: 'test',
        },
      );
      const dm = await harness.store.ensureWorkspace('discord', '@dm');
      const dmConversation = await harness.store.ensureConversation(
        { platform: 'discord', workspaceId: dm.id, channelId: `dm-${harness.prefix}` },
        'dm',
      );
      const reach = (await harness.store.readContext(dmConversation.id, nova.id, 5)).reach;
      expect(reach).toMatchObject({ conversationWorkspaceExternalId: '@dm', agentPlatform: 'discord' });
      expect(mayReach(reach)).toBe(true);
      // ...but not a Slack agent, nor a guild agent in another guild's channel.
      expect(mayReach((await harness.store.readContext(dmConversation.id, aria.id, 5)).reach)).toBe(false);
      const otherGuild = await harness.store.ensureWorkspace('discord', `g2-${harness.prefix}`);
      const channel = await harness.store.ensureConversation(
        { platform: 'discord', workspaceId: otherGuild.id, channelId: `c-${harness.prefix}` },
        'channel',
      );
      expect(mayReach((await harness.store.readContext(channel.id, nova.id, 5)).reach)).toBe(false);
    });
  });
}
