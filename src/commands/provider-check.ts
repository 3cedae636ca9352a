/**
 * `model=<provider>:<model>` naming a provider record: it must exist where the agent lives (its
 * workspace's own record, or a global one). Built-in providers need no lookup.
 */
import { isBuiltInProvider } from '../core/provider-names.ts';
import { findProviderFor } from '../store/providers.ts';
import type { AgentSettings } from './agent-args.ts';
import type { Session } from './session.ts';

export async function missingProviderRefusal(
  s: Session,
  settings: AgentSettings,
): Promise<string | undefined> {
  const model = settings.modelConfig?.model;
  const colon = model?.indexOf(':') ?? -1;
  if (!model || colon <= 0) return undefined;
  const provider = model.slice(0, colon);
  if (isBuiltInProvider(provider)) return undefined;
  if (await findProviderFor(s.db, s.workspaceId, provider)) return undefined;
  return `No provider named ${provider} here: an admin adds it with /agent provider add ${provider}, or use a built-in one (google, local, offline).`;
}
