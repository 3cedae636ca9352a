// What Discord's refusal of a post means for the reply, and when a thread is closed to posts.
import { DiscordAPIError, HTTPError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { isClosedThread, refusalOf } from '../../../src/adapters/discord/refusals.ts';

const apiError = (status: number, code: number, message: string) =>
  new DiscordAPIError({ code, message }, code, status, 'POST', '/channels/1/messages', {});

describe('refusalOf', () => {
  it.each([
    ['404 Unknown Channel (deleted channel or thread)', apiError(404, 10003, 'Unknown Channel'), 'gone'],
    ['400 archived thread', apiError(400, 50083, 'Thread is archived'), 'thread-closed'],
    ['403 locked thread', apiError(403, 160005, 'Thread is locked'), 'thread-closed'],
    ['404 Unknown Message (not the channel)', apiError(404, 10008, 'Unknown Message'), undefined],
    ['404 Unknown Webhook (replaced, not gone)', apiError(404, 10015, 'Unknown Webhook'), undefined],
    ['403 Missing Permissions', apiError(403, 50013, 'Missing Permissions'), undefined],
    ['a 5xx', new HTTPError(502, 'Bad Gateway', 'POST', '/x', {}), undefined],
    ['not a Discord error', new Error('socket hang up'), undefined],
  ] as const)('%s → %s', (_what, error, expected) => {
    expect(refusalOf(error)).toBe(expected);
  });
});

describe('isClosedThread', () => {
  it.each([
    [undefined, false],
    [{ archived: false, locked: false }, false],
    [{ archived: null, locked: null }, false],
    [{ archived: true, locked: false }, true],
    [{ archived: false, locked: true }, true],
    [{ archived: true, locked: true }, true],
  ] as const)('%j → %s', (thread, expected) => {
    expect(isClosedThread(thread)).toBe(expected);
  });
});
