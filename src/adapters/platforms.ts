/**
 * Builds the platform adapters the config enables, with their hooks bound to the orchestrator and
 * the command core. The hooks reach the pipeline lazily: the pipeline needs the adapters (to post),
 * and the adapters only call hooks after they are started, when the pipeline exists.
 */
import type { Express } from 'express';
import { runAgentCommand } from '../commands/handlers.ts';
import { parseAgentCommand } from '../commands/parse.ts';
import type { Config } from '../config.ts';
import type { Platform, PlatformAdapter } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import { handleFeedback } from '../orchestrator/feedback.ts';
import type { Pipeline } from '../pipeline.ts';
import { keyringOf } from '../providers/keyring.ts';
import { leaveRemovedChannel, listAgents } from '../store/agents.ts';
import { catchUpPoints } from '../store/catch-up.ts';
import type { Db } from '../store/database.ts';
import { claimGreeting } from '../store/greetings.ts';
import { findWorkspace } from '../store/identities.ts';
import type { AdapterHooks } from './hooks.ts';

export function adapterHooks(config: Config, db: Db, logger: Logger, pipeline: () => Pipeline): AdapterHooks {
  const keyring = keyringOf(config);
  const onChange = () =>
    pipeline()
      .announceDirectoryChange()
      .catch((error: unknown) => logger.warn({ err: error }, 'could not announce an agent change'));
  return {
    logger,
    onInbound: (message) => pipeline().orchestrator.handleInbound(message),
    onChange: (change) => pipeline().orchestrator.handleChange(change),
    onUserName: (platform, externalId, displayName) =>
      pipeline().directory.userId({ platform, externalId, displayName, isBot: false }),
    parseCommand: parseAgentCommand,
    onCommand: (context, command) => runAgentCommand({ db, config, onChange, keyring }, context, command),
    async listAgents(platform, workspaceExternalId) {
      const workspace = await findWorkspace(db, platform, workspaceExternalId);
      if (!workspace) return [];
      const agents = await listAgents(db, workspace.id);
      return agents.map((a) => ({ id: a.id, name: a.name, role: a.role }));
    },
    catchUpPoints: (platform, window) => catchUpPoints(db, platform, window),
    async onWorkspaceRemoved(platform, externalId, reason) {
      const { bus, workspaceRemoved } = pipeline();
      bus.emit('platform.notice', { platform, kind: reason });
      await workspaceRemoved(platform, externalId, reason);
    },
    onNotice: (notice) => pipeline().bus.emit('platform.notice', notice),
    claimGreeting: (platform, workspaceExternalId, userId) =>
      claimGreeting(db, platform, workspaceExternalId, userId),
    onFeedback: (click) => handleFeedback(db, pipeline().bus, click),
    async onChannelRemoved(platform, channelId, actorLabel) {
      const left = await leaveRemovedChannel(db, platform, channelId, { label: actorLabel });
      if (left.length > 0) await onChange();
      return left.length;
    },
  };
}

/**
 * Each platform's module (and so its SDK: Bolt, discord.js, each ~0.4 s to load) is imported only
 * when that platform is configured.
 */
export async function createPlatformAdapters(
  config: Config,
  hooks: AdapterHooks,
  app: Express,
): Promise<Partial<Record<Platform, PlatformAdapter>>> {
  const adapters: Partial<Record<Platform, PlatformAdapter>> = {};
  if (config.slack.mode !== 'off') {
    const { createSlackAdapter } = await import('./slack/index.ts');
    adapters.slack = createSlackAdapter({ config: config.slack, hooks, app });
  }
  if (config.discord.enabled) {
    const { createDiscordAdapter } = await import('./discord/index.ts');
    adapters.discord = createDiscordAdapter({ config: config.discord, hooks });
  }
  return adapters;
}
