import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/core/events.ts';
import { BoundedLabels, registerUsageMetrics } from '../../../src/ops/usage-metrics.ts';
import { waitFor } from '../../support/wait-for.ts';

function completed(agentId: string, model: string, inputTokens: number, outputTokens: number) {
  return {
    platform: 'slack' as const,
    conversationId: 'c',
    agentId,
    jobId: `j-${agentId}`,
    replyMessageId: 1,
    attempts: 1,
    durationMs: 10,
    model,
    inputTokens,
    outputTokens,
  };
}

describe('model usage metrics', () => {
  it('counts tokens by kind and cost by price, per agent and model', async () => {
    const registry = new Registry();
    const bus = createEventBus({
      onListenerError: (error) => {
        throw error;
      },
    });
    registerUsageMetrics([registry], bus);
    bus.emit('job.completed', completed('a1', 'google:gemini-2.5-flash', 1_000_000, 100_000));
    bus.emit('job.completed', completed('a1', 'local:llama3.2', 10, 5));
    const text = await registry.metrics();
    expect(text).toContain(
      'agent_bridge_model_tokens_total{agent="a1",model="google:gemini-2.5-flash",kind="input"} 1000000',
    );
    expect(text).toContain(
      'agent_bridge_model_tokens_total{agent="a1",model="google:gemini-2.5-flash",kind="output"} 100000',
    );
    expect(text).toContain(
      'agent_bridge_model_cost_usd_total{agent="a1",model="google:gemini-2.5-flash"} 0.55',
    );
    // No price known: tokens counted, cost 0.
    expect(text).toContain('agent_bridge_model_cost_usd_total{agent="a1",model="local:llama3.2"} 0');
  });

  it('keeps at most N agents: the least recently active one moves to "other"', async () => {
    const registry = new Registry();
    const bus = createEventBus({
      onListenerError: (error) => {
        throw error;
      },
    });
    registerUsageMetrics([registry], bus, { maxAgents: 2 });
    bus.emit('job.completed', completed('gone', 'offline:echo', 5, 1));
    bus.emit('job.completed', completed('a2', 'offline:echo', 7, 1));
    bus.emit('job.completed', completed('a3', 'offline:echo', 9, 1));
    await waitFor('the evicted agent folded into other', async () =>
      (await registry.metrics()).includes('agent="other",model="offline:echo",kind="input"} 5'),
    );
    const text = await registry.metrics();
    expect(text).not.toContain('agent="gone"');
    expect(text).toContain('agent="a2",model="offline:echo",kind="input"} 7');
    expect(text).toContain('agent="a3",model="offline:echo",kind="input"} 9');
  });

  it('bounded labels', () => {
    const labels = new BoundedLabels(2);
    expect(labels.admit('a')).toEqual({ label: 'a' });
    expect(labels.admit('b')).toEqual({ label: 'b' });
    expect(labels.admit('a')).toEqual({ label: 'a' });
    expect(labels.admit('c')).toEqual({ label: 'c', evicted: 'b' });
    const models = new BoundedLabels(1);
    expect(models.labelFor('m1')).toBe('m1');
    expect(models.labelFor('m2')).toBe('other');
  });
});
