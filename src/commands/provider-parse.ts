/**
 * The text form of `/agent provider …`: `list`, `add NAME kind=anthropic [model=…] [base_url=…]
 * [scope=global]`, `remove NAME [scope=global]`. A key is never read from the text: typed commands
 * end up in logs, history and screenshots, so the platforms ask for it in a form.
 */
import type { ParsedCommand } from './command.ts';
import { excerpt } from './fields.ts';
import type { Token } from './tokenize.ts';

const fail = (error: string): ParsedCommand => ({ ok: false, error });

export const PROVIDER_USAGE =
  '/agent provider add NAME kind=anthropic [model=claude-sonnet-4-5] [base_url=URL] [scope=global] | list | remove NAME';
const ADD_KEYS = ['kind', 'model', 'base_url', 'scope'] as const;

export function parseProviderCommand(tokens: Token[]): ParsedCommand {
  const [actionToken, nameToken, ...rest] = tokens;
  const action = actionToken?.key === undefined ? actionToken?.value.toLowerCase() : undefined;
  if (tokens.some((token) => /^(api_?)?key$/i.test(token.key?.trim() ?? ''))) {
    return fail('Never type a key in a command: /agent provider add NAME kind=… asks for it in a form.');
  }
  if (action === 'list') {
    return tokens.length === 1
      ? { ok: true, command: { verb: 'provider', action } }
      : fail('Nothing goes after provider list.');
  }
  if (action !== 'add' && action !== 'remove') return fail(`Type ${PROVIDER_USAGE}.`);
  if (!nameToken || nameToken.key !== undefined) return fail(`Name the provider: type ${PROVIDER_USAGE}.`);
  const fields: Record<string, string> = {};
  for (const token of rest) {
    const key = token.key?.trim().toLowerCase();
    const allowed: readonly string[] = action === 'add' ? ADD_KEYS : ['scope'];
    if (!key || !allowed.includes(key)) {
      return fail(
        `Unknown "${excerpt(token.key ?? token.value)}": provider ${action} takes ${allowed.join(', ')}.`,
      );
    }
    fields[key] = token.value.trim();
  }
  const scope = fields.scope?.toLowerCase();
  if (scope !== undefined && scope !== 'global' && scope !== 'workspace') {
    return fail('scope is workspace (the default: this workspace only) or global (every workspace).');
  }
  const name = nameToken.value.trim();
  const global = scope === 'global';
  if (action === 'remove') return { ok: true, command: { verb: 'provider', action, name, global } };
  if (!fields.kind) return fail(`Say which kind: kind=google, openai, anthropic or openai-compatible.`);
  return {
    ok: true,
    command: {
      verb: 'provider',
      action,
      name,
      global,
      kind: fields.kind,
      ...(fields.model && { model: fields.model }),
      ...(fields.base_url && { baseUrl: fields.base_url }),
    },
  };
}
