/**
 * The typed in-process event bus. Events report what happened (for metrics, logs and the typing
 * signal); they never carry work between processes: queues do that. Payloads hold ids and timings,
 * never ORM objects. Stored message ids are numbers (Prisma `Message.id`), job ids are strings.
 */
import type { Platform } from './types.ts';

interface ConversationRef {
  platform: Platform;
  conversationId: string;
}

interface JobRef extends ConversationRef {
  jobId: string;
  agentId: string;
}

export interface AgentBridgeEvents {
  /** An inbound message was stored (before any decision). */
  'message.created': ConversationRef & {
    messageId: number;
    workspaceId: string;
    authorId: string;
    isBot: boolean;
    sentAt: Date;
    storedAt: Date;
  };
  /**
   * The orchestrator decided whether (and which agent) replies. One event instead of
   * `loop.prevented`/`not_addressed`/...: metrics count by `reason` (e.g. `loop_limit`).
   */
  'reply.decided': ConversationRef & {
    messageId: number;
    reply: boolean;
    reason: string;
    agentId?: string;
  };
  /** The message joined a reply job already waiting in its debounce window instead of starting one. */
  'message.debounced': JobRef & { messageId: number };
  /** An agent's work waits on its rate or concurrency limit (nothing is dropped, but it is visible). */
  'rate.limited': JobRef & { scope: 'agent' | 'provider'; limit: 'rate' | 'concurrency'; retryInMs: number };
  /** A reply job started calling the model. */
  'agent.responding': JobRef & { triggerMessageId: number; attempt: number; startedAt: Date };
  /** The reply was generated and stored; delivery is queued. */
  'job.completed': JobRef & {
    replyMessageId: number;
    attempts: number;
    durationMs: number;
    llmMs?: number;
    /** The model spec the call used (`google:gemini-2.5-flash`). */
    model?: string;
    inputTokens?: number;
    outputTokens?: number;
  };
  /** The reply was posted on the platform. `latencyMs` runs from the trigger's `sentAt` to the post. */
  'agent.responded': JobRef & {
    replyMessageId: number;
    platformMessageId: string;
    deliveredAt: Date;
    latencyMs: number;
  };
  /** A streamed reply's first text became visible, `seconds` after the model's first token. */
  'reply.first_visible': { platform: Platform; seconds: number };
  /** A platform told us something about the app itself (rate-limited events, an uninstall). */
  'platform.notice': { platform: Platform; kind: string };
  /** A person's 👍/👎 on a reply was stored (`new`) or replaced their other vote (`changed`). */
  'feedback.recorded': { platform: Platform; vote: 'up' | 'down'; outcome: 'new' | 'changed' };
  /** An attempt failed; `final` when attempts are exhausted (the user gets FAILURE_MESSAGE). */
  'job.failed': JobRef & {
    queue: 'replies' | 'deliveries';
    attempt: number;
    maxAttempts: number;
    final: boolean;
    reason: string;
  };
}

/** May be async: a rejected promise is reported like a throw. */
export type Listener<Payload> = (payload: Payload) => unknown;

export interface EventBusOptions<Events> {
  /** Receives what a listener threw (or its promise rejected with); the emit carries on. */
  onListenerError: (error: unknown, event: keyof Events & string) => void;
}

interface Subscription {
  /** Stored untyped: the map key fixes its payload type, and `emit` restores it. */
  listener: unknown;
  once: boolean;
}

export class EventBus<Events extends object> {
  readonly #subscriptions = new Map<keyof Events, Subscription[]>();
  readonly #onListenerError: EventBusOptions<Events>['onListenerError'];

  constructor(options: EventBusOptions<Events>) {
    this.#onListenerError = options.onListenerError;
  }

  /** Subscribes (a listener already subscribed to this event is not added twice); returns the unsubscribe. */
  on<E extends keyof Events & string>(event: E, listener: Listener<Events[E]>): () => void {
    return this.#add(event, listener, false);
  }

  /** Like `on`, for the next emit only; `off(event, listener)` cancels it too. */
  once<E extends keyof Events & string>(event: E, listener: Listener<Events[E]>): () => void {
    return this.#add(event, listener, true);
  }

  off<E extends keyof Events & string>(event: E, listener: Listener<Events[E]>): void {
    this.#remove(event, listener);
  }

  /** Calls every listener synchronously, in subscription order; none can break the emitter or the others. */
  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    const subscriptions = this.#subscriptions.get(event);
    if (!subscriptions || subscriptions.length === 0) return;
    // A snapshot: listeners added or removed during this emit take effect from the next one.
    for (const subscription of [...subscriptions]) {
      if (subscription.once) {
        // A nested emit of the same event may have consumed it already.
        const index = subscriptions.indexOf(subscription);
        if (index < 0) continue;
        subscriptions.splice(index, 1);
      }
      try {
        const result = (subscription.listener as Listener<Events[E]>)(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.#report(error, event));
      } catch (error) {
        this.#report(error, event);
      }
    }
  }

  listenerCount(event: keyof Events & string): number {
    return this.#subscriptions.get(event)?.length ?? 0;
  }

  #add<E extends keyof Events & string>(event: E, listener: Listener<Events[E]>, once: boolean): () => void {
    let subscriptions = this.#subscriptions.get(event);
    if (!subscriptions) {
      subscriptions = [];
      this.#subscriptions.set(event, subscriptions);
    }
    if (!subscriptions.some((s) => s.listener === listener)) {
      subscriptions.push({ listener, once });
    }
    return () => this.off(event, listener);
  }

  #remove(event: keyof Events, listener: unknown): void {
    const subscriptions = this.#subscriptions.get(event);
    if (!subscriptions) return;
    const index = subscriptions.findIndex((s) => s.listener === listener);
    if (index >= 0) subscriptions.splice(index, 1);
  }

  #report(error: unknown, event: keyof Events & string): void {
    try {
      this.#onListenerError(error, event);
    } catch {
      // The error hook itself failed; there is nowhere safer to send it.
    }
  }
}

export function createEventBus(options: EventBusOptions<AgentBridgeEvents>): EventBus<AgentBridgeEvents> {
  return new EventBus<AgentBridgeEvents>(options);
}
