/**
 * `/agent provider add|list|remove` on Discord: a subcommand group with typed options. `add` first
 * runs the command core's dry run (permission, name, kind), then opens a modal whose text input
 * takes the key; the modal's submission runs the real add. What the modal needs to remember lives
 * here in memory, by a random id in its custom_id (Discord allows 100 characters), for 15 minutes:
 * the submission reaches the process whose gateway connection showed the modal.
 */
import { randomBytes } from 'node:crypto';
import {
  type ChatInputCommandInteraction,
  MessageFlags,
  type ModalSubmitInteraction,
  type SlashCommandBuilder,
} from 'discord.js';
import type { CommandContext, CommandReply, ProviderCommand } from '../../commands/command.ts';
import { PROVIDER_KINDS } from '../../core/provider-names.ts';

export const PROVIDER_GROUP = 'provider';
export const PROVIDER_MODAL_PREFIX = 'agent_provider_key:';
export const PROVIDER_KEY_INPUT = 'key';
const PENDING_TTL_MS = 15 * 60_000;
const NO_PINGS = { parse: [] };

type ProviderAdd = Extract<ProviderCommand, { action: 'add' }>;

export function addProviderGroup(builder: SlashCommandBuilder): void {
  const scope = (option: import('discord.js').SlashCommandStringOption) =>
    option
      .setName('scope')
      .setDescription('This server only (default), or every server (agent-bridge admins only)')
      .addChoices({ name: 'this server', value: 'workspace' }, { name: 'global', value: 'global' });
  builder.addSubcommandGroup((group) =>
    group
      .setName(PROVIDER_GROUP)
      .setDescription('Model providers and their keys (admins)')
      .addSubcommand((sub) =>
        sub
          .setName('add')
          .setDescription('Add a provider: its key is asked for in a form')
          .addStringOption((o) =>
            o
              .setName('name')
              .setDescription('What agents write: model=NAME:MODEL')
              .setRequired(true)
              .setMaxLength(32),
          )
          .addStringOption((o) =>
            o
              .setName('kind')
              .setDescription('Which API it speaks')
              .setRequired(true)
              .addChoices(...PROVIDER_KINDS.map((kind) => ({ name: kind, value: kind }))),
          )
          .addStringOption((o) =>
            o.setName('model').setDescription('Its default model, e.g. claude-sonnet-4-5'),
          )
          .addStringOption((o) =>
            o.setName('base_url').setDescription('The API base URL [the public endpoint]'),
          )
          .addStringOption(scope),
      )
      .addSubcommand((sub) =>
        sub.setName('list').setDescription('The providers this server’s agents can use'),
      )
      .addSubcommand((sub) =>
        sub
          .setName('remove')
          .setDescription('Remove a provider (refused while agents use it)')
          .addStringOption((o) => o.setName('name').setDescription('The provider').setRequired(true))
          .addStringOption(scope),
      ),
  );
}

/** The command for the group's subcommand and options. */
export function providerCommandFromOptions(
  subcommand: string,
  option: (name: string) => string | null,
): ProviderCommand {
  if (subcommand === 'list') return { verb: 'provider', action: 'list' };
  const name = option('name') ?? '';
  const global = option('scope') === 'global';
  if (subcommand === 'remove') return { verb: 'provider', action: 'remove', name, global };
  const model = option('model');
  const baseUrl = option('base_url');
  return {
    verb: 'provider',
    action: 'add',
    name,
    global,
    kind: option('kind') ?? '',
    ...(model && { model }),
    ...(baseUrl && { baseUrl }),
  };
}

export interface ProviderInteractionDeps {
  run(context: CommandContext, command: ProviderCommand): Promise<CommandReply>;
  embed(reply: CommandReply): import('discord.js').APIEmbed;
}

export function createProviderInteractions(deps: ProviderInteractionDeps, now: () => number = Date.now) {
  const pending = new Map<
    string,
    { command: ProviderAdd; context: CommandContext; userId: string; until: number }
  >();

  function remember(entry: { command: ProviderAdd; context: CommandContext; userId: string }): string {
    for (const [id, old] of pending) if (old.until <= now()) pending.delete(id);
    const id = randomBytes(9).toString('base64url');
    pending.set(id, { ...entry, until: now() + PENDING_TTL_MS });
    return id;
  }

  const answer = (interaction: ChatInputCommandInteraction | ModalSubmitInteraction, reply: CommandReply) =>
    interaction.reply({
      embeds: [deps.embed(reply)],
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_PINGS,
    });

  return {
    async command(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
      const command = providerCommandFromOptions(interaction.options.getSubcommand(), (name) =>
        interaction.options.getString(name),
      );
      if (command.action !== 'add') {
        await answer(interaction, await deps.run(context, command));
        return;
      }
      const checked = await deps.run(context, { ...command, dryRun: true });
      if (!checked.ok) {
        await answer(interaction, checked);
        return;
      }
      const id = remember({ command, context, userId: interaction.user.id });
      await interaction.showModal({
        custom_id: `${PROVIDER_MODAL_PREFIX}${id}`,
        title: `API key for ${command.name}`.slice(0, 45),
        components: [
          {
            type: 1,
            components: [
              {
                type: 4,
                custom_id: PROVIDER_KEY_INPUT,
                label: 'API key (stored encrypted; only …last 4 shown)',
                style: 1,
                required: true,
                max_length: 500,
              },
            ],
          },
        ],
      });
    },

    async submit(interaction: ModalSubmitInteraction): Promise<void> {
      const id = interaction.customId.slice(PROVIDER_MODAL_PREFIX.length);
      const entry = pending.get(id);
      pending.delete(id);
      if (!entry || entry.until <= now() || entry.userId !== interaction.user.id) {
        await answer(interaction, { ok: false, text: 'This form expired: run /agent provider add again.' });
        return;
      }
      const apiKey = interaction.fields.getTextInputValue(PROVIDER_KEY_INPUT).trim();
      await answer(interaction, await deps.run(entry.context, { ...entry.command, apiKey }));
    },
  };
}
