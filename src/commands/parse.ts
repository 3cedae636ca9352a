/**
 * The text form of `/agent` (Slack, CLI): `verb NAME key=value key="quoted value" …`. Never throws:
 * every failure is one sentence saying what to type instead. Verbs and keys are case-insensitive,
 * values are trimmed, `prompt=""` clears an explicit prompt. Names and values are validated here
 * with the same rules the handlers apply to Discord's typed options.
 */

import {
  BUDGET_KEY_NAMES,
  type BudgetKey,
  type BudgetValues,
  budgetChangesFrom,
  isBudgetKey,
} from '../usage/budget-limits.ts';
import {
  AGENT_FIELDS,
  AGENT_VERBS,
  type AgentCommand,
  type AgentField,
  type AgentFieldValues,
  type AgentVerb,
  type ParsedCommand,
} from './command.ts';
import { cleanFields, cleanText, excerpt, sentence, validateFields, validateName } from './fields.ts';
import { parseProviderCommand } from './provider-parse.ts';
import { type Token, type Tokenized, tokenize } from './tokenize.ts';
import { KNOWN_FIELDS, KNOWN_VERBS, usage } from './usage.ts';

type NamedVerb = Exclude<AgentVerb, 'help' | 'list' | 'workspace'>;

const fail = (error: string): ParsedCommand => ({ ok: false, error });
const done = (command: AgentCommand): ParsedCommand => ({ ok: true, command });

export function parseAgentCommand(text: string): ParsedCommand {
  const tokenized = commandTokens(text);
  if (!tokenized.ok) return fail(tokenized.error);
  const [first, ...rest] = tokenized.tokens;
  if (!first) return done({ verb: 'help' });

  const verb = first.key === undefined ? first.value.toLowerCase() : undefined;
  if (verb === 'provider') return parseProviderCommand(rest);
  if (!isVerb(verb)) {
    return fail(`Unknown command "${excerpt(display(first))}": use ${KNOWN_VERBS} (see /agent help).`);
  }
  if (verb === 'help') return done({ verb });
  if (verb === 'list') {
    return rest.length === 0 ? done({ verb }) : fail(`Nothing goes after list: type ${usage('list')}`);
  }
  if (verb === 'workspace') {
    const parsed = parseFields(rest, 'workspace');
    return parsed.ok ? done({ verb, budget: parsed.budget }) : parsed;
  }
  return parseNamed(verb, rest);
}

function commandTokens(text: string): Tokenized {
  const tokenized = tokenize(cleanText(text ?? ''));
  const [first] = tokenized.ok ? tokenized.tokens : [];
  // `/agent create …` typed whole (the shell chat) reads like `create …`.
  if (tokenized.ok && first?.key === undefined && first?.value.toLowerCase() === '/agent') {
    tokenized.tokens.shift();
  }
  return tokenized;
}

function parseNamed(verb: NamedVerb, [nameToken, ...rest]: Token[]): ParsedCommand {
  if (!nameToken) {
    return fail(`${verb === 'create' ? 'Name the new agent: type' : 'Which agent? Type'} ${usage(verb)}`);
  }
  if (nameToken.key !== undefined) return fail(`The agent name comes first: type ${usage(verb)}`);
  const name = validateName(nameToken.value);
  if (!name.ok) return fail(name.error);

  if (verb === 'create') {
    const fields = parseFields(rest, verb);
    if (!fields.ok) return fields;
    return done({ verb, name: name.value, fields: fields.fields });
  }
  if (verb === 'edit') {
    const parsed = parseFields(rest, verb);
    if (!parsed.ok) return parsed;
    const budget = Object.keys(parsed.budget).length > 0 ? { budget: parsed.budget } : {};
    return done({ verb, name: name.value, fields: parsed.fields, ...budget });
  }
  if (rest.length > 0) {
    return fail(`Only the agent's name goes after ${verb}: type ${usage(verb, undefined, name.value)}`);
  }
  return done({ verb, name: name.value });
}

