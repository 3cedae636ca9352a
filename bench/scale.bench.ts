/**
 * `npm run bench:scale`: many conversations against a slow model, measured from outside.
 *
 *   npm run bench:scale -- [--ways sqlite,sqlite-split,postgres,postgres-split] [--rate 200]
 *     [--seconds 50] [--model-ms 2000] [--worker-concurrency N] [--drain-ms 10000] [--json FILE]
 *     [--redis-db auto|shared|N] [--keep-logs]
 *
 * Each way starts agent-bridge as `npm start` runs it: one process (`sqlite`, `postgres`), or a
 * `--role gateway` and a `--role worker` process (`*-split`), on a fresh database and Redis scope,
 * with DEBOUNCE_MS=50, the agent limits off (AGENT_RATE_LIMIT_PER_MIN=0) and the model
 * `google:gemini-2.5-flash` served by a local fake Gemini that answers every call after
 * --model-ms (bench/slow-model.ts), through the real @ai-sdk/google. This process plays Slack as
 * in bench:slack: after a 3 s warm-up at 20/s it sends signed DMs at --rate for --seconds, each in
 * its own DM channel (200/s for 50 s = 10,000 conversations), and counts the agent's posts.
 *
 * A way passes when every DM is acked, every acked DM gets exactly one reply, and reply p95 <=
 * DEBOUNCE_MS + model-ms + 150 ms. Printed per way: ack and reply latencies, missing and doubled,
 * the model calls in flight at the peak, peak RSS and CPU of each process, this harness's CPU.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { type LeanSlackApi, startLeanSlackApi } from '../test/fakes/slack-web-lean.ts';
import buildIfStale from '../test/setup/build.ts';
import { freePort } from '../test/support/free-port.ts';
import { ServiceProcess } from '../test/support/service-process.ts';
import { bounded, RunGuard, runMain } from './run-guard.ts';
import { prepareService } from './service-setup.ts';
import { countDoubled, judge, runStep, type StepResult, type StepTarget } from './slack-steps.ts';
import { type SlowModel, startSlowModel } from './slow-model.ts';
import { runMeta } from './support.ts';

const argv = process.argv.slice(2);
const text = (name: string) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
};
const positive = (name: string, fallback: number) => {
  const value = Number(text(name) ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
};

const WAYS = ['sqlite', 'sqlite-split', 'postgres', 'postgres-split'] as const;
type Way = (typeof WAYS)[number];
const ways = (text('ways') ?? WAYS.join(',')).split(',').map((w) => {
  if (!(WAYS as readonly string[]).includes(w))
    throw new Error(`--ways: "${w}" is not one of ${WAYS.join(', ')}`);
  return w as Way;
});
const RATE = positive('rate', 200);
const SECONDS = positive('seconds', 50);
const MODEL_MS = positive('model-ms', 2000);
const DRAIN_MS = positive('drain-ms', 10_000);
const WORKER_CONCURRENCY = text('worker-concurrency');
const DEBOUNCE_MS = 50;
const REPLY_BUDGET_MS = DEBOUNCE_MS + MODEL_MS + 150;
const JSON_FILE = text('json');
const REDIS_BASE = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_DB_OPTION = text('redis-db') ?? 'auto';
const REDIS_DB =
  REDIS_DB_OPTION === 'auto' || REDIS_DB_OPTION === 'shared' ? REDIS_DB_OPTION : Number(REDIS_DB_OPTION);
const WARMUP = { rate: 20, seconds: 3 };
const SECRET = `bench-signing-secret-${randomBytes(6).toString('hex')}`;
const RUN = `${Date.now().toString(36).slice(-4)}${randomBytes(2).toString('hex')}`.toLowerCase();

const log = (line: string) => console.log(line);
const guard = new RunGuard();
const stepBudgetMs = SECONDS * 1000 + 3000 + DRAIN_MS + 30_000;
guard.arm(ways.length * (150_000 + stepBudgetMs + 20_000));

interface WayResult {
  way: Way;
  step?: StepResult;
  error?: string;
  /** Most model calls in flight at once during the step. */
  modelPeakInFlight?: number;
  startupMs?: number;
}

