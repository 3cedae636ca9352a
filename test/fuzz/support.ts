/**
 * What every fuzz file shares: one fixed seed (FUZZ_SEED replays another), run counts scaled by
 * FUZZ_SCALE, a guard that fails the file on any unhandled rejection or uncaught exception, and
 * the figures each entry point prints (inputs, refusals, pings leaked, time).
 *
 * A failing property prints fast-check's report: its seed and counterexample path; replay it with
 * `FUZZ_SEED=<seed> npx vitest run test/fuzz/<file>` (the seed is also in the assertion message).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

/** `full` runs, scaled by FUZZ_SCALE (0.1 for a quick local pass, 10 for a long soak). */
export function runs(full: number): number {
  return Math.max(1, Math.round(full * SCALE));
}

/** fast-check parameters: the fixed seed, the run count, and the seed in any failure. */
export function params(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns, endOnFailure: true };
}

/**
 * Runs `property` with the file's seed; a failure names the seed (and fast-check's path) so it can
 * be replayed.
 */
export function check<T>(property: fc.IProperty<T> | fc.IAsyncProperty<T>, numRuns: number) {
  const result = fc.check(property as fc.IRawProperty<T>, params(numRuns) as fc.Parameters<T>);
  return Promise.resolve(result).then((details) => {
    if (details.failed) {
      throw new Error(
        `fuzz failure (replay: FUZZ_SEED=${details.seed}, path ${details.counterexamplePath}): ${fc.defaultReportMessage(details)}`,
      );
    }
    return details;
  });
}

/**
 * Fails the file when anything rejects or throws outside a test's await: the process-wide handlers
 * record it, and `afterAll` (and `assertClean`) assert none was seen.
 */
export function guardProcess(): { seen: unknown[]; assertClean(): void } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  const onException = (error: unknown) => seen.push(error);
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  });
  const assertClean = () => {
    expect(seen.map((e) => (e instanceof Error ? (e.stack ?? e.message) : String(e)))).toEqual([]);
  };
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    assertClean();
  });
  return { seen, assertClean };
}

export interface Figures {
  entry: string;
  inputs: number;
  ms: number;
  [figure: string]: string | number;
}

/** One line per entry point, in the test output (docs/security.md "Fuzzing" records them). */
export function printFigures(figures: Figures): void {
  const extra = Object.entries(figures)
    .filter(([key]) => !['entry', 'inputs', 'ms'].includes(key))
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  process.stdout.write(
    `[fuzz] ${figures.entry}: inputs=${figures.inputs} ${extra} time=${(figures.ms / 1000).toFixed(1)}s seed=${FUZZ_SEED}\n`,
  );
}

/** Runs `body` in slices of `concurrency`, in order. */
export async function inBatches<T>(
  items: readonly T[],
  concurrency: number,
  body: (item: T, index: number) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < items.length; start += concurrency) {
    await Promise.all(items.slice(start, start + concurrency).map((item, i) => body(item, start + i)));
  }
}

/** Draws `count` values of `arbitrary`, deterministically from the file's seed. */
export function sample<T>(arbitrary: fc.Arbitrary<T>, count: number, salt = 0): T[] {
  return fc.sample(arbitrary, { seed: FUZZ_SEED + salt, numRuns: count });
}
