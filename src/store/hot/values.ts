/** Conversions between JavaScript values and how both providers' columns hold them. */

/** SQLite DATETIME columns hold Prisma's ISO form (`2026-12-01T11:07:27.953+00:00`). */
export function sqliteTime(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/**
 * A JSON column as an object: SQLite holds the JSON text, PostgreSQL (through Prisma) the value.
 * Anything else (null, malformed text, an array, a number) is undefined.
 */
export function jsonObject(stored: unknown): Record<string, unknown> | undefined {
  let value = stored;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `model` an agent's model config names, if any (`{"model": "google:gemini-2.5-flash"}`). */
export function modelOf(modelConfig: unknown): string | null {
  const model = jsonObject(modelConfig)?.model;
  return typeof model === 'string' && model.trim() ? model.trim() : null;
}

/** The working messages an agent's config sets (`{"loading": ["Reading…", "Thinking…"]}`), if any. */
export function loadingOf(modelConfig: unknown): string[] | undefined {
  const loading = jsonObject(modelConfig)?.loading;
  if (!Array.isArray(loading)) return undefined;
  const messages = loading.filter((m): m is string => typeof m === 'string' && m.trim() !== '');
  return messages.length > 0 ? messages : undefined;
}

/** Whether an agent's replies stream (`/agent edit NAME stream=off` stores `"stream": false`). */
export function streamsOf(modelConfig: unknown): boolean {
  return jsonObject(modelConfig)?.stream !== false;
}

/**
 * The model config after a change: the edited keys (`model`, `loading`) replace the stored ones,
 * `stream` is set or cleared, and whatever else the config holds stays.
 */
export function mergeModelConfig(
  existing: unknown,
  change: { config?: Record<string, unknown> | undefined; stream?: boolean | undefined },
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...jsonObject(existing), ...change.config };
  if (Array.isArray(config.loading) && config.loading.length === 0) delete config.loading;
  if (change.stream === false) config.stream = false;
  if (change.stream === true) delete config.stream;
  return config;
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
