/**
 * How Slack's requests reach Bolt. Events are acknowledged only once they are stored, so a crash
 * before storing makes Slack redeliver instead of losing the message (slash commands answer within
 * the ack budget, see commands.ts):
 * - HTTP: Bolt's ExpressReceiver on the service's express app at POST /slack/events, with
 *   `processBeforeResponse` (the 200 goes out after the listener) and signature verification.
 * - Socket Mode: Bolt's SocketModeReceiver with its event listener replaced, so the envelope is
 *   acked after processing; a failure leaves it unacked and Slack redelivers it. */
import {
  type App,
  type Logger as BoltLogger,
  ExpressReceiver,
  LogLevel,
  type Receiver,
  type ReceiverEvent,
  SocketModeReceiver,
  type webApi,
} from '@slack/bolt';
import type { Express } from 'express';
import type { Logger } from '../../logger.ts';
import { type Notices, withNotices } from './notices.ts';
import { SLACK_EVENTS_PATH } from './paths.ts';

export { SLACK_EVENTS_PATH };

/** Slack waits 3 s for the acknowledgement; this leaves room for the network. */
export const DEFAULT_ACK_BUDGET_MS = 2500;

export type Budgeted<T> = { done: true; value: T } | { done: false };

/**
 * Waits for `work` at most `ms`. Settled in time: its value (or its rejection, rethrown). Late: the
 * caller acknowledges and `work` carries on; a later rejection goes to `onLateError`.
 */
export async function withinBudget<T>(
  work: Promise<T>,
  ms: number,
  onLateError: (error: unknown) => void,
): Promise<Budgeted<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const first = await Promise.race([work.then((value) => ({ value })), late]);
    if (first !== 'late') return { done: true, value: first.value };
    work.catch(onLateError);
    return { done: false };
  } finally {
    clearTimeout(timer);
  }
}

/** Slack's window for a request's timestamp, both ways (Bolt itself refuses only old ones). */
const TIMESTAMP_WINDOW_S = 5 * 60;

/**
 * Why a request's `X-Slack-Request-Timestamp` is refused before its signature is even checked:
 * not a whole number, or more than 5 minutes ahead (a request dated in the future would stay
 * replayable for as long). Old ones and missing ones are Bolt's to refuse. Pure.
 */
export function futureTimestampProblem(header: string | undefined, nowSeconds: number): string | undefined {
  if (header === undefined) return undefined;
  if (!/^\d{1,12}$/.test(header)) return 'the request timestamp is not a whole number of seconds';
  if (Number(header) > nowSeconds + TIMESTAMP_WINDOW_S) return 'the request timestamp is in the future';
  return undefined;
}

/** Bolt's ExpressReceiver, with what Bolt cannot route acknowledged at once (notices.ts). */
class NoticeAwareExpressReceiver extends ExpressReceiver {
  constructor(
    options: ConstructorParameters<typeof ExpressReceiver>[0],
    private readonly notices: Notices,
  ) {
    super(options);
  }

  override init(bolt: App): void {
    super.init(withNotices(bolt, this.notices));
  }
}

export function createHttpReceiver(options: {
  signingSecret: string;
  app?: Express;
  logger: BoltLogger;
  notices: Notices;
}): ExpressReceiver {
  // Registered before the receiver's own route, so it runs first.
  options.app?.post(SLACK_EVENTS_PATH, (req, res, next) => {
    const problem = futureTimestampProblem(
      req.header('x-slack-request-timestamp'),
      Math.floor(Date.now() / 1000),
    );
    if (problem) res.status(401).send(problem);
    else next();
  });
  return new NoticeAwareExpressReceiver(
    {
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      // The response waits for the listener: events are acked once stored.
      processBeforeResponse: true,
      logger: options.logger,
      ...(options.app && { app: options.app }),
    },
    options.notices,
  );
}

/** The fields of socket-mode's `slack_event` this receiver reads. */
interface SocketEnvelope {
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
  ack(response?: Record<string, unknown>): Promise<void>;
}

export class DeferredAckSocketReceiver implements Receiver {
  private readonly inner: SocketModeReceiver;
  private app: App | undefined;

  private readonly notices: Notices;

  constructor(options: {
    appToken: string;
    slackApiUrl: string;
    logger: BoltLogger;
    notices: Notices;
    fetch?: webApi.FetchFunction;
  }) {
    this.notices = options.notices;
    this.inner = new SocketModeReceiver({
      appToken: options.appToken,
      logger: options.logger,
      installerOptions: {
        clientOptions: { slackApiUrl: options.slackApiUrl, ...(options.fetch && { fetch: options.fetch }) },
      },
    });
    this.inner.client.removeAllListeners('slack_event');
    this.inner.client.on('slack_event', (envelope: SocketEnvelope) => {
      void this.dispatch(envelope, options.logger);
    });
  }

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<unknown> {
    return this.inner.start();
  }

  stop(): Promise<unknown> {
    return this.inner.stop();
  }

  private async dispatch(envelope: SocketEnvelope, logger: BoltLogger): Promise<void> {
    let acked = false;
    const ackNow = async (response?: Record<string, unknown>): Promise<void> => {
      if (acked) return;
      acked = true;
      await envelope.ack(response);
    };
    // Commands and views answer through their ack; events are acked after processing.
    const deferred = envelope.type === 'events_api';
    const event: ReceiverEvent = {
      body: envelope.body,
      ack: deferred ? async () => {} : ackNow,
      ...(envelope.retry_num !== undefined && { retryNum: envelope.retry_num }),
      ...(envelope.retry_reason !== undefined && { retryReason: envelope.retry_reason }),
    };
    try {
      if (this.app) await this.notices.process(this.app, event);
      await ackNow();
    } catch (error) {
      // Unacked: Slack redelivers the envelope (retry_attempt) to this or another connection.
      logger.error('slack socket-mode event failed; leaving it unacked for redelivery', error);
    }
  }
}

/** Bolt (and its WebClient) log through the service's one logger. */
export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'slack' });
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...parts: unknown[]): void => {
      const error = parts.find((part) => part instanceof Error);
      const text = parts
        .filter((part) => part !== error)
        .map((part) => (typeof part === 'string' ? part : safeJson(part)))
        .join(' ');
      if (error) log[level]({ err: error }, text || (error as Error).message);
      else log[level](text);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: () => {},
    getLevel: () => (log.isLevelEnabled('debug') ? LogLevel.DEBUG : LogLevel.INFO),
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
