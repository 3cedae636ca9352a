/**
 * Field values as every platform hands them over (parsed text, Discord options, Slack modal
 * inputs): cleaned, trimmed and validated with the shared rules in agent-args.ts.
 */
import { type AgentSettings, agentSettingsFrom, parseAgentName } from './agent-args.ts';
import { AGENT_FIELDS, type AgentField, type AgentFieldValues } from './command.ts';

export type Checked<T> =
  | { ok: true; value: T }
  | { ok: false; error: string; field?: 'name' | AgentField | undefined };

// Lone surrogates (the UTF-8 encoders replace them anyway) and control characters other than tab
// and newline: PostgreSQL rejects NUL in text, and the rest only hide in names and prompts.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const INVISIBLE = /[^\P{Cc}\t\n]|[\u200B\uFEFF]/gu;

/** Text safe to store and to show: well-formed, NFC, CRLF as LF, no invisible control characters. */
export function cleanText(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE, '')
    .normalize('NFC');
}

/** Only the known fields, each cleaned and trimmed. */
export function cleanFields(fields: AgentFieldValues): AgentFieldValues {
  const cleaned: AgentFieldValues = {};
  for (const key of AGENT_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string') cleaned[key] = cleanText(value).trim();
  }
  return cleaned;
}

/**
 * The store's fields for these values, or the first problem as a sentence. `prompt=""` clears the
 * explicit prompt (the generated one applies again) and `avatar=""` clears the avatar.
 */
export function validateFields(fields: AgentFieldValues): Checked<AgentSettings> {
  const settings = agentSettingsFrom(cleanFields(fields));
  return settings.ok ? settings : { ok: false, error: sentence(settings.error) };
}

/** The name as stored, or what is wrong with it as a sentence. */
export function validateName(raw: string): Checked<string> {
  const cleaned = cleanText(raw);
  const name = parseAgentName(cleaned);
  if (name.ok) return name;
  // The rule's message quotes the name: keep a long or multi-line one from taking over the reply.
  const typed = cleaned.trim();
  return { ok: false, error: sentence(typed ? name.error.replaceAll(typed, excerpt(typed)) : name.error) };
}

/** Per-field problems, for forms that show each error on its own field (Slack modal). */
export function fieldErrors(name: string | undefined, fields: AgentFieldValues) {
  const errors: Partial<Record<'name' | AgentField, string>> = {};
  if (name !== undefined) {
    const checked = validateName(name);
    if (!checked.ok) errors.name = checked.error;
  }
  for (const key of AGENT_FIELDS) {
    if (fields[key] === undefined) continue;
    const checked = validateFields({ [key]: fields[key] });
    if (!checked.ok) errors[key] = checked.error;
  }
  return errors;
}

/** A one-line sentence: whitespace collapsed, first letter capitalised, closing full stop. */
export function sentence(text: string): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  if (line === '') return line;
  const capitalised = line[0]?.toUpperCase() + line.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** User input quoted in a message: one line, at most `max` characters. */
export function excerpt(text: string, max = 40): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  const chars = [...line];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}
