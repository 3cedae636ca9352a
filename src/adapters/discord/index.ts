/** The Discord adapter's public surface: app.ts builds the adapter, the CLI registers and invites. */
export {
  createDiscordAdapter,
  DISCORD_TYPING_REFRESH_MS,
  type DiscordAdapter,
  type DiscordAdapterOptions,
} from './adapter.ts';
export { DiscordConnectionError } from './connection.ts';
export { DM_WORKSPACE } from './inbound.ts';
export { splitMessage } from './outbound.ts';
export {
  AGENT_COMMAND_NAME,
  agentSlashCommand,
  BOT_PERMISSIONS,
  discordInviteUrl,
  fetchApplicationId,
  type RegisterOptions,
  type Registration,
  registerCommands,
} from './slash-command.ts';
