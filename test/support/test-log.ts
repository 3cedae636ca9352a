/**
 * The logger tests give the code under test, and the switch that keeps a whole run's log lines.
 *
 * Normally (`npm test`) test loggers are silent, or write to stdout at `TEST_LOG_LEVEL`. With
 * `TEST_LOG_FILE=/path`, every test logger of every test worker appends its lines, at
 * `TEST_LOG_LEVEL` (default debug), to that one file, each tagged with the test file that wrote it;
 * services the tests start as child processes (service-process.ts) log at that level too and their
 * output goes to `${TEST_LOG_FILE}.<name>-<pid>` beside it. scripts/check-log-secrets.mjs then
 * reads those files for the secrets of test/support/test-secrets.ts.
 */
import { relative } from 'node:path';
import { pino } from 'pino';
import { createLogger, type Logger } from '../../src/logger.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The file a whole run's log lines go to, or undefined when the switch is off. */
export function testLogFile(): string | undefined {
  return process.env.TEST_LOG_FILE || undefined;
}

/** The level test loggers (and child services, when the switch is on) log at. */
export function testLogLevel(): string | undefined {
  return process.env.TEST_LOG_LEVEL || (testLogFile() ? 'debug' : undefined);
}

const LEVEL_VALUES: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

let runFile: pino.DestinationStream | undefined;

/** One append-only stream per test process; writes are synchronous, so no line is lost on exit. */
function runLog(path: string): pino.DestinationStream {
  runFile ??= pino.destination({ dest: path, append: true, sync: true, mkdir: true });
  return runFile;
}

/** Which test file is running in this worker (vitest sets it in the worker's state). */
function currentTestFile(): string {
  const state = (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__;
  return state?.filepath ? relative(ROOT, state.filepath) : `pid:${process.pid}`;
}

export interface TestLoggerOptions {
  /** Secret values the logger scrubs by value, as the service's own logger does with its config's. */
  secrets?: string[];
  /**
   * Lines the test itself reads (JSON, one per entry), at `level` and above, whatever the switch:
   * harnesses that assert on warnings keep receiving exactly those.
   */
  capture?: { level: string; lines: string[] };
}

/**
 * The logger for code under test: silent by default, stdout at TEST_LOG_LEVEL, or the run's log
 * file with TEST_LOG_FILE; plus, when asked, an in-memory copy of the lines at `capture.level`.
 */
export function testLogger(options: TestLoggerOptions = {}): Logger {
  const file = testLogFile();
  const level = testLogLevel();
  const { capture } = options;
  const secrets = options.secrets ? { secrets: options.secrets } : {};
  if (!file && !capture) return createLogger({ level: level ?? 'silent', ...secrets });

  const fileLevel = file ? (LEVEL_VALUES[level ?? 'debug'] ?? 20) : Number.POSITIVE_INFINITY;
  const captureLevel = capture ? (LEVEL_VALUES[capture.level] ?? 40) : Number.POSITIVE_INFINITY;
  // Without the switch but with TEST_LOG_LEVEL, lines also go to stdout (as they always did).
  const stdout = !file && level ? pino.destination(1) : undefined;
  const stdoutLevel = stdout ? (LEVEL_VALUES[level ?? 'silent'] ?? 30) : Number.POSITIVE_INFINITY;
  const lowest = Math.min(fileLevel, captureLevel, stdoutLevel);
  const name = Object.entries(LEVEL_VALUES).find(([, v]) => v === lowest)?.[0] ?? 'silent';
  const tag = file ? `{"testFile":${JSON.stringify(currentTestFile())},` : '';
  return createLogger({
    level: name,
    ...secrets,
    destination: {
      write(line: string) {
        const value = Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 30);
        if (capture && value >= captureLevel) capture.lines.push(line);
        if (stdout && value >= stdoutLevel) stdout.write(line);
        if (file && value >= fileLevel) runLog(file).write(line.replace(/^\{/, tag));
      },
    },
  });
}

/**
 * The environment additions for a service a test starts as a child process: its log level when
 * the switch is on (unless the test chose one). Empty when the switch is off.
 */
export function childLogEnv(env: Record<string, string>): Record<string, string> {
  const level = testLogLevel();
  if (!testLogFile() || !level || env.LOG_LEVEL) return {};
  return { LOG_LEVEL: level };
}
