/**
 * `agent-bridge providers add|list|show|remove|test` and `agent-bridge secrets rotate`. A key is
 * never taken from argv (it would show in `ps` and shell history): it is read from stdin (typed
 * without echo on a terminal) or from the environment variable `--key-env` names.
 */
import type { Command } from 'commander';
import { UsageError } from './cli-errors.ts';
import type { Config } from './config.ts';

interface ScopeOption {
  workspace: string;
}

const SCOPE_HELP = 'whose provider: global (every workspace), or slack:T123, discord:456, shell:local';

export function addProviderCommands(program: Command, setup: () => { config: Config }): void {
  const providers = program
    .command('providers')
    .description('model providers with their own keys: add | list | show | remove | test');

  providers
    .command('add')
    .description('add a provider; the key is read from stdin or from the variable --key-env names')
    .argument('<name>', 'what agents write before the colon: model=<name>:<model>')
    .requiredOption('--kind <kind>', 'google | openai | anthropic | openai-compatible')
    .option('--workspace <scope>', SCOPE_HELP, 'global')
    .option('--base-url <url>', "the API base URL [the kind's public endpoint]")
    .option('--model <id>', 'the default model, e.g. claude-sonnet-4-5')
    .option('--key-env <VAR>', 'read the key from this environment variable instead of stdin')
    .option('--no-key', 'no key (an openai-compatible server without auth)')
    .action(
      async (
        name: string,
        options: ScopeOption & {
          kind: string;
          baseUrl?: string;
          model?: string;
          keyEnv?: string;
          key: boolean;
        },
      ) => {
        const { config } = setup();
        const apiKey = options.key ? await readKey(options.keyEnv) : undefined;
        const { checkProviderInput, addProvider, describeProvider } = await import('./providers/manage.ts');
        const keyring = await loadKeyring(config);
        const checked = checkProviderInput(
          { name, kind: options.kind, baseUrl: options.baseUrl, defaultModel: options.model, apiKey },
          keyring,
        );
        if (!checked.ok) throw new UsageError(checked.error);
        await withDatabase(config, async (db) => {
          const { osUserName } = await import('./adapters/shell/os-user.ts');
          const scope = await scopeId(db, options.workspace);
          const added = await addProvider(db, keyring, scope, checked.value, {
            label: `cli:${osUserName('operator')}`,
          });
          if (!added.ok) throw new UsageError(added.error);
          printFields(describeProvider(added.value));
        });
        await announceChange(config);
      },
    );

  providers
    .command('list')
    .description('the providers a workspace can use (its own and the global ones), or every one')
    .option('--workspace <scope>', 'only those a workspace can use: slack:T123, discord:456, shell:local')
    .action(async (options: { workspace?: string }) => {
      const { config } = setup();
      const [{ listProviders }, { keyShown }] = await Promise.all([
        import('./store/providers.ts'),
        import('./providers/manage.ts'),
      ]);
      await withDatabase(config, async (db) => {
        const scope = options.workspace ? await scopeId(db, options.workspace) : undefined;
        const rows = await listProviders(db, scope);
        if (rows.length === 0) {
          console.log('no providers yet: add one with agent-bridge providers add NAME --kind anthropic');
          return;
        }
        for (const row of rows) {
          const where = row.workspaceId === '' ? 'global' : row.workspaceId;
          console.log(
            `${row.name}\t${row.kind}\t${where}\t${row.name}:${row.defaultModel}\tkey ${keyShown(row)}`,
          );
        }
      });
    });

  providers
    .command('show')
    .argument('<name>')
    .option('--workspace <scope>', SCOPE_HELP, 'global')
    .action(async (name: string, options: ScopeOption) => {
      const { config } = setup();
      const { describeProvider } = await import('./providers/manage.ts');
      await withDatabase(config, async (db) => {
        printFields(describeProvider(await findOrFail(db, options.workspace, name)));
      });
    });

  providers
    .command('remove')
    .argument('<name>')
    .option('--workspace <scope>', SCOPE_HELP, 'global')
    .description('remove a provider (refused while agents use it)')
    .action(async (name: string, options: ScopeOption) => {
      const { config } = setup();
      const { removeProvider } = await import('./providers/manage.ts');
      await withDatabase(config, async (db) => {
        const removed = await removeProvider(db, await scopeId(db, options.workspace), name);
        if (!removed.ok) throw new UsageError(removed.error);
        console.log(`removed ${removed.value.name}`);
      });
      await announceChange(config);
    });

  providers
    .command('test')
    .argument('<name>')
    .option('--workspace <scope>', SCOPE_HELP, 'global')
    .option('--model <id>', "the model to call [the provider's default model]")
    .description("make one tiny call and report the latency, or the provider's error")
    .action(async (name: string, options: ScopeOption & { model?: string }) => {
      const { config } = setup();
      const [{ createProviderResolver }, { probeModel }] = await Promise.all([
        import('./worker/providers/resolver.ts'),
        import('./providers/probe.ts'),
      ]);
      const keyring = await loadKeyring(config);
      const outcome = await withDatabase(config, async (db) => {
        const row = await findOrFail(db, options.workspace, name);
        const resolver = createProviderResolver(db, keyring, { find: async () => row });
        const model = await resolver.model(row.workspaceId, row.name, options.model ?? row.defaultModel);
        return { row, result: await probeModel(model) };
      });
      const label = `${outcome.row.name}:${options.model ?? outcome.row.defaultModel}`;
      if (!outcome.result.ok) throw new UsageError(`${label}: ${outcome.result.error}`);
      console.log(`${label} answered in ${outcome.result.latencyMs} ms`);
    });

  program
    .command('secrets')
    .description('provider key encryption: rotate')
    .command('rotate')
    .description(
      're-encrypt every provider key under AGENT_BRIDGE_SECRET_KEY (keep the old key in AGENT_BRIDGE_PREVIOUS_SECRET_KEYS until it is done)',
    )
    .action(async () => {
      const { config } = setup();
      const { rotateProviderKeys } = await import('./providers/rotate.ts');
      const keyring = await loadKeyring(config);
      const result = await withDatabase(config, (db) => rotateProviderKeys(db, keyring));
      console.log(
        `re-encrypted ${result.resealed} provider key(s) under secret key id ${result.keyId}; ${result.current} already were`,
      );
      if (result.failed.length > 0) throw new UsageError(result.failed.join('\n'));
    });
}

