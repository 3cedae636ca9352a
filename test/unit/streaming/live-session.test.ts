// One streamed reply in one message: paced updates, the earlier run's message taken over, never a
// second message, and nothing shown after the final delivery began.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveMessages, LiveTarget, StartedMessage } from '../../../src/core/live-reply.ts';
import { createLiveSession } from '../../../src/streaming/live-session.ts';
import { memoryStartedRecords } from '../../../src/streaming/started-records.ts';
import { testLogger } from '../../support/test-log.ts';

const TARGET: LiveTarget = {
  platform: 'slack',
  channelId: 'C1',
  threadId: '1.1',
  isDirect: false,
  workspaceExternalId: 'T1',
  agent: { id: 'a1', name: 'Aria', avatarUrl: null },
};

function fakeLive(options: { failStart?: boolean } = {}) {
  const calls: string[] = [];
  const live: LiveMessages = {
    async start(_target, text) {
      calls.push(`start ${text}`);
      if (options.failStart) throw new Error('slack is down');
      return { platform: 'slack', channelId: 'C1', messageId: 'M1', mode: 'stream' };
    },
    async update(message, text, shown) {
      calls.push(`update ${message.messageId} ${message.mode} "${shown}" -> "${text}"`);
      return message;
    },
    async close(message) {
      calls.push(`close ${message.messageId}`);
      return { ...message, mode: 'edit' };
    },
  };
  return { live, calls };
}

describe('live session', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('with a first-show delay, an answer complete within it is never started: delivery posts it once', async () => {
    const { live, calls } = fakeLive();
    const records = memoryStartedRecords();
    const session = createLiveSession(
      { live, records, logger: testLogger(), firstShowDelayMs: 100 },
      'k1',
      TARGET,
    );
    session.push('The whole answer. ', Date.now());
    await vi.advanceTimersByTimeAsync(60);
    expect(await session.finish()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([]);
    expect(records.entries.has('k1')).toBe(false);
  });

  it('with a first-show delay, a longer answer starts once the delay has passed', async () => {
    const { live, calls } = fakeLive();
    const session = createLiveSession(
      { live, records: memoryStartedRecords(), logger: testLogger(), firstShowDelayMs: 100 },
      'k1',
      TARGET,
    );
    session.push('Hello there', Date.now());
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['start Hello']);
    expect(await session.finish()).toMatchObject({ messageId: 'M1' });
  });

  it('shows the first word at once, then the latest text once a second, and records the message', async () => {
    const { live, calls } = fakeLive();
    const records = memoryStartedRecords();
    const onFirstVisible = vi.fn();
    const session = createLiveSession({ live, records, logger: testLogger(), onFirstVisible }, 'k1', TARGET);
    session.push('Hello', Date.now());
    session.push('Hello wor', Date.now());
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['start Hello']);
    expect(records.entries.get('k1')?.messageId).toBe('M1');
    expect(onFirstVisible).toHaveBeenCalledOnce();
    for (const text of ['Hello world ', 'Hello world and', 'Hello world and more ']) session.push(text, 0);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls).toEqual(['start Hello', 'update M1 stream "Hello" -> "Hello world and more"']);
    expect(await session.finish()).toMatchObject({ messageId: 'M1' });
  });

  it("takes over an earlier run's message: a stream left open is stopped, then edited whole", async () => {
    const { live, calls } = fakeLive();
    const records = memoryStartedRecords();
    const earlier: StartedMessage = { platform: 'slack', channelId: 'C1', messageId: 'M0', mode: 'stream' };
    await records.set('k2', earlier);
    const session = createLiveSession({ live, records, logger: testLogger() }, 'k2', TARGET);
    session.push('Retry answer ', Date.now());
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['close M0', 'update M0 edit "" -> "Retry answer"']);
    expect(records.entries.get('k2')?.mode).toBe('edit');
    expect(await session.finish()).toMatchObject({ messageId: 'M0', mode: 'edit' });
  });

  it('finish waits for the update in flight and nothing is shown after it', async () => {
    const { live, calls } = fakeLive();
    const session = createLiveSession(
      { live, records: memoryStartedRecords(), logger: testLogger() },
      'k3',
      TARGET,
    );
    session.push('one two ', Date.now());
    const finished = session.finish();
    session.push('one two three four ', Date.now());
    await vi.advanceTimersByTimeAsync(5000);
    expect(await finished).toMatchObject({ messageId: 'M1' });
    expect(calls).toEqual(['start one two']);
  });

  it('a start that failed leaves the reply to be posted when done (no message to finish into)', async () => {
    const { live } = fakeLive({ failStart: true });
    const session = createLiveSession(
      { live, records: memoryStartedRecords(), logger: testLogger() },
      'k4',
      TARGET,
    );
    session.push('one two ', Date.now());
    await vi.advanceTimersByTimeAsync(3000);
    session.push('one two three ', Date.now());
    await vi.advanceTimersByTimeAsync(3000);
    expect(await session.finish()).toBeUndefined();
  });
});
