/**
 * `/agent provider add|list|remove`: admins manage the model providers (and keys) their
 * workspace's agents may name. A workspace's admins (the platform's, or AGENT_BRIDGE_ADMINS)
 * manage its own providers; global ones, which every workspace sees, only AGENT_BRIDGE_ADMINS.
 * Answers never carry a key: at most its last 4 characters.
 */

import type { Keyring } from '../core/secret-box.ts';
import {
  addProvider,
  checkProviderInput,
  describeProvider,
  keyShown,
  removeProvider,
} from '../providers/manage.ts';
import { findProviderIn, GLOBAL_SCOPE, listProviders } from '../store/providers.ts';
import type { CommandContext, CommandReply, ProviderCommand } from './command.ts';
import { isAdmin } from './permissions.ts';
import { actorOf, type CommandDeps, failed, openSession, rules, succeeded } from './session.ts';

const NO_KEYRING: Keyring = { current: undefined, previous: [] };

/** Who may manage providers of this scope; the refusal says who may. Pure. */
export function providerPermission(
  config: CommandDeps['config'],
  ctx: CommandContext,
  global: boolean,
): { allowed: true } | { allowed: false; reason: string } {
  const { actor, admins } = rules(config, ctx);
  const deploymentAdmin =
    actor.platform === 'shell' ||
    admins.some((a) => a.platform === actor.platform && a.userId === actor.platformUserId);
  if (global) {
    return deploymentAdmin
      ? { allowed: true }
      : {
          allowed: false,
          reason: 'Only an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage global providers.',
        };
  }
  if (isAdmin(actor, admins)) return { allowed: true };
  const who = ctx.platform === 'discord' ? 'a member with Manage Server' : 'a workspace admin or owner';
  return {
    allowed: false,
    reason: `Only ${who} or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.`,
  };
}

export async function providerVerb(
  deps: CommandDeps,
  ctx: CommandContext,
  command: ProviderCommand,
): Promise<CommandReply> {
  if (ctx.isDirect && ctx.dmWorkspaceExternalIds !== undefined) {
    return failed('Manage providers in a server channel: they belong to a server.');
  }
  const global = command.action !== 'list' && command.global;
  const permission = providerPermission(deps.config, ctx, global);
  if (!permission.allowed) return failed(permission.reason);
  const keyring = deps.keyring ?? NO_KEYRING;
  const session = await openSession(deps, ctx);
  const scope = global ? GLOBAL_SCOPE : session.workspaceId;

  switch (command.action) {
    case 'list': {
      const rows = await listProviders(session.db, session.workspaceId);
      if (rows.length === 0) {
        return succeeded('No providers yet: add one with /agent provider add NAME kind=anthropic.');
      }
      return succeeded(
        `${rows.length} provider${rows.length === 1 ? '' : 's'}: agents use them as model=NAME:MODEL.`,
        {
          title: 'Providers',
          fields: rows.map((row) => ({
            label: `${row.name}${row.workspaceId === GLOBAL_SCOPE ? ' (global)' : ''}`,
            value: `${row.kind}, default ${row.name}:${row.defaultModel}, key ${keyShown(row)}, added by ${row.createdByLabel}`,
          })),
        },
      );
    }
    case 'remove': {
      const removed = await removeProvider(session.db, scope, command.name);
      if (!removed.ok) return failed(removed.error);
      return succeeded(`Removed the provider ${removed.value.name}.`);
    }
    case 'add': {
      const checked = checkProviderInput(
        {
          name: command.name,
          kind: command.kind,
          baseUrl: command.baseUrl,
          defaultModel: command.model,
          apiKey: command.dryRun ? 'checked-later' : command.apiKey,
        },
        command.dryRun ? { current: keyring.current ?? NO_KEYRING.current } : keyring,
      );
      if (!checked.ok) {
        if (!command.dryRun && !command.apiKey && /needs an API key/.test(checked.error)) {
          return failed(
            `${checked.error}: enter it in the form Slack and Discord open for /agent provider add, or on the server with agent-bridge providers add (reads it from stdin).`,
          );
        }
        return failed(checked.error);
      }
      if (await findProviderIn(session.db, scope, checked.value.name)) {
        return failed(
          `A provider named ${checked.value.name} already exists here: remove it first or pick another name.`,
        );
      }
      if (command.dryRun) return succeeded(`Enter the key for ${checked.value.name}.`);
      const added = await addProvider(session.db, keyring, scope, checked.value, await actorOf(session));
      if (!added.ok) return failed(added.error);
      return succeeded(
        `Added the provider ${added.value.name}: point an agent at it with /agent edit NAME model=${added.value.name}:${added.value.defaultModel}.`,
        { title: added.value.name, fields: describeProvider(added.value) },
      );
    }
  }
}
