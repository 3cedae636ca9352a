/** The tables and figures `npm run bench:slack` prints (Markdown, ready for bench/RESULTS.md). */
import type { StepResult } from './slack-steps.ts';

export interface TargetRun {
  name: string;
  steps: StepResult[];
  /** Set when the target could not be measured at all. */
  error?: string;
  startupMs?: number;
  /** Whether the service wrote its Redis keys under AGENT_BRIDGE_QUEUE_PREFIX. */
  prefixHonoured?: boolean;
  /** Web API calls the fake received per message sent, by method. */
  slackCallsPerMessage?: Record<string, number>;
}

export interface Figure {
  /** Highest passing rate (only if every lower step passed too), else 0. */
  rate: number;
  /** True when it passed every step it was given (the real figure may be higher). */
  capped: boolean;
  step?: StepResult;
}

export const GOALS = { rate: 400, ackP99Ms: 100, rssMb: 300 };

export function figureOf(run: TargetRun): Figure {
  let best: StepResult | undefined;
  for (const step of run.steps) {
    if (!step.passed) break;
    best = step;
  }
  const capped = best !== undefined && best === run.steps[run.steps.length - 1];
  return { rate: best?.rate ?? 0, capped, ...(best && { step: best }) };
}

const f0 = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '-');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');

export function stepTable(runs: TargetRun[]): string {
  const header = [
    'target',
    'offered/s',
    'achieved/s',
    'sent',
    'ack p50 / p95 / p99 / max (ms)',
    'not acked',
    'replies',
    'reply p50 / p95 / p99 / max (ms)',
    'missing',
    'doubled',
    'peak RSS / HWM (MB)',
    'CPU s (ms/msg)',
    'harness CPU ms/msg',
    'verdict',
  ];
  const rows = runs.flatMap((run) =>
    run.steps.map((s) => [
      run.name,
      f0(s.rate),
      f0(s.achievedRate),
      f0(s.sent),
      [s.ack.p50, s.ack.p95, s.ack.p99, s.ack.max].map(f0).join(' / '),
      s.notAcked === 0 ? '0' : `${s.notAcked} (${failureText(s.failures)})`,
      f0(s.replied),
      [s.reply.p50, s.reply.p95, s.reply.p99, s.reply.max].map(f0).join(' / '),
      f0(s.missing),
      f0(s.doubled),
      `${f0(s.rssMaxMb)} / ${f0(s.hwmMb)}`,
      `${f1(s.cpuSeconds)} (${f2(s.cpuMsPerMessage)})`,
      f2(s.harnessCpuMsPerMessage),
      (s.passed ? 'pass' : `FAIL: ${s.why.join(', ')}`) +
        (s.harnessLimited ? ` (harness lagged ${f0(s.sendLagMaxMs)} ms)` : ''),
    ]),
  );
  return markdownTable(header, rows);
}

function failureText(failures: Record<string, number>): string {
  return Object.entries(failures)
    .map(([key, n]) => `${key} x${n}`)
    .join(', ');
}

export function figureLines(runs: TargetRun[], replyBudgetMs: number): string[] {
  const lines: string[] = [];
  const figures = new Map(runs.map((run) => [run.name, figureOf(run)]));
  for (const run of runs) {
    if (run.error) {
      lines.push(`${run.name}: not measured (${run.error})`);
      continue;
    }
    const figure = figures.get(run.name) as Figure;
    const at = figure.step;
    lines.push(
      at
        ? `${run.name}: highest passing rate ${figure.capped ? '>= ' : ''}${figure.rate} msg/s` +
            ` (reply p99 <= ${replyBudgetMs} ms, none missing, none doubled, all acked);` +
            ` at that rate ack p99 ${f0(at.ack.p99)} ms, peak RSS ${f0(at.rssMaxMb)} MB, ${f2(at.cpuMsPerMessage)} ms CPU/msg` +
            (figure.capped ? ' (passed every step: the real figure is higher)' : '')
        : `${run.name}: no passing rate (first step ${run.steps[0]?.rate ?? '-'} msg/s failed: ${run.steps[0]?.why.join(', ') ?? 'not run'})`,
    );
  }
  const service = figures.get('service');
  if (service && !runs.find((r) => r.name === 'service')?.error) {
    const at = service.step;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    lines.push(
      `goal ${GOALS.rate} msg/s: ${verdict(service.rate >= GOALS.rate)} (${service.rate})` +
        (at
          ? `; ack p99 < ${GOALS.ackP99Ms} ms at ${service.rate}: ${verdict(at.ack.p99 < GOALS.ackP99Ms)} (${f0(at.ack.p99)})` +
            `; peak RSS < ${GOALS.rssMb} MB: ${verdict(at.rssMaxMb < GOALS.rssMb)} (${f0(at.rssMaxMb)})`
          : ''),
    );
  }
  const baseline = figures.get('baseline');
  if (service && baseline && baseline.rate > 0) {
    const baselineText = `${baseline.capped ? '>= ' : ''}${baseline.rate}`;
    lines.push(
      `service / raw baseline, highest passing rate: ${service.rate} / ${baselineText} = ` +
        `${service.rate === 0 ? '0' : `${baseline.capped ? '<= ' : ''}${f2(service.rate / baseline.rate)}`}`,
    );
    const cpu = cpuComparison(runs);
    if (cpu) lines.push(cpu);
  }
  return lines;
}

/** CPU per message of both at the highest rate both passed (else at the first step both ran). */
function cpuComparison(runs: TargetRun[]): string | undefined {
  const service = runs.find((r) => r.name === 'service');
  const baseline = runs.find((r) => r.name === 'baseline');
  if (!service || !baseline) return undefined;
  const pairs = service.steps
    .map((s) => [s, baseline.steps.find((b) => b.rate === s.rate)] as const)
    .filter((pair): pair is readonly [StepResult, StepResult] => pair[1] !== undefined);
  if (pairs.length === 0) return undefined;
  const bothPassed = pairs.filter(([s, b]) => s.passed && b.passed);
  const [s, b] = bothPassed[bothPassed.length - 1] ?? (pairs[0] as readonly [StepResult, StepResult]);
  const backlog = s.missing > 0 || s.notAcked > 0;
  const note = backlog
    ? ' (the service left work undone in this step: its CPU per message understates the cost)'
    : '';
  return (
    `CPU per message at ${s.rate} msg/s: service ${f2(s.cpuMsPerMessage)} ms / baseline ${f2(b.cpuMsPerMessage)} ms` +
    ` = ${f1(s.cpuMsPerMessage / b.cpuMsPerMessage)}x${note}`
  );
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
