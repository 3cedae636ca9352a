/**
 * `npm run bench:slack`: the Slack DM path measured from outside, the way Slack and a user see it.
 *
 *   npm run bench:slack -- [--rates 50,100,200,300,400,500,600] [--seconds 10] [--postgres]
 *     [--json FILE] [--skip-baseline] [--skip-service] [--continue] [--drain-ms 5000]
 *     [--baseline-rates LIST] [--redis-db auto|shared|N] [--keep-logs] [--cpu-prof DIR]
 *
 * The service runs as `npm start` does (`node --max-old-space-size=1024 bin/agent-bridge.js start`) in a temp folder with
 * a fresh SQLite file (or, with --postgres, a fresh PostgreSQL database, dropped afterwards), an
 * instant model (offline:echo), DEBOUNCE_MS=50 and one agent made with `agents create`. This process
 * plays Slack: it posts signed DMs, each in its own DM channel, to POST /slack/events at fixed rates
 * (open loop), and serves a lean fake Slack Web API that records the agent's posts. Per step: send
 * and ack rates and latencies, replies and reply latency (send -> the fake receives the post),
 * missing and doubled replies, the service's peak RSS and CPU, this harness's CPU. A step passes
 * when every message is acked (2xx within 3 s), every acked message gets exactly one reply and
 * reply p99 <= DEBOUNCE_MS + 500 ms. Steps run in increasing order and stop at the first failure
 * (--continue goes on). The same steps then measure bench/raw-slack-baseline.ts (raw BullMQ).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LeanSlackApi, startLeanSlackApi } from '../test/fakes/slack-web-lean.ts';
import buildIfStale from '../test/setup/build.ts';
import { freePort } from '../test/support/free-port.ts';
import { openRedisScope, type RedisScope } from '../test/support/redis-scope.ts';
import { ServiceProcess } from '../test/support/service-process.ts';
import { bounded, RunGuard, runMain } from './run-guard.ts';
import { prepareService } from './service-setup.ts';
import { figureLines, stepTable, type TargetRun } from './slack-report.ts';
import { countDoubled, judge, runStep, type StepResult, waitForBacklog } from './slack-steps.ts';
import { runMeta } from './support.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const text = (name: string) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
};
const numbers = (value: string) =>
  value.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isFinite(n) || n <= 0) throw new Error(`bad rate "${part}": expected e.g. 50,100,200`);
    return n;
  });

const RATES = numbers(text('rates') ?? '50,100,200,300,400,500,600').sort((a, b) => a - b);
const BASELINE_RATES = text('baseline-rates') ? numbers(text('baseline-rates') as string) : RATES;
const SECONDS = Number(text('seconds') ?? 10);
const DRAIN_MS = Number(text('drain-ms') ?? 5000);
const DEBOUNCE_MS = 50;
const REPLY_BUDGET_MS = DEBOUNCE_MS + 500;
const POSTGRES = flag('postgres');
const CONTINUE = flag('continue');
const JSON_FILE = text('json');
const REDIS_BASE = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_DB_OPTION = text('redis-db') ?? 'auto';
const REDIS_DB =
  REDIS_DB_OPTION === 'auto' || REDIS_DB_OPTION === 'shared' ? REDIS_DB_OPTION : Number(REDIS_DB_OPTION);
/** Warm-up before the first step: 3 s at 20 msg/s (or the first step's rate, if lower). */
const WARMUP = { rate: Math.min(20, RATES[0] ?? 20), seconds: 3 };
const CPU_PROFILE_DIR = text('cpu-prof');
const SECRET = `bench-signing-secret-${randomBytes(6).toString('hex')}`;
const RUN = `${Date.now().toString(36).slice(-4)}${randomBytes(2).toString('hex')}`.toUpperCase();
if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error('--seconds needs a positive number');

const log = (line: string) => console.log(line);
const guard = new RunGuard();
const stepBudgetMs = (seconds: number) => seconds * 1000 + 3000 + DRAIN_MS + 20_000;
// The whole run: per target start-up (<= 150 s) and a warm-up backlog wait (<= 60 s), each step's
// budget, and with --continue a backlog wait (<= 60 s) after each failing step.
guard.arm(
  2 * (150_000 + 60_000) +
    (RATES.length + BASELINE_RATES.length + 2) * stepBudgetMs(SECONDS) +
    (CONTINUE ? 60_000 * (RATES.length + BASELINE_RATES.length) : 0),
);

interface Started {
  baseUrl: string;
  pid: number;
  scope: RedisScope;
  startupMs: number;
  isRunning(): boolean;
  output(): string;
}

