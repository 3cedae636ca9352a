import { describe, expect, it } from 'vitest';
import {
  type PausedNoticeState,
  pausedNoticeText,
  shouldSendPausedNotice,
} from '../../../src/orchestrator/decisions/paused-notice.ts';
import { at } from './agent-fixtures.ts';

describe('shouldSendPausedNotice', () => {
  it.each<[string, PausedNoticeState, boolean]>([
    ['never sent', { noticeSentAt: null }, true],
    ['already sent, pause time unknown', { noticeSentAt: at('2024-01-02') }, false],
    [
      'already sent during this pause',
      { noticeSentAt: at('2024-01-02'), pausedSince: at('2024-01-01') },
      false,
    ],
    ['sent during an earlier pause', { noticeSentAt: at('2024-01-01'), pausedSince: at('2024-01-05') }, true],
    ['never sent, paused long ago', { noticeSentAt: null, pausedSince: at('2020-01-01') }, true],
  ])('%s → %s', (_name, state, expected) => {
    expect(shouldSendPausedNotice(state)).toBe(expected);
  });
});

describe('pausedNoticeText', () => {
  it.each<[string, string]>([
    ['Aria', 'Aria is paused. Ask its owner or an admin to run /agent resume Aria.'],
    ['Zoë', 'Zoë is paused. Ask its owner or an admin to run /agent resume Zoë.'],
    ['Ann Lee', 'Ann Lee is paused. Ask its owner or an admin to run /agent resume "Ann Lee".'],
  ])('%s', (name, expected) => {
    expect(pausedNoticeText(name)).toBe(expected);
  });
});
