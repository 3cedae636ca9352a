/**
 * Model provider names as agents write them in `model=<provider>:<model>`: the built-in ones
 * (configured from the environment) and the ones teams add (provider records). Pure.
 */

/** Configured from the environment; a provider record may not take these names. */
export const BUILT_IN_PROVIDERS = ['google', 'local', 'offline'] as const;
export type BuiltInProvider = (typeof BUILT_IN_PROVIDERS)[number];

/** The kinds of provider a record can be: which wire format it speaks. */
export const PROVIDER_KINDS = ['google', 'openai', 'anthropic', 'openai-compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** In ALLOWED_MODELS: every model of every provider record (what an unset ALLOWED_MODELS allows too). */
export const STORED_PROVIDERS_GLOB = '@providers';

export const PROVIDER_NAME_RULE = '2-32 letters, digits or dashes, starting with a letter';
const PROVIDER_NAME = /^[a-z][a-z0-9-]{1,31}$/;

export function isBuiltInProvider(name: string): name is BuiltInProvider {
  return (BUILT_IN_PROVIDERS as readonly string[]).includes(name.toLowerCase());
}

export function isProviderKind(value: string): value is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(value);
}

/** A well-formed provider name (any case); says nothing about whether it exists. */
export function isProviderName(name: string): boolean {
  return PROVIDER_NAME.test(name.toLowerCase());
}

/** A new record's name: well-formed and not a built-in. The one-line refusal otherwise. */
export function providerNameProblem(name: string): string | undefined {
  if (!isProviderName(name)) return `provider name "${name.slice(0, 40)}" must be ${PROVIDER_NAME_RULE}`;
  if (isBuiltInProvider(name)) {
    return `"${name}" is a built-in provider (${BUILT_IN_PROVIDERS.join(', ')}): pick another name, e.g. team-${name.toLowerCase()}`;
  }
  return undefined;
}
