/**
 * `agent-bridge` command line: start | migrate | chat | agents … | slack … | discord …
 * Errors a user can fix print one line (no stack) and exit non-zero.
 */
import { Command, InvalidArgumentError } from 'commander';
import { type Role, StartupError, startApp } from './app.ts';
import { type Config, ConfigError, configSecrets, loadConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { MigrationError, migrateDatabase } from './store/migrate.ts';

const roles: Role[] = ['gateway', 'worker', 'all'];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('agent-bridge')
    .description('LLM agents in Slack, Discord and your terminal')
    .showHelpAfterError();

  program
    .command('start')
    .description('migrate the database, then serve HTTP, platform adapters and reply workers')
    .option('--role <role>', 'which parts run in this process: gateway | worker | all', parseRole, 'all')
    .action(async (options: { role: Role }) => {
      const { config, logger } = setup();
      const app = await startApp(config, logger, options.role);
      logger.info({ role: options.role }, 'agent-bridge started');
      await waitForShutdownSignal(logger);
      await app.close();
      logger.info('agent-bridge stopped');
    });

  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL)')
    .action(async () => {
      const { config } = setup();
      const { applied } = await migrateDatabase(config.databaseUrl);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database schema is up to date');
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    fail(error);
  }
}

function setup(): { config: Config; logger: Logger } {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, secrets: configSecrets(config) });
  return { config, logger };
}

function parseRole(value: string): Role {
  if (!roles.includes(value as Role)) throw new InvalidArgumentError(`expected one of ${roles.join(', ')}`);
  return value as Role;
}

function waitForShutdownSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** Known failures print their one-line message; anything else is a bug and keeps its stack. */
function fail(error: unknown): never {
  if (error instanceof ConfigError || error instanceof StartupError || error instanceof MigrationError) {
    console.error(`agent-bridge: ${error.message}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  console.error(error);
  process.exit(1);
}
