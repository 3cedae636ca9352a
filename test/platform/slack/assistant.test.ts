/** The assistant pane: a new thread greets with the agents and suggests prompts naming them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directMessage, nextTs } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

describe('slack assistant pane', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;

  beforeAll(async () => {
    h = await startSlackHarness(database.current);
    await h.createAgent('Aria', { role: 'TypeScript mentor' });
    await h.createAgent('Nova');
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.slack.reset());

  const threadStarted = (channel: string, threadTs: string) => ({
    type: 'assistant_thread_started',
    assistant_thread: {
      user_id: 'UANA',
      context: { channel_id: 'C0GENERAL', team_id: h.teamId, enterprise_id: null },
      channel_id: channel,
      thread_ts: threadTs,
    },
    event_ts: nextTs(),
  });

  it('greets a new thread and suggests one prompt per agent, once per event', async () => {
    const threadTs = nextTs();
    const event = threadStarted('D0PANE', threadTs);
    expect((await h.sendEvent(event, { eventId: 'EvPANE1' })).status).toBe(200);
    expect((await h.sendEvent(event, { eventId: 'EvPANE1', retryNum: 1 })).status).toBe(200);
    const [greeting] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(greeting?.params).toMatchObject({ channel: 'D0PANE', thread_ts: threadTs });
    expect(String(greeting?.params.text)).toContain('Aria, Nova');
    const [prompts] = await h.slack.waitForCalls('assistant.threads.setSuggestedPrompts', 1);
    expect(prompts?.params).toMatchObject({
      channel_id: 'D0PANE',
      thread_ts: threadTs,
      prompts: [
        { title: 'Aria · TypeScript mentor', message: 'Aria: what can you help me with?' },
        { title: 'Ask Nova', message: 'Nova: what can you help me with?' },
      ],
    });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.slack.callsTo('conversations.replies')).toEqual([]);
  });

  it('sends a message in the pane through the pipeline, answering in its thread', async () => {
    const threadTs = nextTs();
    const event = directMessage({
      user: 'UANA',
      text: 'Nova: hello from the pane',
      channel: 'D0PANE2',
      thread_ts: threadTs,
    });
    await h.sendEvent(event);
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel: 'D0PANE2', thread_ts: threadTs, username: 'Nova' });
    const [status] = h.slack.callsTo('assistant.threads.setStatus');
    expect(status?.params).toEqual({ channel_id: 'D0PANE2', thread_ts: threadTs, status: 'is thinking…' });
    await waitFor('the status cleared', () =>
      h.slack.callsTo('assistant.threads.setStatus').some((call) => call.params.status === ''),
    );
  });
});
