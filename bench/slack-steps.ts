/**
 * One rate step of `npm run bench:slack`: an open-loop sender (a fixed schedule of sends, never
 * waiting for answers) of signed DMs, each in its own DM channel, to a service's /slack/events;
 * then a bounded drain; then what the step cost and whether it passed. Replies are the agent posts
 * the lean fake Slack Web API recorded for each message's channel.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { LeanSlackApi } from '../test/fakes/slack-web-lean.ts';
import { dmEvent, SignedEventSender } from '../test/support/slack-sender.ts';
import { RssSampler, readCpuSeconds } from './proc-stats.ts';
import { redisCpuMs, type Summary, summarize } from './support.ts';

export interface StepTarget {
  name: string;
  /** http://host:port of the process under test. */
  baseUrl: string;
  /** Its pid, for RSS and CPU. */
  pid: number;
  secret: string;
  teamId: string;
  /** More processes of the target (a separate worker), measured alongside. */
  others?: { name: string; pid: number }[];
}

export interface StepSettings {
  rate: number;
  seconds: number;
  /** Wait at most this long after the last send for missing replies. */
  drainMs: number;
  /** Reply p99 (or `budgetPercentile`) must be at most this (DEBOUNCE_MS + 500). */
  replyBudgetMs: number;
  /** Which reply percentile the budget applies to ['p99']. */
  budgetPercentile?: 'p95' | 'p99';
  /** Channel/user/event id tag, unique per step within the run. */
  tag: string;
  /** Redis whose server CPU to read (the whole server: other clients count too). */
  redis?: Redis;
}

export interface StepResult {
  target: string;
  rate: number;
  seconds: number;
  sent: number;
  /** Sends per second actually achieved over the send phase. */
  achievedRate: number;
  /** Worst delay of a send behind its schedule (harness saturation shows here). */
  sendLagMaxMs: number;
  /** Most requests waiting for a free socket in the sender at once. */
  senderQueuedMax: number;
  /** The sender fell behind its schedule (> 100 ms) or ran out of sockets: the harness, not the target, limited the step. */
  harnessLimited: boolean;
  acked: number;
  /** Not acked: non-2xx answers and failures, by status or reason. */
  notAcked: number;
  failures: Record<string, number>;
  ack: Summary;
  replied: number;
  reply: Summary;
  /** Acked, and no agent post in its channel by the end of the drain. */
  missing: number;
  /** Channels with more than one agent post (updated again at the end of the run). */
  doubled: number;
  /** Posts as the bot itself (notices) in this step's channels. */
  botPosts: number;
  drainMs: number;
  rssMaxMb: number;
  hwmMb: number;
  cpuSeconds: number;
  cpuMsPerMessage: number;
  /** The target's other processes (StepTarget.others), each measured like the first. */
  others: { name: string; rssMaxMb: number; cpuSeconds: number }[];
  /** The reply percentile the budget applies to. */
  budgetPercentile: 'p95' | 'p99';
  harnessCpuSeconds: number;
  harnessCpuMsPerMessage: number;
  redisCpuMsPerMessage: number;
  passed: boolean;
  /** Why it failed (empty when passed). */
  why: string[];
  /** Channels of this step, for the end-of-run recount (not in the JSON). */
  channels?: string[];
}

interface Sent {
  channel: string;
  at: number;
  ok?: boolean;
}

