import { describe, expect, it } from 'vitest';
import { type AgentBridgeEvents, createEventBus, EventBus } from '../../src/core/events.ts';

type TestEvents = { ping: { n: number }; pong: { text: string } };

function busWithErrors() {
  const errors: Array<{ error: unknown; event: string }> = [];
  const bus = new EventBus<TestEvents>({ onListenerError: (error, event) => errors.push({ error, event }) });
  return { bus, errors };
}

const responded: AgentBridgeEvents['agent.responded'] = {
  platform: 'slack',
  conversationId: 'c1',
  jobId: 'j1',
  agentId: 'a1',
  replyMessageId: 7,
  platformMessageId: '1700000000.000100',
  deliveredAt: new Date(0),
  latencyMs: 1234,
};

describe('EventBus', () => {
  it('delivers the payload to every listener of that event only, in subscription order', () => {
    const { bus } = busWithErrors();
    const seen: string[] = [];
    bus.on('ping', ({ n }) => seen.push(`first ${n}`));
    bus.on('ping', ({ n }) => seen.push(`second ${n}`));
    bus.on('pong', ({ text }) => seen.push(`pong ${text}`));
    bus.emit('ping', { n: 1 });
    expect(seen).toEqual(['first 1', 'second 1']);
  });

  it('a throwing listener neither stops the others nor the emitter; the error goes to the hook', () => {
    const { bus, errors } = busWithErrors();
    const seen: number[] = [];
    const boom = new Error('boom');
    bus.on('ping', () => {
      throw boom;
    });
    bus.on('ping', ({ n }) => {
      seen.push(n);
    });
    expect(() => bus.emit('ping', { n: 2 })).not.toThrow();
    expect(seen).toEqual([2]);
    expect(errors).toEqual([{ error: boom, event: 'ping' }]);
  });

  it('a rejected async listener goes to the hook too', async () => {
    const { bus, errors } = busWithErrors();
    const failure = new Error('async boom');
    bus.on('ping', async () => {
      throw failure;
    });
    bus.emit('ping', { n: 3 });
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toEqual([{ error: failure, event: 'ping' }]);
  });

  it('a throwing error hook does not escape emit', () => {
    const bus = new EventBus<TestEvents>({
      onListenerError: () => {
        throw new Error('hook broke');
      },
    });
    const seen: number[] = [];
    bus.on('ping', () => {
      throw new Error('listener broke');
    });
    bus.on('ping', ({ n }) => {
      seen.push(n);
    });
    expect(() => bus.emit('ping', { n: 4 })).not.toThrow();
    expect(seen).toEqual([4]);
  });

  it('off and the returned unsubscribe stop delivery', () => {
    const { bus } = busWithErrors();
    const seen: string[] = [];
    const a = ({ n }: { n: number }) => {
      seen.push(`a${n}`);
    };
    bus.on('ping', a);
    const unsubscribeB = bus.on('ping', ({ n }) => {
      seen.push(`b${n}`);
    });
    bus.emit('ping', { n: 1 });
    bus.off('ping', a);
    unsubscribeB();
    bus.emit('ping', { n: 2 });
    expect(seen).toEqual(['a1', 'b1']);
    expect(bus.listenerCount('ping')).toBe(0);
  });

  it('once fires for the next emit only, and off cancels it', () => {
    const { bus } = busWithErrors();
    const seen: number[] = [];
    const listener = ({ n }: { n: number }) => {
      seen.push(n);
    };
    bus.once('ping', listener);
    bus.emit('ping', { n: 1 });
    bus.emit('ping', { n: 2 });
    const cancelled = ({ n }: { n: number }) => {
      seen.push(n * 100);
    };
    bus.once('ping', cancelled);
    bus.off('ping', cancelled);
    bus.emit('ping', { n: 3 });
    expect(seen).toEqual([1]);
  });

  it('a once listener that emits the same event does not run twice', () => {
    const { bus } = busWithErrors();
    let calls = 0;
    bus.once('ping', () => {
      calls++;
      bus.emit('ping', { n: 2 });
    });
    bus.emit('ping', { n: 1 });
    expect(calls).toBe(1);
  });

  it('a once listener fires once even when an earlier listener re-emits the same event', () => {
    const { bus } = busWithErrors();
    const onceCalls: number[] = [];
    bus.on('ping', ({ n }) => {
      if (n === 1) bus.emit('ping', { n: 2 });
    });
    bus.once('ping', ({ n }) => {
      onceCalls.push(n);
    });
    bus.emit('ping', { n: 1 });
    expect(onceCalls).toEqual([2]);
  });

  it('listeners added or removed during an emit take effect from the next emit', () => {
    const { bus } = busWithErrors();
    const seen: string[] = [];
    const late = () => {
      seen.push('late');
    };
    const removed = () => {
      seen.push('removed');
    };
    bus.on('ping', () => {
      seen.push('first');
      bus.on('ping', late);
      bus.off('ping', removed);
    });
    bus.on('ping', removed);
    bus.emit('ping', { n: 1 });
    expect(seen).toEqual(['first', 'removed']);
    bus.emit('ping', { n: 2 });
    expect(seen).toEqual(['first', 'removed', 'first', 'late']);
  });

  it('subscribing the same listener twice delivers once', () => {
    const { bus } = busWithErrors();
    let calls = 0;
    const listener = () => {
      calls++;
    };
    bus.on('ping', listener);
    bus.on('ping', listener);
    bus.emit('ping', { n: 1 });
    expect(calls).toBe(1);
  });

  it('emitting with no listeners is a no-op', () => {
    const { bus, errors } = busWithErrors();
    expect(() => bus.emit('pong', { text: 'nobody' })).not.toThrow();
    expect(errors).toEqual([]);
  });

  it('is typed over the agent-bridge event map', () => {
    const bus = createEventBus({ onListenerError: () => {} });
    const latencies: number[] = [];
    bus.on('agent.responded', (payload) => {
      latencies.push(payload.latencyMs);
    });
    bus.emit('agent.responded', responded);
    expect(latencies).toEqual([1234]);

    // Compile-time checks (tsc runs over test/): wrong names and payloads do not type-check.
    // @ts-expect-error unknown event name
    bus.on('agent.exploded', () => {});
    // @ts-expect-error payload of another event
    bus.emit('job.failed', responded);
    bus.on('job.failed', (payload) => {
      // @ts-expect-error job.failed has no latencyMs
      latencies.push(payload.latencyMs);
    });
  });
});
