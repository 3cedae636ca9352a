/**
 * `agent-bridge` command line: start | migrate | chat | agents … | slack … | discord …
 * Errors a user can fix print one line (no stack) and exit non-zero.
 *
 * Each command imports what it needs when it runs: the platform SDKs, the queue and the database
 * clients take seconds to load, and a start that cannot reach Redis must say so at once.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { USER_FACING_ERRORS, UsageError } from './cli-errors.ts';
import { addPlatformCommands } from './cli-platforms.ts';
import { addProviderCommands } from './cli-providers.ts';
import { type Config, loadConfig } from './config.ts';
import { configSecrets, exposureProblem } from './config-checks.ts';
import { createLogger, type Logger } from './logger.ts';

type Role = 'gateway' | 'worker' | 'all';
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
      const { checkDependencies, StartupError } = await import('./startup/preflight.ts');
      const exposure = exposureProblem(config);
      if (exposure) throw new StartupError(exposure);
      const problems = await checkDependencies(config);
      if (problems.length > 0) throw new StartupError(problems.map((p) => p.message).join('\n'));
      const { startApp } = await import('./app.ts');
      const app = await startApp(config, logger, options.role, { dependenciesChecked: true });
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
      const { migrateDatabase } = await import('./store/migrate.ts');
      const { applied } = await migrateDatabase(config.databaseUrl);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database schema is up to date');
    });

  program
    .command('chat')
    .description('talk to agents in the terminal (one line = one message; Ctrl-D or end of input quits)')
    .option('--agent <name>', 'who answers in this chat (see `agents list`)')
    .option('--as <name>', 'your name in the conversation [your OS user name]')
    .action(async (options: { agent?: string; as?: string }) => {
      const config = loadConfig();
      // stdout carries the conversation only: logs go to stderr, quiet unless LOG_LEVEL asks.
      const logger = createLogger({
        level: process.env.LOG_LEVEL?.trim() ? config.logLevel : 'warn',
        destination: pino.destination({ dest: 2, sync: true }),
        pretty: process.stderr.isTTY === true,
        secrets: configSecrets(config),
      });
      const prefix = process.env.AGENT_BRIDGE_QUEUE_PREFIX?.trim();
      const { runChat } = await import('./adapters/shell/chat.ts');
      const code = await runChat({
        ...options,
        config,
        logger,
        input: process.stdin,
        output: process.stdout,
        tty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
        ...(prefix && { queuePrefix: prefix }),
      });
      // Flush what was written to stdout (a pipe may be asynchronous) before exiting.
      process.stdout.write('', () => process.exit(code));
    });

  addAgentCommands(program);
  addProviderCommands(program, setup);
  addPlatformCommands(program);

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
  if (error instanceof Error && USER_FACING_ERRORS.has(error.constructor.name)) {
    console.error(`agent-bridge: ${error.message}`);
    process.exit(error.constructor.name === 'ConfigError' ? 2 : 1);
  }
  console.error(error);
  process.exit(1);
}

/**
 * `agents <verb> [name] [key=value …]`: the same command core as `/agent` in Slack and Discord,
 * answered in plain text. It needs only the database (migrated first): no Redis, no platforms.
 * The operator at the command line is an admin of the workspace they name.
 */
function addAgentCommands(program: Command): void {
  program
    .command('usage')
    .description('model tokens and cost per workspace, agent and model')
    .option('--workspace <platform:id>', 'only this workspace, e.g. slack:T123 or discord:456')
    .option('--since <when>', 'from when: 24h, 7d, 30d or a date such as 2026-12-01', '30d')
    .action(async (options: { workspace?: string; since: string }) => {
      const [{ parseWorkspaceRef }, { parseSince, usageReport }] = await Promise.all([
        import('./commands/agent-args.ts'),
        import('./usage/usage-cli.ts'),
      ]);
      const since = parseSince(options.since);
      if (!since)
        throw new UsageError(`--since ${options.since}: use 24h, 7d, 30d or a date such as 2026-12-01`);
      const ref = options.workspace === undefined ? undefined : parseWorkspaceRef(options.workspace);
      if (ref && !ref.ok) throw new UsageError(ref.error);
      const { config } = setup();
      const [{ migrateDatabase }, { openDatabase }] = await Promise.all([
        import('./store/migrate.ts'),
        import('./store/database.ts'),
      ]);
      await migrateDatabase(config.databaseUrl);
      const database = await openDatabase(config.databaseUrl);
      try {
        console.log(await usageReport(database.db, { since, workspace: ref?.value }, config.modelPrices));
      } finally {
        await database.close();
      }
    });
  program
    .command('agents')
    .description(
      'manage agents like /agent does: create|list|show|edit|delete|join|leave|pause|resume|use|help',
    )
    .argument('[words...]', 'e.g. create Aria role="Friendly TypeScript mentor"')
    .option(
      '--workspace <platform:id>',
      'whose agents: shell:local, a Slack team (slack:T123) or a Discord guild (discord:456)',
      'shell:local',
    )
    .option('--channel <id>', 'the channel join/leave act on')
    .action(async (words: string[], options: { workspace: string; channel?: string }) => {
      const [{ parseWorkspaceRef }, { argvToCommandText }, { parseAgentCommand }] = await Promise.all([
        import('./commands/agent-args.ts'),
        import('./commands/argv.ts'),
        import('./commands/parse.ts'),
      ]);
      const ref = parseWorkspaceRef(options.workspace);
      if (!ref.ok) throw new UsageError(ref.error);
      const parsed = parseAgentCommand(argvToCommandText(words));
      if (!parsed.ok) throw new UsageError(parsed.error);
      const { config } = setup();
      const [
        { migrateDatabase },
        { openDatabase },
        { runAgentCommand },
        { renderReplyAsText },
        { osUserName },
      ] = await Promise.all([
        import('./store/migrate.ts'),
        import('./store/database.ts'),
        import('./commands/handlers.ts'),
        import('./commands/render-text.ts'),
        import('./adapters/shell/os-user.ts'),
      ]);
      await migrateDatabase(config.databaseUrl);
      const database = await openDatabase(config.databaseUrl);
      try {
        const operator = osUserName('operator');
        const reply = await runAgentCommand(
          { db: database.db, config },
          {
            platform: ref.value.platform,
            workspaceExternalId: ref.value.externalId,
            ...(options.channel && { channelId: options.channel }),
            isDirect: false,
            actor: { platformUserId: `cli:${operator}`, displayName: operator, isPlatformAdmin: true },
          },
          parsed.command,
        );
        const text = renderReplyAsText(reply);
        if (!reply.ok) throw new UsageError(text);
        console.log(text);
      } finally {
        await database.close();
      }
    });
}
