import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TypingTarget } from '../../src/core/types.ts';
import { TypingManager, type TypingPort } from '../../src/orchestrator/typing.ts';

const target: TypingTarget = { channelId: 'C1', threadId: 'T1', isDirect: false, workspaceId: 'W1' };

function port(typingRefreshMs?: number) {
  const startTyping = vi.fn<TypingPort['startTyping']>(async () => {});
  const stopTyping = vi.fn<TypingPort['stopTyping']>(async () => {});
  const adapter: TypingPort = { startTyping, stopTyping, ...(typingRefreshMs ? { typingRefreshMs } : {}) };
  return { adapter, startTyping, stopTyping };
}

function manager(maxMs?: number) {
  const errors: Array<{ error: unknown; key: string }> = [];
  const typing = new TypingManager({
    ...(maxMs === undefined ? {} : { maxMs }),
    onError: (error, key) => errors.push({ error, key }),
  });
  return { typing, errors };
}

describe('TypingManager', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('start calls startTyping once with the target; without a refresh interval never again', async () => {
    const { typing } = manager();
    const { adapter, startTyping } = port();
    await typing.start('k', adapter, target);
    expect(startTyping).toHaveBeenCalledTimes(1);
    expect(startTyping).toHaveBeenCalledWith(target);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(startTyping).toHaveBeenCalledTimes(1);
    expect(typing.active()).toEqual(['k']);
  });

  it('refreshes every typingRefreshMs while active: 20 s at 8 s gives 3 calls', async () => {
    const { typing } = manager();
    const { adapter, startTyping } = port(8_000);
    void typing.start('k', adapter, target);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(startTyping).toHaveBeenCalledTimes(3);
  });

  it('stop calls stopTyping once, refreshes cease, and the key is no longer active', async () => {
    const { typing } = manager();
    const { adapter, startTyping, stopTyping } = port(8_000);
    void typing.start('k', adapter, target);
    await vi.advanceTimersByTimeAsync(9_000);
    await typing.stop('k');
    await typing.stop('k');
    expect(stopTyping).toHaveBeenCalledTimes(1);
    expect(stopTyping).toHaveBeenCalledWith(target);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(startTyping).toHaveBeenCalledTimes(2);
    expect(typing.active()).toEqual([]);
  });

  it('stop of an unknown key is a no-op', async () => {
    const { typing, errors } = manager();
    await expect(typing.stop('nope')).resolves.toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('the cap stops it at maxMs (default 120 s) and calls stopTyping', async () => {
    const { typing } = manager();
    const { adapter, startTyping, stopTyping } = port(8_000);
    void typing.start('k', adapter, target);
    await vi.advanceTimersByTimeAsync(119_999);
    expect(stopTyping).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(stopTyping).toHaveBeenCalledTimes(1);
    expect(typing.active()).toEqual([]);
    const calls = startTyping.mock.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(startTyping).toHaveBeenCalledTimes(calls);
  });

  it('a repeated start restarts the cap from then', async () => {
    const { typing } = manager(10_000);
    const { adapter, stopTyping } = port();
    void typing.start('k', adapter, target);
    await vi.advanceTimersByTimeAsync(6_000);
    void typing.start('k', adapter, target);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(stopTyping).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(stopTyping).toHaveBeenCalledTimes(1);
  });

  it('a rejecting or throwing adapter never throws out; onError gets the error and key', async () => {
    const { typing, errors } = manager();
    const boom = new Error('boom');
    const adapter: TypingPort = {
      startTyping: vi.fn(async () => Promise.reject(boom)),
      stopTyping: vi.fn(() => {
        throw boom;
      }),
      typingRefreshMs: 8_000,
    };
    await expect(typing.start('k', adapter, target)).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(8_000);
    await expect(typing.stop('k')).resolves.toBeUndefined();
    expect(errors).toEqual([
      { error: boom, key: 'k' },
      { error: boom, key: 'k' },
      { error: boom, key: 'k' },
    ]);
  });

  it('a throwing onError does not escape either', async () => {
    const typing = new TypingManager({
      onError: () => {
        throw new Error('hook');
      },
    });
    const adapter: TypingPort = {
      startTyping: async () => Promise.reject(new Error('x')),
      stopTyping: async () => {},
    };
    await expect(typing.start('k', adapter, target)).resolves.toBeUndefined();
  });

  it('a double start for the same key does not double the call or the refresh loop', async () => {
    const { typing } = manager();
    const { adapter, startTyping, stopTyping } = port(8_000);
    void typing.start('k', adapter, target);
    void typing.start('k', adapter, { ...target, triggerPlatformMessageId: 'later' });
    expect(startTyping).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(startTyping).toHaveBeenCalledTimes(3);
    await typing.stop('k');
    expect(stopTyping).toHaveBeenCalledExactlyOnceWith(target);
  });

  it('stopTyping waits for a startTyping still in flight', async () => {
    const { typing } = manager();
    const order: string[] = [];
    let finishStart = (): void => {};
    const adapter: TypingPort = {
      startTyping: () =>
        new Promise<void>((resolve) => {
          finishStart = () => {
            order.push('started');
            resolve();
          };
        }),
      stopTyping: async () => {
        order.push('stopped');
      },
    };
    void typing.start('k', adapter, target);
    const stopped = typing.stop('k');
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([]);
    finishStart();
    await stopped;
    expect(order).toEqual(['started', 'stopped']);
  });

  it('a restart right after a stop waits for the stop to land', async () => {
    const { typing } = manager();
    const order: string[] = [];
    let finishStop = (): void => {};
    const adapter: TypingPort = {
      startTyping: async () => {
        order.push('start');
      },
      stopTyping: () =>
        new Promise<void>((resolve) => {
          finishStop = () => {
            order.push('stop');
            resolve();
          };
        }),
    };
    await typing.start('k', adapter, target);
    void typing.stop('k');
    const restarted = typing.start('k', adapter, target);
    await vi.advanceTimersByTimeAsync(0);
    finishStop();
    await restarted;
    expect(order).toEqual(['start', 'stop', 'start']);
    expect(typing.active()).toEqual(['k']);
  });

  it('stopAll stops every key once', async () => {
    const { typing } = manager();
    const slack = port();
    const discord = port(8_000);
    void typing.start('a', slack.adapter, target);
    void typing.start('b', discord.adapter, target);
    expect(typing.active().sort()).toEqual(['a', 'b']);
    await typing.stopAll();
    expect(slack.stopTyping).toHaveBeenCalledTimes(1);
    expect(discord.stopTyping).toHaveBeenCalledTimes(1);
    expect(typing.active()).toEqual([]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(discord.startTyping).toHaveBeenCalledTimes(1);
  });

  it('unrefs its timers so they never keep the process alive', () => {
    vi.useRealTimers();
    const intervalSpy = vi.spyOn(globalThis, 'setInterval');
    const timeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const { typing } = manager();
    void typing.start('k', port(8_000).adapter, target);
    const interval = intervalSpy.mock.results[0]?.value as NodeJS.Timeout;
    const cap = timeoutSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(interval.hasRef()).toBe(false);
    expect(cap.hasRef()).toBe(false);
    void typing.stopAll();
    intervalSpy.mockRestore();
    timeoutSpy.mockRestore();
  });
});
