/**
 * Slack's agent view (manifest `agent_view`): opening the Messages tab greets once and suggests
 * the agents; what the person looks at is acknowledged; the agent's own working messages reach
 * setStatus; replies are Markdown blocks (a table as a table block) carrying 👍/👎, and a click is
 * stored once per person, a second click changing the vote.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { satisfactionOf } from '../../../src/store/feedback.ts';
import { appContextChanged, appHomeOpened, directMessage, feedbackClick } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

const PING = /<!(channel|here|everyone|subteam)|(^|[^\p{L}\p{N}_@])@(channel|here|everyone)\b/iu;

type Block = { type: string; block_id?: string; text?: string; rows?: unknown; elements?: unknown[] };

describe('slack agent view', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  let aria: { id: string; name: string };

  beforeAll(async () => {
    h = await startSlackHarness(database.current);
    aria = await h.createAgent('Aria', {
      role: 'TypeScript mentor',
      loading: ['Reading the docs…', 'Thinking…'],
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  const postTo = (channel: string) =>
    waitFor(`a post in ${channel}`, () =>
      h.slack.callsTo('chat.postMessage').find((call) => call.params.channel === channel),
    );
  const blocksOf = (call: { params: Record<string, unknown> } | undefined) =>
    (call?.params.blocks ?? []) as Block[];

  it('greets a person once when they open the Messages tab, and suggests the agents each time', async () => {
    const open = appHomeOpened({ user: 'UGREET', channel: 'D0HOME' });
    expect((await h.sendEvent(open)).status).toBe(200);
    const [greeting] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(greeting?.params).toMatchObject({ channel: 'D0HOME' });
    expect(String(greeting?.params.text)).toContain('Aria answers here');
    const [prompts] = await h.slack.waitForCalls('assistant.threads.setSuggestedPrompts', 1);
    expect(prompts?.params).toEqual({
      channel_id: 'D0HOME',
      title: 'Ask an agent',
      prompts: [{ title: 'Aria · TypeScript mentor', message: 'Aria: what can you help me with?' }],
    });

    // Opened again (a new event, not a retry): the prompts again, no second greeting.
    expect((await h.sendEvent(appHomeOpened({ user: 'UGREET', channel: 'D0HOME' }))).status).toBe(200);
    await h.slack.waitForCalls('assistant.threads.setSuggestedPrompts', 2);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    // Stored, so a restart does not greet again.
    expect(await h.db.agentViewGreeting.count({ where: { userId: 'UGREET', workspaceId: h.teamId } })).toBe(
      1,
    );
  });

  it('does nothing for the Home tab, and acknowledges app_context_changed quietly', async () => {
    expect(
      (await h.sendEvent(appHomeOpened({ user: 'UHOME', channel: 'D0HOME2', tab: 'home' }))).status,
    ).toBe(200);
    const context = appContextChanged({ user: 'UHOME', channel: 'D0HOME2', viewing: 'C0GENERAL' });
    expect((await h.sendEvent(context)).status).toBe(200);
    expect(h.slack.calls.map((c) => c.method)).toEqual([]);
    expect(h.notices).toEqual([]);
  });

  it("shows the agent's loading messages in the working status", async () => {
    const event = directMessage({ user: 'UANA', text: 'how do generics work?', channel: 'D0LOAD' });
    await h.sendEvent(event);
    const [status] = await h.slack.waitForCalls('assistant.threads.setStatus', 1);
    expect(status?.params).toEqual({
      channel_id: 'D0LOAD',
      thread_ts: event.ts,
      status: 'is thinking…',
      loading_messages: ['Reading the docs…', 'Thinking…'],
    });
    expect(status?.answer?.body).toMatchObject({ ok: true });
    await postTo('D0LOAD');
  });

  it('posts a reply as a markdown block, without pings, with feedback buttons', async () => {
    h.gemini.enqueue({ text: '<!channel> hi @here <!subteam^S1|@devs>, **done** and `<!here>` in code' });
    await h.sendEvent(directMessage({ user: 'UANA', text: 'ping everyone', channel: 'D0MD' }));
    const post = await postTo('D0MD');
    expect(post?.answer?.body).toMatchObject({ ok: true });
    const [markdown, feedback, ...rest] = blocksOf(post);
    expect(rest).toEqual([]);
    expect(markdown?.type).toBe('markdown');
    // Markdown as the model wrote it, for Slack to render: **bold** stays **bold**.
    expect(markdown?.text).toContain('**done**');
    expect(markdown?.text).toContain('hi');
    expect(markdown?.text).not.toMatch(PING);
    expect(String(post?.params.text)).not.toMatch(PING);
    expect(feedback).toMatchObject({
      type: 'context_actions',
      elements: [
        {
          type: 'feedback_buttons',
          positive_button: { value: 'positive_feedback' },
          negative_button: { value: 'negative_feedback' },
        },
      ],
    });
  });

  it('posts a Markdown table as a table block', async () => {
    h.gemini.enqueue({
      text: 'Sizes:\n\n| Plan | Seats |\n| --- | ---: |\n| **Free** | 1 |\n| Team | 10 |\n\nPick one.',
    });
    await h.sendEvent(directMessage({ user: 'UANA', text: 'compare plans', channel: 'D0TABLE' }));
    const post = await postTo('D0TABLE');
    expect(post?.answer?.body).toMatchObject({ ok: true });
    const blocks = blocksOf(post);
    expect(blocks.map((b) => b.type)).toEqual(['markdown', 'table', 'markdown', 'context_actions']);
    expect(blocks[1]).toEqual({
      type: 'table',
      rows: [
        [
          { type: 'raw_text', text: 'Plan' },
          { type: 'raw_text', text: 'Seats' },
        ],
        [
          { type: 'raw_text', text: 'Free' },
          { type: 'raw_text', text: '1' },
        ],
        [
          { type: 'raw_text', text: 'Team' },
          { type: 'raw_text', text: '10' },
        ],
      ],
      column_settings: [{ is_wrapped: true }, { is_wrapped: true, align: 'right' }],
    });
    expect(blocks[0]?.text).toBe('Sizes:');
    expect(blocks[2]?.text).toBe('Pick one.');
  });

  it('stores a feedback click once per person, and a second click changes the vote', async () => {
    await h.sendEvent(directMessage({ user: 'UANA', text: 'rate me', channel: 'D0VOTE' }));
    const post = await postTo('D0VOTE');
    const reply = await waitFor('the reply delivered', () =>
      h.db.message.findFirst({
        where: { agentId: aria.id, deliveredAt: { not: null }, conversation: { channelId: 'D0VOTE' } },
      }),
    );
    const block = blocksOf(post).find((b) => b.type === 'context_actions');
    expect(block?.block_id).toBe(`agent_feedback:reply-${reply.id}`);
    const click = (userId: string, value: string) =>
      h.sendForm(
        feedbackClick({
          teamId: h.teamId,
          userId,
          channel: 'D0VOTE',
          messageTs: String(post?.answer?.body.ts),
          blockId: String(block?.block_id),
          actionId: 'agent_feedback',
          value,
        }),
      );
    const votes = () =>
      h.db.replyFeedback.findMany({ where: { replyId: reply.id }, orderBy: { userId: 'asc' } });

    expect((await click('UANA', 'positive_feedback')).status).toBe(200);
    expect((await click('UANA', 'positive_feedback')).status).toBe(200);
    expect(await votes()).toEqual([
      expect.objectContaining({ platform: 'slack', userId: 'UANA', vote: 'up', agentId: aria.id }),
    ]);
    expect((await click('UANA', 'negative_feedback')).status).toBe(200);
    expect((await click('UBOB', 'positive_feedback')).status).toBe(200);
    expect((await votes()).map((v) => [v.userId, v.vote])).toEqual([
      ['UANA', 'down'],
      ['UBOB', 'up'],
    ]);
    expect(await satisfactionOf(h.db, aria.id, new Date(Date.now() - 60_000))).toEqual({ up: 1, down: 1 });
    // Nothing was posted in answer to the clicks.
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.params.channel === 'D0VOTE')).toHaveLength(1);
  });
});
