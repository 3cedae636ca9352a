/**
 * `/agent` interactions: typed options → AgentCommand → the shared handlers → an ephemeral embed;
 * autocomplete of agent names (in a DM, those of the guilds the user shares with the bot). Work
 * that outlasts `deferAfterMs` is deferred (Discord allows 3 s for the first answer) and the embed
 * follows as an edit.
 */

import {
  type APIEmbed,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  GuildMember,
  type Interaction,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import {
  AGENT_FIELDS,
  AGENT_VERBS,
  type AgentCommand,
  type AgentFieldValues,
  type AgentVerb,
  type CommandContext,
  type CommandReply,
} from '../../commands/command.ts';
import { BUDGET_KEY_NAMES, type BudgetValues } from '../../usage/budget-limits.ts';
import type { AdapterHooks } from '../hooks.ts';
import type { SharedGuild } from './dm-guilds.ts';
import { DM_WORKSPACE } from './inbound.ts';
import { parseFeedbackButton } from './outbound.ts';
import { createProviderInteractions, PROVIDER_GROUP, PROVIDER_MODAL_PREFIX } from './provider-command.ts';
import { AGENT_COMMAND_NAME } from './slash-command.ts';

const OK_COLOR = 0x57f287;
const ERROR_COLOR = 0xed4245;
const MAX_CHOICES = 25;
const MAX_FIELDS = 25;
const EMBED_BUDGET = 5800;
const NO_PINGS = { parse: [] };

export interface InteractionDeps {
  hooks: AdapterHooks;
  /** Answer directly when the command finishes within this; else defer, then edit [1500]. */
  deferAfterMs: number;
  /** The guilds a user shares with the bot (never throws): what `/agent` in their DM reaches. */
  sharedGuilds(userId: string): Promise<SharedGuild[]>;
}

export async function handleInteraction(interaction: Interaction, deps: InteractionDeps): Promise<void> {
  if (interaction.isAutocomplete() && interaction.commandName === AGENT_COMMAND_NAME) {
    await autocomplete(interaction, deps);
  } else if (interaction.isChatInputCommand() && interaction.commandName === AGENT_COMMAND_NAME) {
    if (interaction.options.getSubcommandGroup(false) === PROVIDER_GROUP) {
      await providersOf(deps).command(interaction, await dmContext(interaction, deps));
    } else await runCommand(interaction, deps);
  } else if (interaction.isModalSubmit() && interaction.customId.startsWith(PROVIDER_MODAL_PREFIX)) {
    await providersOf(deps).submit(interaction);
  } else if (interaction.isButton()) {
    await recordFeedbackClick(interaction, deps);
  }
}

const providerForms = new WeakMap<AdapterHooks, ReturnType<typeof createProviderInteractions>>();
/** One set of pending provider forms per adapter (its hooks). */
function providersOf(deps: InteractionDeps) {
  let forms = providerForms.get(deps.hooks);
  if (!forms) {
    forms = createProviderInteractions({
      run: (context, command) =>
        deps.hooks.onCommand(context, command).catch((error: unknown): CommandReply => {
          deps.hooks.logger.error({ err: error, verb: command.verb }, 'discord /agent provider failed');
          return { ok: false, text: 'Something went wrong running that command. Please try again.' };
        }),
      embed: commandEmbed,
    });
    providerForms.set(deps.hooks, forms);
  }
  return forms;
}

/**
 * A 👍/👎 click: stored within `deferAfterMs`, then acknowledged once without changing the message
 * (DEFERRED_UPDATE_MESSAGE); a store that takes longer finishes after the acknowledgement.
 */
async function recordFeedbackClick(interaction: ButtonInteraction, deps: InteractionDeps): Promise<void> {
  const click = parseFeedbackButton(interaction.customId);
  if (!click) return;
  const { logger } = deps.hooks;
  const work = deps.hooks.onFeedback?.({ platform: 'discord', userId: interaction.user.id, ...click });
  if (work) {
    const failed = (error: unknown) =>
      logger.warn({ err: error, reply: click.replyKey }, 'discord feedback not stored');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deps.deferAfterMs);
    });
    await Promise.race([work.then(() => undefined, failed), late]);
    clearTimeout(timer);
  }
  await interaction.deferUpdate();
}

async function autocomplete(interaction: AutocompleteInteraction, deps: InteractionDeps): Promise<void> {
  const typed = interaction.options.getFocused().trim().toLowerCase();
  const workspaces = interaction.guildId
    ? [interaction.guildId]
    : [DM_WORKSPACE, ...(await deps.sharedGuilds(interaction.user.id)).map((guild) => guild.id)];
  const agents = await Promise.all(workspaces.map((id) => deps.hooks.listAgents('discord', id)));
  const names = [...new Set(agents.flat().map((a) => a.name))].sort((a, b) => a.localeCompare(b));
  const matching = [
    ...names.filter((n) => n.toLowerCase().startsWith(typed)),
    ...names.filter((n) => !n.toLowerCase().startsWith(typed) && n.toLowerCase().includes(typed)),
  ];
  await interaction.respond(matching.slice(0, MAX_CHOICES).map((name) => ({ name, value: name })));
}

