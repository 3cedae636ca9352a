/** The bench's results and the compact table printed to stdout. */
import type { AtRateResult, CensusResult, PhaseProblems, ThroughputResult } from './pipeline-phases.ts';
import type { RawResults } from './raw-baselines.ts';
import type { Summary } from './support.ts';

export interface Results {
  date: string;
  node: string;
  cores: number;
  /** 1/5/15-minute load averages at the start and at the end: other work on the machine skews figures. */
  loadavgStart: number[];
  loadavgEnd: number[];
  database: string;
  settings: {
    messages: number;
    inFlight: number;
    rate: number;
    rateMessages: number;
    lightRate: number;
    lightMessages: number;
    replyConcurrency: number;
  };
  raw: RawResults;
  throughput: ThroughputResult;
  light: AtRateResult;
  atRate: AtRateResult;
  failedAttempts: number;
  /** One process (inline delivery), and a gateway plus a worker. */
  census?: { all: CensusResult; split: CensusResult };
  seconds: number;
}

const GOAL_PER_SECOND = 1000;
const GOAL_CPU_MS = 1.5;
const GOAL_SQL = 7;
const GOAL_REDIS = 8;
const GOAL_P99_MS = 20;
const W = 48;

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(Math.abs(v) < 10 ? 2 : 1) : '-');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const times = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}x` : '-');
const row = (label: string, ...cells: string[]) =>
  `${label.padEnd(W)}${cells.map((c) => c.padStart(9)).join('')}`;
const latency = (label: string, s: Summary) => row(label, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max));
const header = (label: string) => row(label, 'p50', 'p95', 'p99', 'max');

function pipelineRows(a: AtRateResult): string[] {
  return [
    latency('pipeline: handleInbound returned', a.inbound),
    latency('pipeline: reply job reaches the model', a.responding),
    latency('pipeline: reply stored', a.completed),
    latency('PIPELINE inbound -> delivered (overhead)', a.delivered),
    row('  sending took s | delivered per s', a.sendSeconds.toFixed(2), int(a.deliveredPerSecond)),
  ];
}

function problemLine(phase: string, p: PhaseProblems): string[] {
  if (!p.errors && !p.notScheduled) return [];
  return [
    `  WARNING ${phase}: ${p.errors} handleInbound errors, ${p.notScheduled} not scheduled${p.firstError ? `; first error: ${p.firstError}` : ''}`,
  ];
}

export function formatReport(r: Results): string {
  const t = r.throughput;
  const a = r.atRate;
  const raw = r.raw;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `agent-bridge pipeline bench  ${r.date}  node ${r.node}  ${r.cores} cores  db ${r.database}`,
    `  load average ${load(r.loadavgStart)} at start, ${load(r.loadavgEnd)} at end; instant model; reply concurrency ${r.settings.replyConcurrency}`,
    '',
    row('THROUGHPUT (per s)', 'per s', 'vs pipe'),
    row(
      'raw BullMQ addBulk + drain (c=50)',
      int(raw.addBulkPerSecond),
      times(raw.addBulkPerSecond, t.perSecond),
    ),
    row(
      `raw BullMQ single add, ${r.settings.inFlight} in flight`,
      int(raw.singleAddPerSecond),
      times(raw.singleAddPerSecond, t.perSecond),
    ),
    row(
      `raw BullMQ 2-hop chain, ${r.settings.inFlight} in flight`,
      int(raw.twoHopPerSecond),
      times(raw.twoHopPerSecond, t.perSecond),
    ),
    row(
      `raw driver insert, one at a time (${r.database})`,
      int(raw.insertPerSecond),
      times(raw.insertPerSecond, t.perSecond),
    ),
    row(`pipeline handleInbound calls completed`, int(t.inboundPerSecond)),
    row(
      `PIPELINE ${r.settings.messages} msgs, ${r.settings.inFlight} in flight`,
      int(t.perSecond),
      `  (${Math.round((t.perSecond / GOAL_PER_SECOND) * 100)}% of goal ${GOAL_PER_SECOND})`,
    ),
    latency('  latency in that burst (ms, p50 p95 p99 max)', t.latency),
    row(
      '  per message: SQL (data) | Redis commands',
      `${ms(t.sqlPerMessage)} (${ms(t.sqlDataPerMessage)})`,
      ms(t.redisPerMessage),
      `  (goals <= ${GOAL_SQL} | <= ${GOAL_REDIS}: ${t.sqlDataPerMessage <= GOAL_SQL && t.redisPerMessage <= GOAL_REDIS ? 'met' : 'not met'})`,
    ),
    row(
      'CPU ms per message: this process | Redis',
      ms(t.cpu.processMs),
      ms(t.cpu.redisMs),
      `  (goal <= ${GOAL_CPU_MS} ms: ${t.cpu.processMs <= GOAL_CPU_MS ? 'met' : 'not met'})`,
    ),
    row('  raw 2-hop chain: this process | Redis', ms(raw.twoHopCpu.processMs), ms(raw.twoHopCpu.redisMs)),
    row(
      '  => one-core ceiling, msgs/s: pipeline | raw',
      int(1000 / t.cpu.processMs),
      int(1000 / raw.twoHopCpu.processMs),
    ),
    ...problemLine('burst', t),
    '',
    header(`AT ${a.rate}/s, ${r.settings.rateMessages} msgs (ms after due)`),
    latency(`raw driver insert (${r.database})`, raw.insertAtRate),
    latency('raw BullMQ 1 hop (add -> processor)', raw.oneHopAtRate),
    latency('raw BullMQ 2 hops (add -> add -> processor)', raw.twoHopAtRate),
    ...pipelineRows(a),
    row(
      `  p99 vs goal ${GOAL_P99_MS} ms | vs raw 2-hop p99`,
      a.delivered.p99 <= GOAL_P99_MS ? 'met' : `${times(a.delivered.p99, GOAL_P99_MS)} over`,
      times(a.delivered.p99, raw.twoHopAtRate.p99),
    ),
    ...problemLine('at rate', a),
    '',
    header(`AT ${r.light.rate}/s, ${r.settings.lightMessages} msgs, light load`),
    ...pipelineRows(r.light),
    row(
      `  p99 vs goal ${GOAL_P99_MS} ms | vs raw 2-hop p99`,
      r.light.delivered.p99 <= GOAL_P99_MS ? 'met' : `${times(r.light.delivered.p99, GOAL_P99_MS)} over`,
      times(r.light.delivered.p99, raw.twoHopAtRate.p99),
    ),
    ...problemLine('light', r.light),
  ];
  if (raw.operations.length) {
    lines.push('', row(`DB OPERATIONS, one at a time (${r.database})`, 'us each'));
    for (const [label, us] of raw.operations) lines.push(row(`  ${label}`, int(us)));
  }
  if (r.failedAttempts) lines.push(`  WARNING: ${r.failedAttempts} failed reply attempts`);
  if (r.census) {
    const list = (entries: Array<[string, number]>) =>
      entries.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    const total = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + y, 0);
    for (const [name, c] of [
      ['one process, delivered inline', r.census.all],
      ['gateway + worker', r.census.split],
    ] as const) {
      const sql = total(c.sql);
      const redis = total(c.redis);
      lines.push(
        '',
        `PER ANSWERED DM, ${name} (census of ${c.messages} DMs one at a time, ${r.database})`,
        `  SQL statements  ${sql.toFixed(1)}, of which data ${c.sqlData.toFixed(1)} (goal <= ${GOAL_SQL}: ${c.sqlData <= GOAL_SQL ? 'met' : 'not met'})  (${list(Object.entries(c.sql))})`,
        `  Redis commands  ${redis.toFixed(1)} (goal <= ${GOAL_REDIS}: ${redis <= GOAL_REDIS ? 'met' : 'not met'})  (${list(Object.entries(c.redis))})`,
        `  Redis by command: ${list(c.redisByCommand.slice(0, 10))}`,
      );
      if (c.trace.length) lines.push('', `TRACE of one DM (${name}):`, ...c.trace.map((l) => `  ${l}`));
    }
  }
  lines.push('', `total ${r.seconds.toFixed(1)} s`);
  return lines.join('\n');
}
