/** Input the user can fix: the CLI prints its one line and exits 1. */
export class UsageError extends Error {}

/**
 * Errors whose message is written for the user: the CLI prints it as one line, without a stack.
 * Matched by class name so the CLI need not load the modules that define them.
 */
export const USER_FACING_ERRORS = new Set([
  'ConfigError',
  'StartupError',
  'MigrationError',
  'UsageError',
  'DiscordConnectionError',
  'SecretKeyError',
  'ModelCallError',
]);