type ParsedFields =
  | { ok: true; fields: AgentFieldValues; budget: BudgetValues }
  | { ok: false; error: string };

/** create: the agent fields; edit: those and the budget keys; workspace: the budget keys only. */
function parseFields(tokens: Token[], verb: 'create' | 'edit' | 'workspace'): ParsedFields {
  const fields: AgentFieldValues = {};
  const budget: BudgetValues = {};
  for (const [index, token] of tokens.entries()) {
    if (token.key === undefined || token.key.trim() === '') {
      if (verb === 'workspace')
        return { ok: false, error: `Only budget keys go after workspace: type ${usage('workspace')}` };
      return { ok: false, error: notKeyValue(tokens, index) };
    }
    const key = token.key.trim().toLowerCase();
    const given = fields[key as AgentField] ?? budget[key as BudgetKey];
    if (given !== undefined) return { ok: false, error: `Give each key once: ${key} is given twice.` };
    if (verb !== 'create' && isBudgetKey(key)) budget[key] = cleanText(token.value).trim();
    else if (verb !== 'workspace' && isField(key)) fields[key] = token.value;
    else return { ok: false, error: `Unknown key "${excerpt(token.key)}": use ${keysFor(verb)}.` };
  }
  const budgetChecked = budgetChangesFrom(budget);
  if (!budgetChecked.ok) return { ok: false, error: sentence(budgetChecked.error) };
  const checked = validateFields(fields);
  return checked.ok ? { ok: true, fields: cleanFields(fields), budget } : checked;
}

function keysFor(verb: 'create' | 'edit' | 'workspace'): string {
  // edit's budget keys are in /agent help: the refusal stays one short line.
  return verb === 'workspace' ? BUDGET_KEY_NAMES.join(', ') : KNOWN_FIELDS;
}

/** `role=Friendly mentor` → suggest `role="Friendly mentor"`: unquoted spaces are the usual cause. */
function notKeyValue(tokens: Token[], index: number): string {
  const token = tokens[index];
  const typed = `"${excerpt(token ? display(token) : '')}" is not key=value`;
  const previous = tokens[index - 1];
  if (previous?.key?.trim()) {
    const words = [previous.value];
    for (const next of tokens.slice(index)) {
      if (next.key !== undefined) break;
      words.push(next.value);
    }
    return `${typed}: quote values with spaces, e.g. ${excerpt(previous.key.trim())}="${excerpt(words.join(' '), 60)}".`;
  }
  return `${typed}: write key="value", e.g. role="Friendly TypeScript mentor" (keys: ${KNOWN_FIELDS}).`;
}

function display(token: Token): string {
  return token.key === undefined ? token.value : `${token.key}=${token.value}`;
}

function isVerb(value: string | undefined): value is AgentVerb {
  return (AGENT_VERBS as readonly (string | undefined)[]).includes(value);
}

function isField(value: string): value is AgentField {
  return (AGENT_FIELDS as readonly string[]).includes(value);
}

/** Slack opens a form instead of answering: `/agent create` alone, `/agent edit NAME` with no changes. */
export type FormRequest = { verb: 'create' } | { verb: 'edit'; name: string };

export function formRequest(text: string): FormRequest | undefined {
  const tokenized = commandTokens(text);
  if (!tokenized.ok) return undefined;
  const [first, ...rest] = tokenized.tokens;
  if (rest.length === 0 && first?.key === undefined && first?.value.toLowerCase() === 'create') {
    return { verb: 'create' };
  }
  const parsed = parseAgentCommand(text);
  const bare = (command: { fields: object; budget?: object }) =>
    Object.keys(command.fields).length === 0 && command.budget === undefined;
  if (parsed.ok && parsed.command.verb === 'edit' && bare(parsed.command)) {
    return { verb: 'edit', name: parsed.command.name };
  }
  return undefined;
}