export async function runStep(
  target: StepTarget,
  slack: LeanSlackApi,
  settings: StepSettings,
): Promise<StepResult> {
  const { rate, seconds } = settings;
  const total = Math.max(1, Math.round(rate * seconds));
  const sender = new SignedEventSender({ url: `${target.baseUrl}/slack/events`, secret: target.secret });
  const sent: Sent[] = new Array(total);
  const ackMs: number[] = [];
  const failures: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  let sendLagMaxMs = 0;
  let senderQueuedMax = 0;

  const rss = new RssSampler(target.pid).start();
  const cpuBefore = readCpuSeconds(target.pid) ?? Number.NaN;
  const others = (target.others ?? []).map((other) => ({
    ...other,
    rss: new RssSampler(other.pid).start(),
    cpuBefore: readCpuSeconds(other.pid) ?? Number.NaN,
  }));
  const harnessBefore = process.cpuUsage();
  const redisBefore = settings.redis ? await redisCpuMs(settings.redis).catch(() => Number.NaN) : Number.NaN;

  const send = (n: number): void => {
    const dm = dmEvent({ teamId: target.teamId, n, tag: settings.tag, text: `bench ${settings.tag} ${n}` });
    const entry: Sent = { channel: dm.channel, at: performance.now() };
    sent[n] = entry;
    pending.push(
      sender.post(dm.body).then((outcome) => {
        entry.ok = outcome.ok;
        // Failures count at the time they failed (a timeout at 3 s): a lower bound, never left out.
        ackMs.push(outcome.ms);
        if (!outcome.ok) {
          const key =
            outcome.status !== undefined ? `HTTP ${outcome.status}` : (outcome.code ?? outcome.reason ?? '?');
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }),
    );
  };

  const started = performance.now();
  let count = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (count < due) {
        const late = performance.now() - (started + (count * 1000) / rate);
        if (late > sendLagMaxMs) sendLagMaxMs = late;
        send(count);
        count += 1;
      }
      senderQueuedMax = Math.max(senderQueuedMax, sender.queued);
      if (count >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendEnded = performance.now();
  const achievedRate = total / Math.max(0.001, (sendEnded - started) / 1000);

  // Every request settles within the sender's 3 s limit; then replies get the rest of the drain.
  await Promise.all(pending);
  const deadline = sendEnded + settings.drainMs;
  const unanswered = (): number => sent.filter((s) => s.ok && slack.agentPostCount(s.channel) === 0).length;
  while (unanswered() > 0 && performance.now() < deadline) await sleep(25);
  const drainMs = performance.now() - sendEnded;

  const memory = rss.stop();
  const cpuSeconds = (readCpuSeconds(target.pid) ?? Number.NaN) - cpuBefore;
  const othersMeasured = others.map((other) => ({
    name: other.name,
    rssMaxMb: other.rss.stop().rssMb,
    cpuSeconds: (readCpuSeconds(other.pid) ?? Number.NaN) - other.cpuBefore,
  }));
  const harness = process.cpuUsage(harnessBefore);
  const harnessCpuSeconds = (harness.user + harness.system) / 1e6;
  const redisAfter = settings.redis ? await redisCpuMs(settings.redis).catch(() => Number.NaN) : Number.NaN;
  sender.close();

  const replyMs: number[] = [];
  let missing = 0;
  let botPosts = 0;
  const channels = sent.map((s) => s.channel);
  const botChannels = new Set(slack.botPosts.map((p) => p.channel));
  for (const s of sent) {
    const first = slack.agentPosts.get(s.channel)?.[0];
    if (first) replyMs.push(first.at - s.at);
    else if (s.ok) missing += 1;
    if (botChannels.has(s.channel)) botPosts += 1;
  }
  const doubled = countDoubled(slack, channels);
  const acked = sent.filter((s) => s.ok).length;
  const reply = summarize(replyMs);
  const result: StepResult = {
    target: target.name,
    rate,
    seconds,
    sent: total,
    achievedRate,
    sendLagMaxMs,
    senderQueuedMax,
    harnessLimited: sendLagMaxMs > 100 || senderQueuedMax > 0,
    acked,
    notAcked: total - acked,
    failures,
    ack: summarize(ackMs),
    replied: replyMs.length,
    reply,
    missing,
    doubled,
    botPosts,
    drainMs,
    rssMaxMb: memory.rssMb,
    hwmMb: memory.hwmMb,
    cpuSeconds,
    cpuMsPerMessage: (cpuSeconds * 1000) / total,
    others: othersMeasured,
    budgetPercentile: settings.budgetPercentile ?? 'p99',
    harnessCpuSeconds,
    harnessCpuMsPerMessage: (harnessCpuSeconds * 1000) / total,
    redisCpuMsPerMessage: (redisAfter - redisBefore) / total,
    passed: false,
    why: [],
    channels,
  };
  judge(result, settings.replyBudgetMs);
  return result;
}

/** A step passes when every message was acked, every acked one got exactly one reply, in budget. */
export function judge(result: StepResult, replyBudgetMs: number): void {
  const why: string[] = [];
  const percentile = result.budgetPercentile;
  if (result.notAcked > 0) why.push(`${result.notAcked} not acked`);
  if (result.missing > 0) why.push(`${result.missing} missing`);
  if (result.doubled > 0) why.push(`${result.doubled} doubled`);
  if (!(result.reply[percentile] <= replyBudgetMs))
    why.push(`reply ${percentile} ${Math.round(result.reply[percentile])} > ${replyBudgetMs} ms`);
  result.why = why;
  result.passed = why.length === 0;
}

export function countDoubled(slack: LeanSlackApi, channels: readonly string[]): number {
  let doubled = 0;
  for (const channel of channels) if (slack.agentPostCount(channel) > 1) doubled += 1;
  return doubled;
}

/** Waits until every acked message of `steps` has a reply, at most `timeoutMs`. */
export async function waitForBacklog(
  slack: LeanSlackApi,
  step: StepResult,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  const channels = step.channels ?? [];
  const done = () => channels.filter((c) => slack.agentPostCount(c) > 0).length >= step.acked;
  while (!done() && performance.now() < deadline) await sleep(100);
  return done();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
