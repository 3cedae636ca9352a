/**
 * What a model call costs: USD per million input and output tokens, per model id (the part after
 * `provider:`, e.g. `gemini-2.5-flash`). The shipped table holds list prices as published by the
 * providers on 2026-11-30 (standard tier, text, no caching, no batch discount): they are defaults,
 * not a bill. MODEL_PRICES (JSON, same shape) overrides or adds entries. A model with no price
 * costs 0 and is reported as "price unknown", never as free.
 */

export interface ModelPrice {
  /** USD per million input (prompt) tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** The date the shipped prices were read from the providers' pricing pages. */
export const DEFAULT_PRICES_AS_OF = '2026-11-30';

export const DEFAULT_MODEL_PRICES: PriceTable = {
  // Google Gemini API (ai.google.dev/pricing), prompts up to 200k tokens.
  'gemini-2.5-pro': { input: 1.25, output: 10 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4 },
  // OpenAI (openai.com/api/pricing).
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  // Anthropic (anthropic.com/pricing).
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-opus-4-1': { input: 15, output: 75 },
  // Runs on this machine: nothing to pay.
  echo: { input: 0, output: 0 },
};

/** The model id a spec prices by: `google:gemini-2.5-flash` → `gemini-2.5-flash`. */
export function modelIdOf(model: string): string {
  const colon = model.indexOf(':');
  return colon >= 0 ? model.slice(colon + 1) : model;
}

/** The price of a model (by full spec first, then by model id), or undefined when unknown. */
export function priceOf(prices: PriceTable, model: string): ModelPrice | undefined {
  return prices[model] ?? prices[modelIdOf(model)];
}

/** USD for the tokens; 0 when the price is unknown. */
export function costOf(price: ModelPrice | undefined, inputTokens: number, outputTokens: number): number {
  if (!price) return 0;
  return (inputTokens * price.input + outputTokens * price.output) / 1e6;
}

/**
 * MODEL_PRICES: `{"gemini-2.5-flash": {"input": 0.3, "output": 2.5}, …}` merged over the
 * defaults. Returns the table, or a one-line error saying what to write.
 */
export function parseModelPrices(
  raw: string | undefined,
): { ok: true; value: PriceTable } | { ok: false; error: string } {
  if (raw === undefined || raw.trim() === '') return { ok: true, value: DEFAULT_MODEL_PRICES };
  const example =
    'e.g. MODEL_PRICES=\'{"gemini-2.5-flash":{"input":0.3,"output":2.5}}\' (USD per million tokens)';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, error: `MODEL_PRICES is not valid JSON: ${example}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, error: `MODEL_PRICES must be a JSON object by model id: ${example}` };
  }
  const table: Record<string, ModelPrice> = { ...DEFAULT_MODEL_PRICES };
  for (const [model, value] of Object.entries(parsed)) {
    const { input, output } = (value ?? {}) as Partial<ModelPrice>;
    const valid = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    if (!model.trim() || !valid(input) || !valid(output)) {
      return {
        ok: false,
        error: `MODEL_PRICES["${model}"] needs "input" and "output" numbers >= 0: ${example}`,
      };
    }
    table[model.trim()] = { input, output };
  }
  return { ok: true, value: table };
}
