/**
 * The adapters' gate for SLACK_ALLOWED_TEAMS / DISCORD_ALLOWED_GUILDS: whether a team or guild is
 * served (the decision is core/tenancy.ts), logging each one turned away once.
 */
import { workspaceAllowed } from '../core/tenancy.ts';
import { firstSeen, type Logger } from '../logger.ts';

export interface TenancyGate {
  /** Configured: some workspaces are turned away. */
  readonly limited: boolean;
  /** Served? A workspace turned away is logged the first time (undefined: not known, served). */
  admits(externalId: string | undefined): boolean;
}

export function createTenancyGate(options: {
  allowed: readonly string[] | undefined;
  logger: Logger;
  /** The setting's name, for the log line. */
  variable: 'SLACK_ALLOWED_TEAMS' | 'DISCORD_ALLOWED_GUILDS';
  /** What happens to what it sends, for the log line. */
  ignored: string;
}): TenancyGate {
  const first = firstSeen();
  return {
    limited: options.allowed !== undefined,
    admits(externalId) {
      if (externalId === undefined || externalId === '') return true;
      if (workspaceAllowed(options.allowed, externalId)) return true;
      if (first(externalId)) {
        options.logger.warn(
          { workspace: externalId },
          `${options.ignored}: it is not in ${options.variable} (said once per workspace)`,
        );
      }
      return false;
    },
  };
}
