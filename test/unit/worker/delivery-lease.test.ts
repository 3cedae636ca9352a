import { describe, expect, it } from 'vitest';
import { mayPostInline } from '../../../src/worker/delivery.ts';

describe('mayPostInline: the run that stored a reply posts it only before the sweeper may', () => {
  it.each([
    ['right after storing', 1_000, 1_000, true],
    ['just before the lock time', 1_000, 30_999, true],
    ['at the lock time (the sweeper may take it now)', 1_000, 31_000, false],
    ['long after (a stalled run waking up)', 1_000, 500_000, false],
  ])('%s', (_name, createdAt, now, expected) => {
    expect(mayPostInline(createdAt, now, 30_000)).toBe(expected);
  });
});
