/**
 * The newcomer's path, through the real CLI: create an agent, chat with it through a pipe, manage
 * agents. Real Redis and SQLite; a queue prefix of its own so parallel test files never collide.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/infra/redis.ts';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'agent-bridge.js');
const prefix = `abchat${process.pid}${Date.now().toString(36)}`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Each CLI run migrates the database first; on a loaded machine that alone can take seconds. */
const SLOW = 180_000;
const RUN_LIMIT_MS = 80_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ab-chat-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const redis = createRedis(redisUrl);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function cliRun(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: `file:${join(dir, 'ab.db')}`,
      REDIS_URL: redisUrl,
      DEBOUNCE_MS: '50',
      AGENT_BRIDGE_QUEUE_PREFIX: prefix,
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(options.input ?? '');
  // A hung run fails its assertions with its output instead of timing the test out silently.
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const output = (run: Run) => `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('agent-bridge agents + chat', () => {
  it('agents create Aria role=… exits 0', { timeout: SLOW }, async () => {
    const run = await cliRun(['agents', 'create', 'Aria', 'role=Friendly TypeScript mentor']);
    expect(run.stderr).toBe('');
    expect(run.code, output(run)).toBe(0);
    expect(run.stdout).toContain('Created Aria');
  });

  it('a second Aria (any case) and unknown keys are refused with one clear line', {
    timeout: SLOW,
  }, async () => {
    const [twice, badKey] = await Promise.all([
      cliRun(['agents', 'create', 'aria']),
      cliRun(['agents', 'create', 'Nova', 'colour=blue']),
    ]);
    expect(twice.code, output(twice)).toBe(1);
    expect(lines(twice.stderr)).toEqual([
      expect.stringMatching(/already an agent named Aria here.*pick another name/),
    ]);
    expect(badKey.code, output(badKey)).toBe(1);
    expect(lines(badKey.stderr)).toEqual([expect.stringMatching(/Unknown key "colour": use role, goal/)]);
  });

  it('a piped line gets the agent reply on stdout, nothing else, and exits 0', {
    timeout: SLOW,
  }, async () => {
    const run = await cliRun(['chat', '--agent', 'Aria', '--as', 'tester'], { input: 'hello there\n' });
    expect(run.code, output(run)).toBe(0);
    const out = lines(run.stdout);
    expect(out[0]).toMatch(/^Aria: \[offline echo\] .*hello there/);
    // Continuation lines of the reply are indented under its text: nothing but the conversation.
    for (const line of out.slice(1)) expect(line).toMatch(/^ {6}\S/);
  });

  it('a burst of lines within DEBOUNCE_MS gets exactly one reply, to the last line', {
    timeout: SLOW,
  }, async () => {
    const run = await cliRun(['chat', '--agent', 'Aria', '--as', 'burst'], {
      input: 'first line\nsecond line\nthird line\n',
      env: { DEBOUNCE_MS: '500' },
    });
    expect(run.code, output(run)).toBe(0);
    const replies = lines(run.stdout).filter((line) => line.startsWith('Aria:'));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('third line');
  });

  it('an unknown --agent exits 1 naming the agents there are', { timeout: SLOW }, async () => {
    const run = await cliRun(['chat', '--agent', 'Nobody'], { input: 'hi\n' });
    expect(run.code, output(run)).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('No agent named Nobody. Agents: Aria.');
    expect(run.stderr).toContain('agent-bridge agents create Nobody');
  });

  it('agents list and agents show (case-insensitive)', { timeout: SLOW }, async () => {
    const [list, show] = await Promise.all([cliRun(['agents', 'list']), cliRun(['agents', 'show', 'aria'])]);
    expect(list.code, output(list)).toBe(0);
    expect(list.stdout).toMatch(/^\s*Aria\s+active\s+.*Friendly TypeScript mentor$/m);
    expect(show.code, output(show)).toBe(0);
    expect(show.stdout).toMatch(/Role:\s+Friendly TypeScript mentor/);
    expect(show.stdout).toMatch(/Created by \S+ on \d{4}-\d{2}-\d{2}/);
    expect(show.stdout).toContain('You are Aria, Friendly TypeScript mentor.');
  });

  it('with two agents and no --agent, a new DM gets the help notice listing both', {
    timeout: SLOW,
  }, async () => {
    const created = await cliRun(['agents', 'create', 'Nova', 'role=Release manager', 'model=offline:echo']);
    expect(created.code, output(created)).toBe(0);
    const run = await cliRun(['chat', '--as', 'newcomer'], { input: 'hi\n' });
    expect(run.code, output(run)).toBe(0);
    const notices = lines(run.stdout).filter((line) => line.startsWith('agent-bridge: '));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('Aria');
    expect(notices[0]).toContain('Nova');
  });

  it('agents delete Aria: gone from the list, chatting with it fails', { timeout: SLOW }, async () => {
    const deleted = await cliRun(['agents', 'delete', 'Aria']);
    expect(deleted.code, output(deleted)).toBe(0);
    const [list, chat] = await Promise.all([
      cliRun(['agents', 'list']),
      cliRun(['chat', '--agent', 'Aria'], { input: 'hi\n' }),
    ]);
    expect(list.stdout).not.toContain('Aria');
    expect(list.stdout).toContain('Nova');
    expect(chat.code, output(chat)).toBe(1);
  });

  it('agents for a Slack team live apart from the shell ones', { timeout: SLOW }, async () => {
    const created = await cliRun(['agents', 'create', 'Scout', '--workspace', 'slack:T0123']);
    expect(created.code, output(created)).toBe(0);
    const [slack, shell] = await Promise.all([
      cliRun(['agents', 'list', '--workspace', 'slack:T0123']),
      cliRun(['agents', 'list']),
    ]);
    expect(slack.stdout).toMatch(/^\s*Scout\s/m);
    expect(shell.stdout).not.toContain('Scout');
  });
});
