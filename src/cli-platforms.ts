/** `agent-bridge slack …` and `agent-bridge discord …`: set-up helpers a person runs once. */
import type { Command } from 'commander';
import { UsageError } from './cli-errors.ts';
import { loadConfig } from './config.ts';

export function addPlatformCommands(program: Command): void {
  const slack = program.command('slack').description('Slack set-up');
  slack
    .command('manifest')
    .description('print the Slack app manifest to paste into "Create an app → From a manifest"')
    .option(
      '--url <https://host>',
      'public base URL for HTTP mode (Events API at <url>/slack/events); omit for Socket Mode',
    )
    .option('--name <name>', 'app and bot display name', 'agent-bridge')
    .option('--yaml', 'YAML instead of JSON')
    .option(
      '--assistant-view',
      "Slack's older assistant pane (assistant_view) instead of the agent view, for apps not yet moved",
    )
    .action(async (options: { url?: string; name: string; yaml?: boolean; assistantView?: boolean }) => {
      if (options.url && !/^https:\/\/[^\s/]+/.test(options.url)) {
        throw new UsageError(
          `--url must be the https:// address Slack can reach, e.g. https://bridge.example.com`,
        );
      }
      const { formatSlackManifest, slackManifest } = await import('./adapters/slack/manifest.ts');
      const manifest = slackManifest({
        socketMode: !options.url,
        name: options.name,
        ...(options.url && { url: options.url }),
        ...(options.assistantView && { assistantView: true }),
      });
      process.stdout.write(formatSlackManifest(manifest, options.yaml ? 'yaml' : 'json'));
    });

  const discord = program.command('discord').description('Discord set-up');
  discord
    .command('register')
    .description('register /agent (in DISCORD_GUILD_ID at once, else globally: up to an hour to appear)')
    .action(async () => {
      const config = discordConfig();
      const { registerCommands } = await import('./adapters/discord/index.ts');
      const result = await registerCommands({
        token: config.botToken,
        apiUrl: config.apiUrl,
        ...(config.guildId && { guildId: config.guildId }),
      });
      console.log(
        `Registered /agent ${result.guildId ? `in guild ${result.guildId}` : 'globally'} for application ${result.applicationId}.`,
      );
    });
  discord
    .command('invite')
    .description('print the URL that adds the bot to a server with exactly the permissions it needs')
    .action(async () => {
      const config = discordConfig();
      const { discordInviteUrl, fetchApplicationId } = await import('./adapters/discord/index.ts');
      const applicationId = await fetchApplicationId({ token: config.botToken, apiUrl: config.apiUrl });
      console.log(discordInviteUrl(applicationId));
    });
}

function discordConfig() {
  const { discord } = loadConfig();
  if (!discord.botToken) {
    throw new UsageError(
      'DISCORD_BOT_TOKEN is not set: copy the bot token from the Discord developer portal (Bot → Reset Token) into DISCORD_BOT_TOKEN',
    );
  }
  return { ...discord, botToken: discord.botToken };
}
