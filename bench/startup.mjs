#!/usr/bin/env node
// Start-up benchmark: how long from spawning `agent-bridge start` until GET /healthz answers 200,
// and the started process's peak RSS at that moment. Plain JavaScript, so it measures the CLI as a
// user runs it (whatever bin/agent-bridge.js loads) and adds no TypeScript loader of its own.
//
//   node bench/startup.mjs [--runs N] [--dir DIR] [--keep]
//
// DIR (default: a new temporary folder) is the working directory of the started process; its
// ./data/agent-bridge.db is migrated before the timed runs when it does not exist yet (not timed),
// so each run sees a migrated SQLite database and nothing else configured (Redis at its default address must be up).
// Each run prints `healthz_ms=… cpu_s=… rss_mb=…` (the started process's CPU time and peak RSS when
// /healthz first answered); the last line gives the medians. Whole-process figures
// of a single run (wall time including this script's own start and the kill, peak memory):
//   /usr/bin/time -v node bench/startup.mjs --runs 1 --dir /tmp/ab-bench
//   hyperfine --warmup 1 'node bench/startup.mjs --runs 1 --dir /tmp/ab-bench'
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'agent-bridge.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(option('--runs', '5'));
const given = option('--dir', undefined);
const dir = given ?? mkdtempSync(join(tmpdir(), 'ab-startup-'));
mkdirSync(dir, { recursive: true });
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' };

if (!existsSync(join(dir, 'data', 'agent-bridge.db'))) {
  const migrated = spawnSync(process.execPath, [cli, 'migrate'], { cwd: dir, env, encoding: 'utf8' });
  if (migrated.status !== 0) {
    console.error(migrated.stdout, migrated.stderr);
    process.exit(1);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds the process has used so far, its reaped children included (the Prisma CLI that
 * start may spawn): utime + stime + cutime + cstime from /proc/<pid>/stat, in clock ticks (Linux).
 */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, at) => sum + Number(fields[at]), 0);
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

/** GET /healthz on loopback: true on 200. node:http, not fetch: polling must cost the machine little. */
function healthy(port) {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
  });
}

/** VmHWM: the peak resident set of a live process (Linux). */
function peakRssMb(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return line ? Number(line[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function once() {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'start'], {
    cwd: dir,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`start exited before /healthz answered:\n${stderr}`);
    if (performance.now() - started > 60_000) throw new Error('no /healthz within 60 s');
    if (await healthy(port)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const ms = performance.now() - started;
  const rss = peakRssMb(child.pid);
  const cpu = cpuSeconds(child.pid);
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await gone;
  return { ms, rss, cpu };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const result = await once();
    results.push(result);
    console.log(
      `healthz_ms=${result.ms.toFixed(0)} cpu_s=${result.cpu.toFixed(2)} rss_mb=${result.rss.toFixed(0)}`,
    );
  }
  const mid = (key) => median(results.map((r) => r[key]));
  console.log(
    `median over ${runs}: healthz_ms=${mid('ms').toFixed(0)} cpu_s=${mid('cpu').toFixed(2)} rss_mb=${mid('rss').toFixed(0)}`,
  );
} finally {
  if (!given && !args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}
