/**
 * The `/agent` command core: one entry point for every platform. Adapters build a CommandContext,
 * turn their input into an AgentCommand (parseAgentCommand for text, typed options on Discord) and
 * render the CommandReply. Refusals and bad input come back as `ok: false` replies; only
 * infrastructure failures (database down) throw. Input is checked before anything is written.
 */

import { workspaceVerb } from './budget.ts';
import type { AgentCommand, CommandContext, CommandReply } from './command.ts';
import { checkCreate, checkEdit, createVerb, deleteVerb, editVerb, pauseVerb } from './manage.ts';
import { joinVerb, useVerb } from './place.ts';
import { providerVerb } from './provider-verbs.ts';
import { helpVerb, listVerb, showVerb } from './read.ts';
import { type CommandDeps, failed, openSession } from './session.ts';

export type { CommandDeps } from './session.ts';

const READ_ONLY = new Set<AgentCommand['verb']>(['help', 'list', 'show']);

export async function runAgentCommand(
  deps: CommandDeps,
  ctx: CommandContext,
  command: AgentCommand,
): Promise<CommandReply> {
  const reply = await runVerb(deps, ctx, command);
  const dryRun = command.verb === 'provider' && command.action === 'add' && command.dryRun === true;
  if (reply.ok && !READ_ONLY.has(command.verb) && !dryRun) await deps.onChange?.();
  return reply;
}

async function runVerb(deps: CommandDeps, ctx: CommandContext, command: AgentCommand): Promise<CommandReply> {
  const session = () => openSession(deps, ctx);
  switch (command.verb) {
    case 'provider':
      return providerVerb(deps, ctx, command);
    case 'help':
      return helpVerb(ctx.platform);
    case 'list':
      return listVerb(await session());
    case 'create': {
      const input = checkCreate(deps.config, ctx, command.name, command.fields);
      return input.ok ? createVerb(await session(), input.value) : failed(input.error, input.field);
    }
    case 'edit': {
      const input = checkEdit(deps.config, ctx, command.name, command.fields, command.budget);
      return input.ok ? editVerb(await session(), input.value) : failed(input.error, input.field);
    }
    case 'show':
      return showVerb(await session(), command.name);
    case 'delete':
      return deleteVerb(await session(), command.name);
    case 'pause':
    case 'resume':
      return pauseVerb(await session(), command.name, command.verb === 'pause');
    case 'join':
    case 'leave':
      return joinVerb(await session(), command.name, command.verb === 'join');
    case 'use':
      return useVerb(await session(), command.name);
    case 'workspace':
      return workspaceVerb(await session(), command.budget);
  }
}
