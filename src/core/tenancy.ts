/**
 * Which workspaces this deployment serves and which models its agents may run, as pure decisions
 * over the settings (SLACK_ALLOWED_TEAMS, DISCORD_ALLOWED_GUILDS, ALLOWED_MODELS).
 */

import { isBuiltInProvider, STORED_PROVIDERS_GLOB } from './provider-names.ts';

/** A Slack team or Discord guild is served when no list is set, or when it is on the list. */
export function workspaceAllowed(allowed: readonly string[] | undefined, externalId: string): boolean {
  return allowed === undefined || allowed.includes(externalId);
}

/**
 * What ALLOWED_MODELS means when unset: the default model's provider (`google:*` for a default
 * model of Google) and the providers teams added themselves (`@providers`).
 */
export function defaultModelGlobs(defaultModel: string): string[] {
  const colon = defaultModel.indexOf(':');
  return [`${colon > 0 ? defaultModel.slice(0, colon) : defaultModel}:*`, STORED_PROVIDERS_GLOB];
}

/**
 * `provider:model` matches one of the globs (`*` = any characters, everything else literal; the
 * provider is compared without case, as `model=` reads it; the model name as typed).
 */
export function modelAllowed(globs: readonly string[], spec: string): boolean {
  const colon = spec.indexOf(':');
  const normalized = colon > 0 ? `${spec.slice(0, colon).toLowerCase()}${spec.slice(colon)}` : spec;
  const stored = colon > 0 && !isBuiltInProvider(spec.slice(0, colon));
  return globs.some((glob) => (glob === STORED_PROVIDERS_GLOB ? stored : globPattern(glob).test(normalized)));
}

function globPattern(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

export interface ModelChoice {
  /** The model the agent runs with. */
  model: string;
  /** The agent's own model when it is no longer allowed (and `model` is the default instead). */
  notAllowed?: string;
}

/**
 * The model an agent answers with: its own when set and allowed, else the default model (which
 * start-up checks is allowed). An agent keeps answering when ALLOWED_MODELS narrows; `show` says so.
 */
export function effectiveModel(
  agentModel: string | undefined | null,
  settings: { defaultModel: string; allowedModels?: readonly string[] | undefined },
): ModelChoice {
  if (!agentModel) return { model: settings.defaultModel };
  if (!settings.allowedModels || modelAllowed(settings.allowedModels, agentModel))
    return { model: agentModel };
  return { model: settings.defaultModel, notAllowed: agentModel };
}