async function startService(slack: LeanSlackApi): Promise<Started> {
  const { dir, scope, env } = await prepareService({
    guard,
    log,
    name: `abbench_${RUN}_svc`,
    postgres: POSTGRES,
    slack,
    signingSecret: SECRET,
    redisBaseUrl: REDIS_BASE,
    redisDb: REDIS_DB,
    keepLogs: flag('keep-logs'),
    env: {
      PORT: String(await freePort()),
      DEFAULT_MODEL: 'offline:echo',
      DEBOUNCE_MS: String(DEBOUNCE_MS),
      AGENT_RATE_LIMIT_PER_MIN: '0',
      AGENT_MAX_CONCURRENT: '1000',
      ...(process.env.STREAM_REPLIES && { STREAM_REPLIES: process.env.STREAM_REPLIES }),
    },
  });
  const service = new ServiceProcess({
    env,
    cwd: dir,
    // The profile is written when the service exits after SIGTERM (end of its steps).
    ...(CPU_PROFILE_DIR && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROFILE_DIR)}`] }),
  });
  guard.add(
    'service process',
    () => service.close(),
    () => service.killSync(),
  );
  service.start();
  const startupMs = await service.waitReady(120_000);
  return started(service, scope, startupMs);
}

async function startBaseline(slack: LeanSlackApi): Promise<Started> {
  const scope = await openRedisScope({ baseUrl: REDIS_BASE, prefix: `abbench_${RUN}_raw`, db: 'shared' });
  guard.add('baseline redis keys', async () =>
    log(`redis: deleted ${await scope.cleanup()} keys of the baseline run`),
  );
  const dir = mkdtempSync(join(tmpdir(), 'ab-bench-raw-'));
  guard.add(
    'baseline folder',
    async () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const port = await freePort();
  const baseline = new ServiceProcess({
    cwd: dir,
    nodeArgs: ['--import', import.meta.resolve('tsx')],
    script: join(import.meta.dirname, 'raw-slack-baseline.ts'),
    args: [],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: scope.url,
      AGENT_BRIDGE_QUEUE_PREFIX: scope.prefix,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      DEBOUNCE_MS: String(DEBOUNCE_MS),
    },
  });
  guard.add(
    'baseline process',
    () => baseline.close(),
    () => baseline.killSync(),
  );
  baseline.start();
  const startupMs = await baseline.waitReady(60_000);
  return started(baseline, scope, startupMs);
}

function started(process: ServiceProcess, scope: RedisScope, startupMs: number): Started {
  return {
    baseUrl: process.baseUrl,
    pid: process.pid as number,
    scope,
    startupMs,
    isRunning: () => process.running,
    output: () => process.output(),
  };
}

async function measure(
  name: 'service' | 'baseline',
  rates: number[],
  slack: LeanSlackApi,
  start: (slack: LeanSlackApi) => Promise<Started>,
): Promise<TargetRun> {
  const run: TargetRun = { name, steps: [] };
  const letter = name === 'service' ? 'S' : 'B';
  const callsBefore = new Map(slack.calls);
  let messages = 0;
  try {
    log(`\n${name}: starting`);
    const target = await start(slack);
    run.startupMs = target.startupMs;
    log(
      `${name}: ready in ${(target.startupMs / 1000).toFixed(1)} s (pid ${target.pid}); warm-up ${WARMUP.rate}/s for ${WARMUP.seconds} s`,
    );
    const stepTarget = {
      name,
      baseUrl: target.baseUrl,
      pid: target.pid,
      secret: SECRET,
      teamId: slack.bot.teamId,
    };
    const settings = { drainMs: DRAIN_MS, replyBudgetMs: REPLY_BUDGET_MS, redis: target.scope.redis };
    const warm = await runStep(stepTarget, slack, { ...settings, ...WARMUP, tag: `${RUN}${letter}W` });
    messages += warm.sent;
    if (!warm.passed) {
      // Its backlog must not count against the first step.
      const cleared = await waitForBacklog(slack, warm, 60_000);
      log(
        `${name}: warm-up did not pass (${warm.why.join(', ')}); ` +
          (cleared
            ? 'its backlog cleared; measuring'
            : 'its backlog did not clear in 60 s; measuring anyway'),
      );
    }
    for (const [index, rate] of rates.entries()) {
      const step = await bounded(
        runStep(stepTarget, slack, { ...settings, rate, seconds: SECONDS, tag: `${RUN}${letter}${index}` }),
        stepBudgetMs(SECONDS),
        `step ${rate}/s`,
      );
      run.steps.push(step);
      messages += step.sent;
      log(stepLine(step));
      if (name === 'service' && run.prefixHonoured === undefined) {
        run.prefixHonoured = await target.scope.prefixHonoured();
        if (run.prefixHonoured === false) {
          log(
            `service: WARNING: it ignored AGENT_BRIDGE_QUEUE_PREFIX (keys under ab:*); isolated in redis db ${target.scope.db}`,
          );
        }
      }
      if (!target.isRunning())
        throw new Error(`${name} exited during the ${rate}/s step:\n${target.output()}`);
      if (!step.passed && !CONTINUE) break;
      if (!step.passed && !(await waitForBacklog(slack, step, 60_000))) {
        log(`${name}: backlog of the ${rate}/s step not cleared in 60 s: later steps start loaded`);
      }
    }
  } catch (error) {
    run.error = (error as Error).message;
    log(`${name}: ${run.error}`);
  }
  run.slackCallsPerMessage = Object.fromEntries(
    [...slack.calls]
      .map(([method, n]) => [method, (n - (callsBefore.get(method) ?? 0)) / Math.max(1, messages)] as const)
      .filter(([, perMessage]) => perMessage > 0),
  );
  log(
    `${name}: Slack Web API calls per message: ${Object.entries(run.slackCallsPerMessage)
      .map(([method, n]) => `${method} ${n.toFixed(2)}`)
      .join(', ')}`,
  );
  return run;
}

function stepLine(s: StepResult): string {
  return (
    `  ${s.target} ${s.rate}/s: sent ${s.sent} (${Math.round(s.achievedRate)}/s, lag max ${Math.round(s.sendLagMaxMs)} ms), ` +
    `acked ${s.acked}, ack p99 ${Math.round(s.ack.p99)} ms, replies ${s.replied}, reply p99 ${Math.round(s.reply.p99)} ms, ` +
    `missing ${s.missing}, doubled ${s.doubled}, RSS ${Math.round(s.rssMaxMb)} MB, CPU ${s.cpuMsPerMessage.toFixed(2)} ms/msg, ` +
    `harness ${s.harnessCpuMsPerMessage.toFixed(2)} ms/msg${s.harnessLimited ? ' (HARNESS LAGGED)' : ''}` +
    `${s.botPosts > 0 ? `, ${s.botPosts} channels got a post as the bot itself (notices?)` : ''}: ` +
    (s.passed ? 'pass' : `FAIL (${s.why.join(', ')})`)
  );
}

async function main(): Promise<number> {
  buildIfStale(); // `start` runs dist/ and refuses a stale one
  const load = loadavg();
  log(
    `bench:slack run ${RUN}: ${cpus().length} cores, load ${load.map((l) => l.toFixed(2)).join(' ')}, ` +
      `${POSTGRES ? 'PostgreSQL' : 'SQLite'}, steps ${RATES.join(',')} msg/s x ${SECONDS} s, drain ${DRAIN_MS} ms`,
  );
  const slack = await startLeanSlackApi({ teamId: `TB${RUN}` });
  guard.add('fake slack', () => slack.close());
  const runs: TargetRun[] = [];
  if (!flag('skip-service')) {
    const mark = guard.mark();
    runs.push(await measure('service', RATES, slack, startService));
    // Stops the service (its last replies may still come) before the baseline is measured.
    await guard.cleanup(mark);
  }
  if (!flag('skip-baseline')) runs.push(await measure('baseline', BASELINE_RATES, slack, startBaseline));

  // Doubles that arrived after their step ended still count.
  for (const run of runs) {
    for (const step of run.steps) {
      const doubled = countDoubled(slack, step.channels ?? []);
      if (doubled !== step.doubled) {
        step.doubled = doubled;
        judge(step, REPLY_BUDGET_MS);
      }
      delete step.channels;
    }
  }
  const authFailures = slack.authFailures;
  await guard.cleanup();
  guard.disarm();

  log(`\n${stepTable(runs)}\n`);
  for (const line of figureLines(runs, REPLY_BUDGET_MS)) log(line);
  if (authFailures > 0) log(`WARNING: ${authFailures} Slack Web API calls had a wrong token`);
  const loadEnd = loadavg();
  log(
    `load average at the end: ${loadEnd.map((l) => l.toFixed(2)).join(' ')} (final figures need a quiet machine)`,
  );
  if (JSON_FILE) {
    const meta = {
      ...runMeta(RUN, load, loadEnd),
      database: POSTGRES ? 'postgresql' : 'sqlite',
      rates: RATES,
      baselineRates: BASELINE_RATES,
      seconds: SECONDS,
      drainMs: DRAIN_MS,
      debounceMs: DEBOUNCE_MS,
      replyBudgetMs: REPLY_BUDGET_MS,
    };
    writeFileSync(
      JSON_FILE,
      `${JSON.stringify({ meta, runs, figures: figureLines(runs, REPLY_BUDGET_MS) }, null, 2)}\n`,
    );
    log(`wrote ${JSON_FILE}`);
  }
  return runs.some((r) => r.error) ? 1 : 0;
}

runMain(guard, main);
