/**
 * `agent-bridge` command line: start | migrate | chat | agents … | slack … | discord …
 * Errors a user can fix print one line (no stack) and exit non-zero.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { osUserName, runChat } from './adapters/shell/chat.ts';
import { type Role, StartupError, startApp } from './app.ts';
import { parseAgentCreate, parseWorkspaceRef } from './commands/agent-args.ts';
import { type Config, ConfigError, configSecrets, loadConfig } from './config.ts';
import { effectiveSystemPrompt } from './core/system-prompt.ts';
import { createLogger, type Logger } from './logger.ts';
import * as agentStore from './store/agents.ts';
import { type Db, openDatabase } from './store/database.ts';
import { ensureWorkspace } from './store/identities.ts';
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
  const known = [ConfigError, StartupError, MigrationError, UsageError, agentStore.AgentNameTakenError];
  if (error instanceof Error && known.some((type) => error instanceof type)) {
    console.error(`agent-bridge: ${error.message}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  console.error(error);
  process.exit(1);
}

/** Input the user can fix: one line, exit 1. */
class UsageError extends Error {}

const CREATE_HINT = 'agent-bridge agents create NAME role="..."';
const WORKSPACE_OPTION = [
  '--workspace <platform:id>',
  'whose agents: shell:local, a Slack team (slack:T123) or a Discord guild (discord:456)',
  'shell:local',
] as const;

interface AgentStore {
  db: Db;
  config: Config;
  workspaceId: string;
  label: string;
}

/** Agent management needs only the database (migrated first): no Redis, no platforms. */
async function withAgentStore(workspace: string, run: (store: AgentStore) => Promise<void>): Promise<void> {
  const ref = parseWorkspaceRef(workspace);
  if (!ref.ok) throw new UsageError(ref.error);
  const { config } = setup();
  await migrateDatabase(config.databaseUrl);
  const database = await openDatabase(config.databaseUrl);
  try {
    const { db } = database;
    const { platform, externalId } = ref.value;
    const { id } = await ensureWorkspace(db, platform, externalId);
    await run({ db, config, workspaceId: id, label: `${platform}:${externalId}` });
  } finally {
    await database.close();
  }
}

async function findAgentOrFail(store: AgentStore, name: string) {
  const agent = await agentStore.findAgentByName(store.db, store.workspaceId, name);
  if (agent?.isActive) return agent;
  const names = (await agentStore.listAgents(store.db, store.workspaceId)).map((a) => a.name);
  throw new UsageError(`no agent named ${name} in ${store.label}. Agents: ${names.join(', ') || '(none)'}`);
}

function modelOf(modelConfig: unknown, config: Config): string {
  const model = (modelConfig as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : `${config.defaultModel} (default)`;
}

const cliActor = (): agentStore.Actor => ({ label: `cli:${osUserName('unknown')}` });

function addAgentCommands(program: Command): void {
  const agents = program.command('agents').description('manage agents from the command line (database only)');

  agents
    .command('create <name> [settings...]')
    .description('create an agent; settings: role=… goal=… backstory=… prompt=… model=… avatar=…')
    .option(...WORKSPACE_OPTION)
    .action(async (name: string, settings: string[], options: { workspace: string }) => {
      const parsed = parseAgentCreate([name, ...settings]);
      if (!parsed.ok) throw new UsageError(parsed.error);
      await withAgentStore(options.workspace, async (store) => {
        const agent = await agentStore.createAgent(
          store.db,
          { workspaceId: store.workspaceId, name: parsed.value.name, ...parsed.value.settings },
          cliActor(),
        );
        const model = modelOf(agent.modelConfig, store.config);
        const next = store.label === 'shell:local' ? ` Try it: agent-bridge chat --agent ${agent.name}` : '';
        console.log(`Created ${agent.name} in ${store.label} (model ${model}).${next}`);
      });
    });

  agents
    .command('list')
    .description('list the agents of a workspace')
    .option(...WORKSPACE_OPTION)
    .action(async (options: { workspace: string }) => {
      await withAgentStore(options.workspace, async (store) => {
        const rows = await agentStore.listAgents(store.db, store.workspaceId);
        if (rows.length === 0) console.log(`No agents in ${store.label}. Create one with: ${CREATE_HINT}`);
        const width = Math.max(0, ...rows.map((a) => a.name.length));
        for (const a of rows) {
          const model = modelOf(a.modelConfig, store.config);
          console.log(`${a.name.padEnd(width)}  ${a.role || '-'}  [${model}, ${statusOf(a.status)}]`);
        }
      });
    });

  agents
    .command('show <name>')
    .description("an agent's settings, effective system prompt, creator and channels")
    .option(...WORKSPACE_OPTION)
    .action(async (name: string, options: { workspace: string }) => {
      await withAgentStore(options.workspace, async (store) => {
        const agent = await findAgentOrFail(store, name);
        const trail = await agentStore.auditTrail(store.db, agent.id);
        const creator = trail.find((entry) => entry.action === 'create')?.actorLabel ?? 'unknown';
        const channels = await store.db.channelAgent.findMany({ where: { agentId: agent.id } });
        const fields: Array<[string, string]> = [
          ['workspace', store.label],
          ['role', agent.role || '-'],
          ['goal', agent.goal || '-'],
          ['backstory', agent.backstory || '-'],
          ['prompt', agent.systemPrompt ?? '(generated from role, goal and backstory)'],
          ['model', modelOf(agent.modelConfig, store.config)],
          ['avatar', agent.avatarUrl ?? '-'],
          ['status', statusOf(agent.status)],
          ['created', `${agent.createdAt.toISOString()} by ${creator}`],
          ['channels', channels.map((c) => `${c.platform}:${c.channelId}`).join(', ') || '-'],
          ['replies', String(agent.totalResponses)],
        ];
        console.log(agent.name);
        for (const [label, value] of fields) console.log(`  ${`${label}:`.padEnd(11)}${indent(value, 13)}`);
        console.log('System prompt:');
        console.log(`  ${indent(effectiveSystemPrompt(agent), 2)}`);
      });
    });

  agents
    .command('delete <name>')
    .description('delete an agent (its messages are kept; the name becomes free)')
    .option(...WORKSPACE_OPTION)
    .action(async (name: string, options: { workspace: string }) => {
      await withAgentStore(options.workspace, async (store) => {
        const agent = await findAgentOrFail(store, name);
        await agentStore.deleteAgent(store.db, agent.id, cliActor());
        console.log(`Deleted ${agent.name} from ${store.label} (its messages are kept).`);
      });
    });
}

const statusOf = (status: string) => (status === 'inactive' ? 'paused' : status);

const indent = (text: string, by: number) => text.split('\n').join(`\n${' '.repeat(by)}`);
