// The reply job's side: every delta goes until a word shows, then one snapshot per interval, made
// safe only when it goes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveSnapshot, LiveTarget } from '../../../src/core/live-reply.ts';
import { liveOutlet } from '../../../src/streaming/live-outlet.ts';

const TARGET: LiveTarget = {
  platform: 'slack',
  channelId: 'D1',
  isDirect: true,
  workspaceExternalId: 'T1',
  agent: { id: 'a1', name: 'Aria', avatarUrl: null },
};

describe('live outlet', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends at once until a word can show, then at most once a second, the latest text', async () => {
    const sent: LiveSnapshot[] = [];
    const render = vi.fn((raw: string) => raw.toUpperCase());
    const feed = liveOutlet((s) => sent.push(s), 1000)('k', TARGET, render);
    feed.push('Hel');
    feed.push('Hello');
    feed.push('Hello wo');
    expect(sent.map((s) => s.text)).toEqual(['HEL', 'HELLO', 'HELLO WO']);
    for (let i = 0; i < 50; i++) feed.push(`Hello wo${'r'.repeat(i)}`);
    expect(sent).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.map((s) => s.text).at(-1)).toBe(`HELLO WO${'R'.repeat(49)}`);
    expect(sent).toHaveLength(4);
    expect(render).toHaveBeenCalledTimes(4);
    feed.push('Hello world, done');
    feed.end();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((s) => s.firstTokenAt)).size).toBe(1);
  });
});
