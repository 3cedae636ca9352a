/** Conversions between JavaScript values and how both providers' columns hold them. */

/** SQLite DATETIME columns hold Prisma's ISO form (`2026-12-01T11:07:27.953+00:00`). */
export function sqliteTime(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/** The `model` an agent's model config names, if any (`{"model": "google:gemini-2.5-flash"}`). */
export function modelOf(modelConfig: unknown): string | null {
  let config = modelConfig;
  if (typeof config === 'string') {
    try {
      config = JSON.parse(config);
    } catch {
      return null;
    }
  }
  if (config && typeof config === 'object' && 'model' in config) {
    const model = (config as { model: unknown }).model;
    if (typeof model === 'string' && model.trim()) return model.trim();
  }
  return null;
}

/** The working messages an agent's config sets (`{"loading": ["Reading…", "Thinking…"]}`), if any. */
export function loadingOf(modelConfig: unknown): string[] | undefined {
  let config = modelConfig;
  if (typeof config === 'string') {
    try {
      config = JSON.parse(config);
    } catch {
      return undefined;
    }
  }
  if (!config || typeof config !== 'object' || !('loading' in config)) return undefined;
  const loading = (config as { loading: unknown }).loading;
  if (!Array.isArray(loading)) return undefined;
  const messages = loading.filter((m): m is string => typeof m === 'string' && m.trim() !== '');
  return messages.length > 0 ? messages : undefined;
}

/** Whether an agent's replies stream (`/agent edit NAME stream=off` stores `"stream": false`). */
export function streamsOf(modelConfig: unknown): boolean {
  const config = typeof modelConfig === 'string' ? safeParse(modelConfig) : modelConfig;
  return !(config && typeof config === 'object' && (config as { stream?: unknown }).stream === false);
}

/**
 * The model config after a change: the edited keys (`model`, `loading`) replace the stored ones,
 * `stream` is set or cleared, and whatever else the config holds stays.
 */
export function mergeModelConfig(
  existing: unknown,
  change: { config?: Record<string, unknown> | undefined; stream?: boolean | undefined },
): Record<string, unknown> {
  const parsed = typeof existing === 'string' ? safeParse(existing) : existing;
  const config: Record<string, unknown> =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? { ...(parsed as object), ...change.config }
      : { ...change.config };
  if (Array.isArray(config.loading) && config.loading.length === 0) delete config.loading;
  if (change.stream === false) config.stream = false;
  if (change.stream === true) delete config.stream;
  return config;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The posted parts column: a JSON array of platform message ids. */
export function parseParts(value: unknown): string[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parts = JSON.parse(value);
    return Array.isArray(parts) ? parts.filter((part): part is string => typeof part === 'string') : [];
  } catch {
    return [];
  }
}