async function loadKeyring(config: Config) {
  const { keyringOf } = await import('./providers/keyring.ts');
  return keyringOf(config);
}

type Db = import('./store/database.ts').Db;

async function withDatabase<T>(config: Config, work: (db: Db) => Promise<T>): Promise<T> {
  const [{ migrateDatabase }, { openDatabase }] = await Promise.all([
    import('./store/migrate.ts'),
    import('./store/database.ts'),
  ]);
  await migrateDatabase(config.databaseUrl);
  const database = await openDatabase(config.databaseUrl);
  try {
    return await work(database.db);
  } finally {
    await database.close();
  }
}

/** `global` → "", `slack:T123` → that workspace's id (made if new). */
async function scopeId(db: Db, raw: string): Promise<string> {
  if (raw.trim().toLowerCase() === 'global') return '';
  const [{ parseWorkspaceRef }, { ensureWorkspace }] = await Promise.all([
    import('./commands/agent-args.ts'),
    import('./store/identities.ts'),
  ]);
  const ref = parseWorkspaceRef(raw);
  if (!ref.ok) throw new UsageError(`${ref.error}, or global`);
  return (await ensureWorkspace(db, ref.value.platform, ref.value.externalId)).id;
}

async function findOrFail(db: Db, scope: string, name: string) {
  const { findProviderIn } = await import('./store/providers.ts');
  const row = await findProviderIn(db, await scopeId(db, scope), name);
  if (!row) throw new UsageError(`no provider named ${name} (${scope}): see agent-bridge providers list`);
  return row;
}

function printFields(fields: Array<{ label: string; value: string }>): void {
  for (const { label, value } of fields) console.log(`${label}: ${value}`);
}

/** From the named variable, else stdin: piped whole, or typed on a terminal without echo. */
async function readKey(keyEnv: string | undefined): Promise<string> {
  if (keyEnv) {
    const value = process.env[keyEnv]?.trim();
    if (!value) throw new UsageError(`--key-env ${keyEnv}: that environment variable is empty or unset`);
    return value;
  }
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const value = Buffer.concat(chunks).toString('utf8').trim();
    if (!value) throw new UsageError('no key on stdin: pipe it in, or use --key-env VAR (or --no-key)');
    return value;
  }
  return readHidden('API key (not shown): ');
}

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(prompt);
    input.setRawMode(true);
    input.resume();
    let value = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value.trim());
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new UsageError('cancelled'));
        if (char === '\u007f') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

/** Tells running services to forget cached provider records now (else they do within a minute). */
async function announceChange(config: Config): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const { redisKeys } = await import('./jobs/keys.ts');
    await redis.publish(redisKeys(config.queuePrefix).directoryChanges, 'changed');
  } catch {
    console.error('note: Redis is not reachable: running services see this change within a minute');
  } finally {
    redis.disconnect();
  }
}