async function startProcesses(way: Way, slack: LeanSlackApi, model: SlowModel) {
  const split = way.endsWith('-split');
  const { dir, env } = await prepareService({
    guard,
    log,
    name: `abscale_${RUN}_${way.replace('-', '_')}`,
    postgres: way.startsWith('postgres'),
    slack,
    signingSecret: SECRET,
    redisBaseUrl: REDIS_BASE,
    redisDb: REDIS_DB,
    keepLogs: argv.includes('--keep-logs'),
    env: {
      DEFAULT_MODEL: 'google:gemini-2.5-flash',
      GOOGLE_GENERATIVE_AI_API_KEY: model.gemini.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: model.gemini.baseURL,
      DEBOUNCE_MS: String(DEBOUNCE_MS),
      AGENT_RATE_LIMIT_PER_MIN: '0',
      AGENT_MAX_CONCURRENT: '100000',
      ...(WORKER_CONCURRENCY && { WORKER_CONCURRENCY }),
    },
  });
  const roles = split ? (['gateway', 'worker'] as const) : (['all'] as const);
  const processes: { role: string; service: ServiceProcess }[] = [];
  for (const role of roles) {
    const service = new ServiceProcess({
      env: { ...env, PORT: String(await freePort()) },
      cwd: dir,
      args: ['start', '--role', role],
      logName: `${role}.log`,
    });
    guard.add(
      `${way} ${role} process`,
      () => service.close(),
      () => service.killSync(),
    );
    service.start();
    processes.push({ role, service });
  }
  const started = performance.now();
  await Promise.all(processes.map(({ service }) => service.waitReady(120_000)));
  return { processes, startupMs: performance.now() - started };
}

async function measureWay(way: Way, slack: LeanSlackApi, model: SlowModel): Promise<WayResult> {
  const mark = guard.mark();
  try {
    log(`\n${way}: starting`);
    const { processes, startupMs } = await startProcesses(way, slack, model);
    const [front, ...rest] = processes;
    if (!front) throw new Error('no process started');
    const target: StepTarget = {
      name: way,
      baseUrl: front.service.baseUrl,
      pid: front.service.pid as number,
      secret: SECRET,
      teamId: slack.bot.teamId,
      others: rest.map(({ role, service }) => ({ name: role, pid: service.pid as number })),
    };
    const settings = { drainMs: DRAIN_MS, replyBudgetMs: REPLY_BUDGET_MS, budgetPercentile: 'p95' as const };
    log(
      `${way}: ready in ${(startupMs / 1000).toFixed(1)} s; warm-up ${WARMUP.rate}/s for ${WARMUP.seconds} s`,
    );
    await runStep(target, slack, { ...settings, ...WARMUP, tag: `${RUN}${way}w` });
    model.resetPeak();
    const step = await bounded(
      runStep(target, slack, { ...settings, rate: RATE, seconds: SECONDS, tag: `${RUN}${way}` }),
      stepBudgetMs,
      `${way} step`,
    );
    const result: WayResult = { way, step, modelPeakInFlight: model.peak(), startupMs };
    log(wayLine(result));
    for (const { role, service } of processes) {
      if (!service.running) throw new Error(`${role} exited during the step:\n${service.output()}`);
    }
    return result;
  } catch (error) {
    log(`${way}: ${(error as Error).message}`);
    return { way, error: (error as Error).message };
  } finally {
    await guard.cleanup(mark);
  }
}

const f0 = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? String(Math.round(n)) : '-');

function processesOf(step: StepResult, way: Way): { name: string; rssMaxMb: number; cpuSeconds: number }[] {
  const front = {
    name: way.endsWith('-split') ? 'gateway' : 'all',
    rssMaxMb: step.rssMaxMb,
    cpuSeconds: step.cpuSeconds,
  };
  return [front, ...step.others];
}

