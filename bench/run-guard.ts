/**
 * Cleanup that happens whatever the run does: a LIFO list of async undo steps run once at the
 * end, on SIGINT/SIGTERM, or by the watchdog when the run overstays its budget; plus synchronous
 * last resorts (kill children by pid, remove temp folders) on process exit.
 */
export class RunGuard {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  private readonly lastResorts: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly log: (line: string) => void = (line) => console.error(line)) {
    process.once('exit', () => {
      for (const fn of this.lastResorts.splice(0).reverse()) {
        try {
          fn();
        } catch {
          // exiting anyway
        }
      }
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.log(`${signal}: cleaning up`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** Registers an undo step (run in reverse order) and an optional synchronous last resort. */
  add(name: string, run: () => Promise<unknown>, lastResort?: () => void): void {
    this.steps.push({ name, run });
    if (lastResort) this.lastResorts.push(lastResort);
  }

  /** Ends the process (exit code 3) after cleanup if the run is still going after `ms`. */
  arm(ms: number): void {
    this.watchdog = setTimeout(() => {
      this.log(`watchdog: the run took longer than ${Math.round(ms / 1000)} s; stopping`);
      void this.cleanup().finally(() => process.exit(3));
    }, ms);
  }

  /** How many undo steps are registered: cleanup(mark) later undoes only what came after. */
  mark(): number {
    return this.steps.length;
  }

  disarm(): void {
    clearTimeout(this.watchdog);
  }

  /**
   * Runs the undo steps registered after `mark` (all by default) in reverse order, each once and
   * bounded to 20 s; errors are logged, never thrown. Concurrent calls wait for the one running.
   */
  async cleanup(mark = 0): Promise<void> {
    while (this.running) await this.running;
    this.running = (async () => {
      for (const step of this.steps.splice(mark).reverse()) {
        try {
          await bounded(step.run(), 20_000, step.name);
        } catch (error) {
          this.log(`cleanup "${step.name}" failed: ${(error as Error).message}`);
        }
      }
    })();
    await this.running;
    this.running = undefined;
  }
}

/** Runs a bench's main and exits with its code; a thrown error is printed, cleaned up after, and exits 1. */
export function runMain(guard: RunGuard, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    async (error: unknown) => {
      console.error(error);
      await guard.cleanup();
      process.exit(1);
    },
  );
}

export function bounded<T>(work: Promise<T>, ms: number, what = 'work'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
