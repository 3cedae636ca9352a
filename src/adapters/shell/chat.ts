/**
 * `agent-bridge chat`: a DM with the local workspace's agents in the terminal, through the same
 * pipeline as Slack and Discord (orchestrator, queues, worker, delivery). Each input line is one
 * message; at the end of input the chat waits for the replies it asked for, then exits.
 */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Config } from '../../config.ts';
import type { AgentBridgeEvents, EventBus } from '../../core/events.ts';
import type { InboundMessage } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import { createPipeline } from '../../pipeline.ts';
import { checkDependencies } from '../../startup/preflight.ts';
import { findAgentByName, listAgents } from '../../store/agents.ts';
import { answeredThrough, ensureConversation, setActiveAgent } from '../../store/conversations.ts';
import { type Db, openDatabase } from '../../store/database.ts';
import { openHotStore } from '../../store/hot/open.ts';
import { ensureWorkspace } from '../../store/identities.ts';
import { migrateDatabase } from '../../store/migrate.ts';
import { SHELL_BOT, ShellAdapter } from './shell-adapter.ts';

export const SHELL_WORKSPACE = 'local';
const CREATE_HINT = 'agent-bridge agents create';

export interface ChatOptions {
  config: Config;
  logger: Logger;
  /** Who answers in this DM (like `/agent use`); without it the DM's agent as usual. */
  agent?: string;
  /** The user's name in the conversation [OS user name]. */
  as?: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Where errors and warnings go [process.stderr]. */
  errors?: NodeJS.WritableStream;
  tty: boolean;
  /** Redis key prefix of the queues [ab]. */
  queuePrefix?: string;
}

