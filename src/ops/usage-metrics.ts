/**
 * `agent_bridge_model_tokens_total{agent,model,kind}` and `agent_bridge_model_cost_usd_total{agent,model}`,
 * fed by `job.completed`. Label values are bounded: at most `maxAgents` agents and `maxModels`
 * models have their own series; past that the least recently active agent's series are removed
 * (its counts move to `agent="other"`), so agents deleted long ago do not keep series forever,
 * and a new model beyond the bound counts as `model="other"`.
 */
import { Counter, type Registry } from 'prom-client';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import { costOf, DEFAULT_MODEL_PRICES, type PriceTable, priceOf } from '../usage/prices.ts';

export const OTHER = 'other';

export interface UsageMetricsOptions {
  prices?: PriceTable;
  maxAgents?: number;
  maxModels?: number;
}

/** Which label values have their own series; pure bookkeeping over insertion order. */
export class BoundedLabels {
  private readonly recent = new Map<string, true>();
  constructor(private readonly max: number) {}

  /** The label to use for `value`, and the value evicted to make room for it, if any. */
  admit(value: string): { label: string; evicted?: string } {
    if (this.recent.has(value)) {
      this.recent.delete(value);
      this.recent.set(value, true);
      return { label: value };
    }
    if (this.max <= 0) return { label: OTHER };
    let evicted: string | undefined;
    if (this.recent.size >= this.max) {
      evicted = this.recent.keys().next().value as string;
      this.recent.delete(evicted);
    }
    this.recent.set(value, true);
    return evicted === undefined ? { label: value } : { label: value, evicted };
  }

  /** `value` if it already has its series, else `other` once the bound is reached. */
  labelFor(value: string): string {
    if (this.recent.has(value)) return value;
    if (this.recent.size < this.max) {
      this.recent.set(value, true);
      return value;
    }
    return OTHER;
  }
}

export function registerUsageMetrics(
  registers: Registry[],
  bus: EventBus<AgentBridgeEvents>,
  options: UsageMetricsOptions = {},
): () => void {
  const prices = options.prices ?? DEFAULT_MODEL_PRICES;
  const tokens = new Counter({
    name: 'agent_bridge_model_tokens_total',
    help: `Model tokens of completed replies by agent id, model and kind (input, output); at most ${options.maxAgents ?? 100} agents have their own series, the rest are "other".`,
    labelNames: ['agent', 'model', 'kind'] as const,
    registers,
  });
  const cost = new Counter({
    name: 'agent_bridge_model_cost_usd_total',
    help: 'Estimated model cost in USD (MODEL_PRICES over the shipped defaults; models without a price add 0), by agent id and model.',
    labelNames: ['agent', 'model'] as const,
    registers,
  });
  const agents = new BoundedLabels(options.maxAgents ?? 100);
  const models = new BoundedLabels(options.maxModels ?? 50);
  /** Per agent label: the model labels it has series for (to move them when it is evicted). */
  const seriesOf = new Map<string, Set<string>>();

  async function evict(agent: string): Promise<void> {
    const modelLabels = seriesOf.get(agent) ?? new Set();
    seriesOf.delete(agent);
    const [tokenValues, costValues] = await Promise.all([tokens.get(), cost.get()]);
    for (const model of modelLabels) {
      for (const kind of ['input', 'output']) {
        const found = tokenValues.values.find(
          (v) => v.labels.agent === agent && v.labels.model === model && v.labels.kind === kind,
        );
        if (found) tokens.inc({ agent: OTHER, model, kind }, found.value);
        tokens.remove({ agent, model, kind });
      }
      const spent = costValues.values.find((v) => v.labels.agent === agent && v.labels.model === model);
      if (spent) cost.inc({ agent: OTHER, model }, spent.value);
      cost.remove({ agent, model });
    }
  }

  return bus.on('job.completed', (e) => {
    if (e.inputTokens === undefined && e.outputTokens === undefined) return;
    const { label: agent, evicted } = agents.admit(e.agentId);
    const modelSpec = e.model ?? 'unknown';
    const model = models.labelFor(modelSpec);
    const record = () => {
      const known = seriesOf.get(agent) ?? new Set<string>();
      known.add(model);
      seriesOf.set(agent, known);
      tokens.inc({ agent, model, kind: 'input' }, e.inputTokens ?? 0);
      tokens.inc({ agent, model, kind: 'output' }, e.outputTokens ?? 0);
      cost.inc({ agent, model }, costOf(priceOf(prices, modelSpec), e.inputTokens ?? 0, e.outputTokens ?? 0));
    };
    if (evicted === undefined) record();
    else void evict(evicted).then(record);
  });
}