function wayLine(r: WayResult): string {
  const s = r.step;
  if (!s) return `${r.way}: ${r.error}`;
  const processes = processesOf(s, r.way)
    .map((p) => `${p.name} ${f0(p.rssMaxMb)} MB ${p.cpuSeconds.toFixed(1)} s CPU`)
    .join(', ');
  return (
    `  ${r.way} ${s.rate}/s x ${s.seconds} s: sent ${s.sent}, acked ${s.acked}, ack p99 ${f0(s.ack.p99)} ms, ` +
    `replies ${s.replied}, reply p50/p95/p99 ${f0(s.reply.p50)}/${f0(s.reply.p95)}/${f0(s.reply.p99)} ms, ` +
    `missing ${s.missing}, doubled ${s.doubled}, model calls in flight at peak ${r.modelPeakInFlight}, ` +
    `${processes}: ${s.passed ? 'pass' : `FAIL (${s.why.join(', ')})`}`
  );
}

function table(results: WayResult[]): string {
  const header = [
    'way',
    'sent',
    'ack p50 / p99 (ms)',
    'not acked',
    'reply p50 / p95 / p99 / max (ms)',
    'missing',
    'doubled',
    'model calls in flight, peak',
    'peak RSS per process (MB)',
    'CPU per process (s; ms/msg)',
    'verdict',
  ];
  const rows = results.map((r) => {
    const s = r.step;
    if (!s) return [r.way, '-', '-', '-', '-', '-', '-', '-', '-', '-', `error: ${r.error}`];
    const processes = processesOf(s, r.way);
    return [
      r.way,
      String(s.sent),
      `${f0(s.ack.p50)} / ${f0(s.ack.p99)}`,
      String(s.notAcked),
      `${f0(s.reply.p50)} / ${f0(s.reply.p95)} / ${f0(s.reply.p99)} / ${f0(s.reply.max)}`,
      String(s.missing),
      String(s.doubled),
      f0(r.modelPeakInFlight),
      processes.map((p) => `${p.name} ${f0(p.rssMaxMb)}`).join(', '),
      processes
        .map((p) => `${p.name} ${p.cpuSeconds.toFixed(1)}; ${((p.cpuSeconds * 1000) / s.sent).toFixed(2)}`)
        .join(', '),
      s.passed ? 'pass' : `FAIL: ${s.why.join(', ')}`,
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  buildIfStale();
  const load = loadavg();
  log(
    `bench:scale run ${RUN}: ${cpus().length} cores, load ${load.map((l) => l.toFixed(2)).join(' ')}, ` +
      `ways ${ways.join(',')}, ${RATE} msg/s x ${SECONDS} s (${Math.round(RATE * SECONDS)} conversations), ` +
      `model ${MODEL_MS} ms, budget reply p95 <= ${REPLY_BUDGET_MS} ms` +
      (WORKER_CONCURRENCY ? `, WORKER_CONCURRENCY=${WORKER_CONCURRENCY}` : ''),
  );
  const slack = await startLeanSlackApi({ teamId: `TS${RUN.toUpperCase()}` });
  guard.add('fake slack', () => slack.close());
  const model = await startSlowModel(MODEL_MS);
  guard.add('fake gemini', () => model.close());

  const results: WayResult[] = [];
  for (const way of ways) results.push(await measureWay(way, slack, model));
  // Doubles that arrived after a way's step ended still count.
  for (const r of results) {
    if (!r.step?.channels) continue;
    const doubled = countDoubled(slack, r.step.channels);
    if (doubled !== r.step.doubled) {
      r.step.doubled = doubled;
      judge(r.step, REPLY_BUDGET_MS);
    }
    delete r.step.channels;
  }
  await guard.cleanup();
  guard.disarm();

  log(`\n${table(results)}\n`);
  const loadEnd = loadavg();
  log(`load average at the end: ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`);
  if (JSON_FILE) {
    const meta = {
      ...runMeta(RUN, load, loadEnd),
      rate: RATE,
      seconds: SECONDS,
      modelMs: MODEL_MS,
      debounceMs: DEBOUNCE_MS,
      replyBudgetMs: REPLY_BUDGET_MS,
      workerConcurrency: WORKER_CONCURRENCY ?? 'default',
    };
    writeFileSync(JSON_FILE, `${JSON.stringify({ meta, results }, null, 2)}\n`);
    log(`wrote ${JSON_FILE}`);
  }
  return results.every((r) => r.step?.passed) ? 0 : 1;
}

runMain(guard, main);