async function runCommand(interaction: ChatInputCommandInteraction, deps: InteractionDeps): Promise<void> {
  const command = commandFromOptions(interaction.options.getSubcommand(false) ?? 'help', (name) =>
    interaction.options.getString(name),
  );
  const work = dmContext(interaction, deps)
    .then((context) => deps.hooks.onCommand(context, command))
    .catch((error: unknown): CommandReply => {
      deps.hooks.logger.error({ err: error, verb: command.verb }, 'discord /agent command failed');
      return { ok: false, text: 'Something went wrong running that command. Please try again.' };
    });
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), deps.deferAfterMs);
  });
  const first = await Promise.race([work, slow]);
  clearTimeout(timer);
  if (first !== 'slow') {
    await interaction.reply({
      embeds: [commandEmbed(first)],
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_PINGS,
    });
    return;
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await interaction.editReply({ embeds: [commandEmbed(await work)], allowedMentions: NO_PINGS });
}

/** The AgentCommand for a subcommand and its typed options (values are validated by the handlers). */
export function commandFromOptions(
  subcommand: string,
  option: (name: string) => string | null,
): AgentCommand {
  const verb = AGENT_VERBS.find((v) => v === subcommand);
  if (!verb || verb === 'help') return { verb: 'help' };
  if (verb === 'list') return { verb };
  if (verb === 'workspace') return { verb, budget: budgetOptions(option) };
  const name = option('name') ?? '';
  if (verb === 'create' || verb === 'edit') {
    const fields: AgentFieldValues = {};
    for (const field of AGENT_FIELDS) {
      const value = option(field);
      if (value !== null) fields[field] = value;
    }
    const budget = verb === 'edit' ? budgetOptions(option) : {};
    return Object.keys(budget).length > 0 ? { verb: 'edit', name, fields, budget } : { verb, name, fields };
  }
  return { verb: verb satisfies Exclude<AgentVerb, 'help' | 'list' | 'create' | 'edit' | 'workspace'>, name };
}

function budgetOptions(option: (name: string) => string | null): BudgetValues {
  const budget: BudgetValues = {};
  for (const key of BUDGET_KEY_NAMES) {
    const value = option(key);
    if (value !== null) budget[key] = value;
  }
  return budget;
}

export function commandContext(interaction: ChatInputCommandInteraction): CommandContext {
  const { channel, member, user } = interaction;
  const memberName = member instanceof GuildMember ? member.displayName : (member?.nick ?? undefined);
  // Agents join a channel, and its threads follow it: a command typed in a thread acts on the channel.
  const channelId = channel?.isThread() && channel.parentId ? channel.parentId : interaction.channelId;
  return {
    platform: 'discord',
    workspaceExternalId: interaction.guildId ?? DM_WORKSPACE,
    ...(interaction.guild?.name && { workspaceName: interaction.guild.name }),
    ...(channelId && { channelId }),
    isDirect: interaction.guildId === null,
    actor: {
      platformUserId: user.id,
      displayName: memberName ?? user.globalName ?? user.username,
      isPlatformAdmin: interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false,
      // The member's permissions in the channel of the command, its overwrites included.
      managesChannel: interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels) ?? false,
    },
  };
}

/** The command's context; in a DM, with the guilds the user shares with the bot. */
async function dmContext(
  interaction: ChatInputCommandInteraction,
  deps: InteractionDeps,
): Promise<CommandContext> {
  const context = commandContext(interaction);
  if (!context.isDirect) return context;
  const guilds = await deps.sharedGuilds(interaction.user.id);
  return {
    ...context,
    dmWorkspaceExternalIds: guilds.map((guild) => guild.id),
    dmWorkspaceNames: Object.fromEntries(guilds.map((guild) => [guild.id, guild.name])),
  };
}

/** A CommandReply as one embed within Discord's limits (field counts and lengths, total size). */
export function commandEmbed(reply: CommandReply): APIEmbed {
  const fields = [
    ...(reply.fields ?? []).map((f) => ({ name: f.label, value: f.value })),
    ...(reply.rows ?? []).map((row) => ({
      name: row.name,
      value: [row.role, `${row.status} · ${row.model}`, row.channels]
        .filter((part) => part !== '')
        .join('\n'),
    })),
  ].map((f) => ({ name: clip(f.name || '\u200b', 256), value: clip(f.value || '—', 1024), inline: false }));

  const embed: APIEmbed = { color: reply.ok ? OK_COLOR : ERROR_COLOR, description: clip(reply.text, 4096) };
  if (reply.title) embed.title = clip(reply.title, 256);
  let used = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
  const kept: NonNullable<APIEmbed['fields']> = [];
  for (const field of fields) {
    const size = field.name.length + field.value.length;
    if (kept.length >= MAX_FIELDS - 1 || used + size > EMBED_BUDGET) break;
    kept.push(field);
    used += size;
  }
  if (kept.length < fields.length) {
    kept.push({ name: '…', value: `and ${fields.length - kept.length} more`, inline: false });
  }
  if (kept.length > 0) embed.fields = kept;
  return embed;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
