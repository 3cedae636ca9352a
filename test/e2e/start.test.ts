import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { waitFor } from '../support/wait-for.ts';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'agent-bridge.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'ab-start-'));
  dirs.push(cwd);
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, cwd, exited, output: () => output };
}

describe('agent-bridge start', () => {
  it('with nothing configured: creates the SQLite database, answers /healthz and /readyz, says how to connect Slack and Discord, and stops on SIGTERM', async () => {
    const port = await freePort();
    const app = run(['start'], { PORT: String(port) });
    const ready = await waitFor(
      '/readyz 200',
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
      30_000,
    );
    expect(ready).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/agent_bridge_queue_jobs\{queue="replies",state="waiting"\} 0/);
    // Migrated in the folder start ran from, not the project's.
    const db = new Database(join(app.cwd, 'data', 'agent-bridge.db'), { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    db.close();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['agents', 'messages', 'jobs']));
    expect(app.output()).toContain('SLACK_BOT_TOKEN');
    expect(app.output()).toContain('DISCORD_BOT_TOKEN');

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('agent-bridge stopped');
  });

  it('with REDIS_URL on a closed port: exits non-zero within 5 s naming REDIS_URL and how to start Redis', async () => {
    const port = await freePort();
    const started = Date.now();
    const app = run(['start'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    const code = await app.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(app.output()).toContain('REDIS_URL');
    expect(app.output()).toMatch(/docker compose up -d redis|redis-server/);
  });

  it('with PostgreSQL unreachable: exits non-zero naming DATABASE_URL, without printing the password', async () => {
    const port = await freePort();
    const app = run(['start'], {
      DATABASE_URL: `postgresql://bob:${TEST_SECRETS.databasePassword}@127.0.0.1:${port}/db`,
    });
    expect(await app.exited).not.toBe(0);
    expect(app.output()).toContain('DATABASE_URL');
    expect(app.output()).not.toContain(TEST_SECRETS.databasePassword);
  });

  it('with a bad setting: exits 2 with one line naming the variable and an example', async () => {
    const app = run(['start'], { DEBOUNCE_MS: 'soon' });
    expect(await app.exited).toBe(2);
    const lines = app.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DEBOUNCE_MS.*example: DEBOUNCE_MS=\d+/);
  });

  it('with HOST=0.0.0.0 and no ADMIN_TOKEN: exits non-zero with one line saying how to fix it, serving nothing', async () => {
    const port = await freePort();
    const app = run(['start'], { HOST: '0.0.0.0', PORT: String(port) });
    expect(await app.exited).not.toBe(0);
    const lines = app.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ADMIN_TOKEN.*openssl rand -base64 32.*HOST=127\.0\.0\.1/);
  });
});
