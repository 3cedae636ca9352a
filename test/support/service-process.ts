/**
 * agent-bridge as a user runs it: `node bin/agent-bridge.js <args>` as a child process (for
 * `start`, with the Node flags of package.json's `start` script, so it is what `npm start` runs), in its own working folder, with only the environment it is given (plus PATH
 * and HOME). Output goes to a log file in that folder and the last lines are kept for error
 * messages. Every wait is bounded; kill() and stop() act on this child's pid only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { childLogEnv, testLogFile } from './test-log.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'agent-bridge.js');

/** The Node flags `npm start` passes (the heap cap), read from package.json's `start` script. */
export const START_NODE_FLAGS = startScriptFlags();

function startScriptFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const match = /^node((?: --\S+)*) bin\/agent-bridge\.js start$/.exec(pkg.scripts.start);
  if (!match)
    throw new Error(
      `package.json "start" is not \`node [flags] bin/agent-bridge.js start\`: ${pkg.scripts.start}`,
    );
  return match[1]?.trim().split(' ').filter(Boolean) ?? [];
}

export interface CliResult {
  code: number | null;
  output: string;
}

/** Runs a short CLI command (e.g. `agents create`) to completion, bounded by `timeoutMs`. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 60_000,
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const copy = runLogCopy(`cli-${args[0] ?? 'none'}`, child.pid);
  child.stdout?.on('data', (chunk) => {
    output += chunk;
    copy?.write(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
    copy?.write(chunk);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  await new Promise<void>((resolve) => (copy ? copy.end(() => resolve()) : resolve()));
  return { code, output };
}

function baseEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...childLogEnv(env), ...env };
}

/**
 * With the run's log switch on (test-log.ts), a copy of a child's output goes beside the run's log
 * file as `${TEST_LOG_FILE}.<name>-<pid>`, so it outlives the child's temporary folder.
 */
function runLogCopy(name: string, pid: number | undefined): WriteStream | undefined {
  const file = testLogFile();
  return file ? createWriteStream(`${file}.${name}-${pid ?? 'nopid'}`, { flags: 'a' }) : undefined;
}

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private tail: string[] = [];
  private exit: Promise<number | null> = Promise.resolve(null);
  /** How many times this service was started. */
  starts = 0;

  constructor(
    readonly options: {
      env: Record<string, string>;
      cwd: string;
      args?: string[];
      /** Node flags before the script (e.g. --import). */
      nodeArgs?: string[];
      /** The script to run [bin/agent-bridge.js]; `args` follow it. */
      script?: string;
      /** Log file name inside cwd ['service.log']. */
      logName?: string;
    },
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get baseUrl(): string {
    return `http://${this.options.env.HOST ?? '127.0.0.1'}:${this.options.env.PORT}`;
  }

  get logPath(): string {
    return join(this.options.cwd, this.options.logName ?? 'service.log');
  }

  /** The last lines the service printed (for error messages). */
  output(lines = 30): string {
    return this.tail.slice(-lines).join('\n');
  }

  start(): void {
    if (this.running) throw new Error('service already running');
    this.starts += 1;
    this.log ??= createWriteStream(this.logPath, { flags: 'a' });
    this.log.write(`--- start #${this.starts} ---\n`);
    const args = this.options.args ?? ['start'];
    const asNpmStart = this.options.script === undefined && args[0] === 'start';
    const child = spawn(
      process.execPath,
      [
        ...(asNpmStart ? START_NODE_FLAGS : []),
        ...(this.options.nodeArgs ?? []),
        this.options.script ?? CLI,
        ...args,
      ],
      { cwd: this.options.cwd, env: baseEnv(this.options.env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const copy = runLogCopy(basename(this.options.logName ?? 'service.log', '.log'), child.pid);
    child.once('close', () => copy?.end());
    // If this process exits without stopping the service (a crashed test worker), take it along.
    const orphanGuard = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', orphanGuard);
    child.once('exit', () => process.off('exit', orphanGuard));
    const collect = (chunk: Buffer): void => {
      this.log?.write(chunk);
      copy?.write(chunk);
      const lines = chunk.toString('utf8').split('\n').filter(Boolean);
      this.tail.push(...lines);
      if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Waits until GET /healthz and then /readyz answer 200; fails early if the process exits. */
  async waitReady(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (const path of ['/healthz', '/readyz']) {
      for (;;) {
        if (!this.running) {
          throw new Error(`service exited (code ${this.child?.exitCode}) before ${path}:\n${this.output()}`);
        }
        const status = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(1000) })
          .then((r) => r.status)
          .catch(() => 0);
        if (status === 200) break;
        if (Date.now() > deadline) {
          throw new Error(`service not ready within ${timeoutMs} ms (${path}: ${status}):\n${this.output()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return Date.now() - started;
  }

  /** SIGKILL this child and wait for it to be gone. */
  async kill(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Returns the exit code (null when killed). */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.child || !this.running) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }

  /** Synchronous last resort (process 'exit' handlers): SIGKILL if still running. */
  killSync(): void {
    if (this.child && this.running) this.child.kill('SIGKILL');
  }

  async close(graceMs = 5000): Promise<void> {
    await this.stop(graceMs);
    await new Promise<void>((resolve) => (this.log ? this.log.end(() => resolve()) : resolve()));
    this.log = undefined;
  }
}