export async function runChat(opts: ChatOptions): Promise<number> {
  const { config, logger } = opts;
  const errors = opts.errors ?? process.stderr;
  const say = (line: string) => errors.write(`${line}\n`);
  const user = (opts.as ?? osUserName()).trim();
  if (user === '' || user === SHELL_BOT.userId) {
    say(`agent-bridge: --as needs a name other than "${SHELL_BOT.userId}"`);
    return 1;
  }
  const problems = await checkDependencies(config);
  if (problems.length > 0) {
    for (const problem of problems) say(`agent-bridge: ${problem.message}`);
    return 1;
  }
  await migrateDatabase(config.databaseUrl);
  const database = await openDatabase(config.databaseUrl);
  const store = openHotStore(config.databaseUrl);
  try {
    const { db } = database;
    const workspace = await ensureWorkspace(db, 'shell', SHELL_WORKSPACE);
    const agents = await listAgents(db, workspace.id);
    const names = new Map(agents.map((a) => [a.id, a.name]));
    const channelId = `dm-${user}`;
    const conversation = await ensureConversation(
      db,
      { platform: 'shell', workspaceId: workspace.id, channelId },
      'dm',
    );
    if (opts.agent !== undefined) {
      const agent = await findAgentByName(db, workspace.id, opts.agent);
      if (!agent?.isActive) {
        const known = agents.map((a) => a.name).join(', ') || '(none)';
        say(
          `No agent named ${opts.agent}. Agents: ${known}. Create one with: ${CREATE_HINT} ${opts.agent} role="..."`,
        );
        return 1;
      }
      await setActiveAgent(db, conversation.id, agent.id);
    } else if (agents.length === 0) {
      say(`There are no agents yet. Create one with: ${CREATE_HINT} Aria role="Friendly TypeScript mentor"`);
      return 1;
    }

    const rl = createInterface({
      input: opts.input,
      ...(opts.tty && { output: opts.output }),
      terminal: opts.tty,
      prompt: '> ',
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let [closed, interrupted] = [false, false];
    const prompt = () => opts.tty && !closed && rl.prompt(true);
    rl.on('close', () => (closed = true));
    const interrupt = () => {
      interrupted = true;
      rl.close();
    };
    rl.on('SIGINT', interrupt);
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);

    let typingAgent: string | undefined;
    const shell = new ShellAdapter({
      output: opts.output,
      tty: opts.tty,
      typingName: () => (typingAgent ? names.get(typingAgent) : undefined),
      onOutput: prompt,
    });
    const pipeline = createPipeline({
      settings: config,
      store,
      db,
      logger,
      adapters: { shell },
      role: 'all',
      // Its own queues: a `start` process on the same Redis has no shell adapter and must never
      // take the chat's jobs (nor the chat take its).
      prefix: opts.queuePrefix ?? 'ab-shell',
    });
    const replies = trackReplies(pipeline.bus, db, conversation.id);
    pipeline.bus.on('reply.decided', (event) => {
      if (event.conversationId === conversation.id && event.agentId) typingAgent = event.agentId;
    });

    const started = Date.now();
    let sent = 0;
    try {
      await shell.start();
      prompt();
      for await (const line of rl) {
        if (interrupted) break;
        if (line.trim() === '') {
          prompt();
          continue;
        }
        sent += 1;
        const message: InboundMessage = {
          platform: 'shell',
          workspaceId: SHELL_WORKSPACE,
          channelId,
          isDirect: true,
          author: { id: user, displayName: user, isBot: false },
          text: line,
          mentionedUserIds: [],
          platformMessageId: `${process.pid}-${started}-${sent}`,
          sentAt: new Date(),
        };
        try {
          const outcome = await pipeline.orchestrator.handleInbound(message);
          if (outcome.status === 'scheduled') replies.expect(outcome.agentId, outcome.messageId);
          else if (outcome.status !== 'notice') prompt();
        } catch (error) {
          say(`agent-bridge: could not send that message (${(error as Error).message})`);
          prompt();
        }
      }
      if (opts.tty) opts.output.write('\n');
      if (interrupted) return 130;
      const limitMs = waitLimitMs(config);
      if (await replies.settled(limitMs)) return 0;
      say(`agent-bridge: gave up waiting ${Math.round(limitMs / 1000)} s for ${replies.pending()} reply(s)`);
      return 1;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      rl.close();
      replies.stop();
      await pipeline.close();
      await shell.stop();
    }
  } finally {
    await store.close();
    await database.close();
  }
}

/**
 * Which agents still owe this DM a reply. A reply settles its agent's debt up to the newest
 * message its model call saw (a message sent while the previous reply was being written gets its
 * own). A delivered reply may address another agent: it counts until the orchestrator decided.
 */
function trackReplies(bus: EventBus<AgentBridgeEvents>, db: Db, conversationId: string) {
  const asked = new Map<string, number>();
  const answered = new Map<string, number>();
  const undecided = new Set<number>();
  let lookups = 0;
  let wake: (() => void) | undefined;
  const check = () => {
    for (const [agentId, messageId] of asked) {
      if ((answered.get(agentId) ?? 0) >= messageId) asked.delete(agentId);
    }
    if (asked.size === 0 && undecided.size === 0 && lookups === 0) wake?.();
  };
  const expect = (agentId: string, messageId: number) => {
    asked.set(agentId, Math.max(asked.get(agentId) ?? 0, messageId));
    check();
  };
  const offDecided = bus.on('reply.decided', (event) => {
    if (event.conversationId !== conversationId || !undecided.delete(event.messageId)) return;
    if (event.reply && event.agentId) expect(event.agentId, event.messageId);
    else check();
  });
  const offResponded = bus.on('agent.responded', async (event) => {
    if (event.conversationId !== conversationId) return;
    undecided.add(event.replyMessageId);
    lookups += 1;
    try {
      const upTo = (await answeredThrough(db, event.replyMessageId)) ?? Number.POSITIVE_INFINITY;
      answered.set(event.agentId, Math.max(answered.get(event.agentId) ?? 0, upTo));
    } finally {
      lookups -= 1;
      check();
    }
  });
  return {
    expect,
    pending: () => asked.size + undecided.size,
    /** Resolves true once nothing is owed, false after `limitMs`. */
    settled(limitMs: number): Promise<boolean> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), limitMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        check();
      });
    },
    stop() {
      offDecided();
      offResponded();
    },
  };
}

/** Every attempt may take the full model timeout, plus the backoffs between them and the debounce. */
function waitLimitMs(config: Config): number {
  const backoffs = config.jobBackoffMs * (2 ** Math.max(0, config.jobAttempts - 1) - 1);
  const total = config.llmTimeoutMs * config.jobAttempts + backoffs + config.debounceMs + 30_000;
  return Math.min(total, 2 ** 31 - 1);
}

/** The OS user name; `fallback` where there is none (no passwd entry in some containers). */
export function osUserName(fallback = 'you'): string {
  try {
    return userInfo().username || fallback;
  } catch {
    return fallback;
  }
}
