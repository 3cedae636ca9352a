/**
 * `agent-bridge providers …` and `secrets rotate` as an operator runs them: the key goes in on stdin
 * (never argv), comes out only as its last 4 characters, `test` reports latency against the fake
 * Anthropic, and rotation across two keys keeps every record readable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic-server.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'agent-bridge.js');
const KEY = TEST_SECRETS.anthropicApiKey;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('agent-bridge providers (CLI)', () => {
  let dir: string;
  let anthropic: FakeAnthropic;
  const env = () => ({
    DATABASE_URL: `file:${join(dir, 'ab.db')}`,
    AGENT_BRIDGE_QUEUE_PREFIX: 'abprovcli',
    AGENT_BRIDGE_SECRET_KEY: TEST_SECRETS.secretKey,
    LOG_LEVEL: 'warn',
  });

  function run(args: string[], extraEnv: Record<string, string> = {}, stdin = ''): Promise<Run> {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env(), ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(stdin);
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ab-providers-'));
    anthropic = await startFakeAnthropic({ apiKey: KEY });
  });
  afterAll(async () => {
    await anthropic?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds from stdin, shows only the last 4, tests, refuses removal in use, rotates', async () => {
    const noKey = await run(
      ['providers', 'add', 'team-claude', '--kind', 'anthropic'],
      { AGENT_BRIDGE_SECRET_KEY: '' },
      KEY,
    );
    expect(noKey.code).toBe(1);
    expect(noKey.stderr.trim()).toBe(
      'agent-bridge: cannot store a key: set AGENT_BRIDGE_SECRET_KEY to 32 random bytes in base64, e.g. AGENT_BRIDGE_SECRET_KEY="$(openssl rand -base64 32)"',
    );

    const added = await run(
      [
        'providers',
        'add',
        'team-claude',
        '--kind',
        'anthropic',
        '--base-url',
        anthropic.baseURL,
        '--workspace',
        'slack:T1',
      ],
      {},
      `${KEY}\n`,
    );
    expect(added.stderr).not.toContain(KEY);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Key: …${KEY.slice(-4)}`);

    const listed = await run(['providers', 'list']);
    expect(listed.stdout).toContain('team-claude\tanthropic');
    const tested = await run(['providers', 'test', 'team-claude', '--workspace', 'slack:T1']);
    expect(tested.stdout).toMatch(/^team-claude:claude-sonnet-4-5 answered in \d+ ms$/m);
    expect(anthropic.requests.at(-1)?.apiKey).toBe(KEY);

    await run(['agents', 'create', 'Aria', 'model=team-claude:claude-x', '--workspace', 'slack:T1']);
    const refused = await run(['providers', 'remove', 'team-claude', '--workspace', 'slack:T1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('team-claude is in use by Aria');

    const rotated = await run(['secrets', 'rotate'], {
      AGENT_BRIDGE_SECRET_KEY: TEST_SECRETS.nextSecretKey,
      AGENT_BRIDGE_PREVIOUS_SECRET_KEYS: TEST_SECRETS.secretKey,
    });
    expect(rotated.stdout).toMatch(
      /^re-encrypted 1 provider key\(s\) under secret key id [0-9a-f]{8}; 0 already were$/m,
    );
    const oldKeyOnly = await run(['providers', 'test', 'team-claude', '--workspace', 'slack:T1']);
    expect(oldKeyOnly.code).toBe(1);
    expect(oldKeyOnly.stderr).toMatch(
      /is encrypted under secret key id [0-9a-f]{8}, which this process does not have/,
    );
    const newKeyOnly = await run(['providers', 'test', 'team-claude', '--workspace', 'slack:T1'], {
      AGENT_BRIDGE_SECRET_KEY: TEST_SECRETS.nextSecretKey,
    });
    expect(newKeyOnly.code).toBe(0);

    const refusedKey = await run(
      [
        'providers',
        'add',
        'revoked',
        '--kind',
        'anthropic',
        '--base-url',
        anthropic.baseURL,
        '--key-env',
        'REVOKED',
      ],
      { REVOKED: TEST_SECRETS.revokedProviderKey },
    );
    expect(refusedKey.code).toBe(0);
    const failed = await run(['providers', 'test', 'revoked']);
    expect(failed.stderr.trim()).toBe(
      'agent-bridge: revoked:claude-sonnet-4-5: the provider refused the key: model provider answered HTTP 401: invalid x-api-key',
    );
    for (const output of [added, listed, tested, refused, rotated, failed].flatMap((r) => [
      r.stdout,
      r.stderr,
    ])) {
      expect(output).not.toContain(KEY);
      expect(output).not.toContain(TEST_SECRETS.revokedProviderKey);
    }
  }, 120_000);
});
