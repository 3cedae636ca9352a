/**
 * The per-message store: every SQL statement on the path from an inbound message to a delivered
 * reply, on prepared statements (SQLite: better-sqlite3; PostgreSQL: pg), with the same contract
 * for both. Prisma keeps the schema, the migrations and everything off this path.
 *
 * The reply intent lives on the message row (`pendingAgentId`): a message and its intent are one
 * write, so an acknowledged message can never be left without one. A reply clears the intents its
 * model call saw and links each answered message to it (`answeredById`); the chain key
 * (conversation, agent, afterReplyId) lets two runs of the same work store at most one reply.
 */
import type { Attachment } from '../../core/attachments.ts';
import type { Platform } from '../../core/types.ts';
import type { ReachFacts } from '../../core/workspace-reach.ts';
import type { BudgetLimits } from '../../usage/budget-limits.ts';

export type ConversationKind = 'dm' | 'channel' | 'thread';

export interface ConversationKey {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  /** "" or undefined: no thread. */
  threadId?: string | undefined;
}

export interface ConversationRecord {
  id: string;
  platform: Platform;
  workspaceId: string;
  channelId: string;
  /** "" when the conversation is not a thread. */
  threadId: string;
  kind: ConversationKind;
  activeAgentId: string | null;
}

export interface UserRecordInput {
  platform: Platform;
  externalId: string;
  displayName: string;
  isBot: boolean;
}

/** An agent as the message path needs it: addressing, selection, the model call, the post. */
export interface AgentRecord {
  id: string;
  workspaceId: string;
  name: string;
  role: string;
  backstory: string;
  goal: string;
  systemPrompt: string | null;
  status: 'active' | 'inactive';
  /** `provider:model` from the agent's model config, if it names one. */
  model: string | null;
  /** Slack's rotating working messages (`loading=`), from the same config. */
  loading?: string[];
  /** Replies stream while the model writes (on unless `/agent edit NAME stream=off`). */
  streamReplies: boolean;
  avatarUrl: string | null;
  maxConcurrentJobs: number;
  isActive: boolean;
  /** The app was removed from the agent's workspace: nothing is answered or posted there. */
  workspaceUninstalled: boolean;
  /** Spending limits of the agent and of its workspace (usage/budget-limits.ts); null: none. */
  budget?: BudgetLimits | null;
  workspaceBudget?: BudgetLimits | null;
}

export interface InboundRecord {
  conversationId: string;
  authorId: string;
  content: string;
  /** The stored attachment descriptors (core/attachments.ts), if the message carried files. */
  attachments?: string | null | undefined;
  platformMessageId: string;
  platformEventId?: string | undefined;
  sentAt: Date;
  /** The agent asked to answer it (the reply intent), if any. */
  pendingAgentId?: string | undefined;
}

export type InboundResult =
  | { stored: true; id: number; createdAt: Date }
  /** Already stored (a retry or redelivery): what became of it. */
  | { stored: false; existing: StoredInbound };

export interface StoredInbound {
  id: number;
  conversationId: string;
  /** Still waiting for this agent's reply. */
  pendingAgentId: string | null;
  answeredById: number | null;
}

export interface ContextMessage {
  id: number;
  content: string;
  agentId: string | null;
  agentName: string | null;
  authorId: string | null;
  authorName: string | null;
  /** The author's platform user id (Slack `U…`, Discord snowflake): who took part, for mentions. */
  authorExternalId?: string | null;
  authorIsBot: boolean;
  /** A reply: the highest message id its model call saw (what it answers). */
  answersThrough: number | null;
  /** Files the message carried (descriptors). */
  attachments?: Attachment[];
}

export interface ReplyContext {
  /** The last `limit` live messages of the conversation, oldest first (by id). */
  messages: ContextMessage[];
  /** Messages waiting for this agent's reply, as one snapshot with `messages`. */
  pendingIds: number[];
  /** The agent's latest reply in the conversation (0: none): the new reply's afterReplyId. */
  lastReplyId: number;
  /** Whose workspaces the conversation and the agent are in; absent when either row is missing. */
  reach?: ReachFacts;
}

export interface LlmTurnRecord {
  messageId: number;
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface ReplyRecord {
  conversationId: string;
  agentId: string;
  /** The message whose arrival scheduled the job. */
  triggerMessageId: number;
  /** From the context read: the reply is stored only if no other reply followed it meanwhile. */
  afterReplyId: number;
  /** The highest message id the model call saw. */
  answersThrough: number;
  /** The intents the model call saw: cleared and linked to this reply. */
  answeredIds: number[];
  text: string;
  queueJobId: string;
  attempts: number;
  startedAt: Date;
  /** `completed`: a model answer; `failed`: FAILURE_MESSAGE after the last attempt. */
  status: 'completed' | 'failed';
  error?: string | undefined;
  /** What the model was sent and answered (omitted for failures). */
  llm?:
    | {
        model: string;
        system: string;
        userTurns: LlmTurnRecord[];
        inputTokens?: number | undefined;
        outputTokens?: number | undefined;
      }
    | undefined;
}

export type StoreReplyResult =
  | { stored: true; id: number; createdAt: Date }
  /** Another run stored a reply after the same one first: this run's reply is dropped. */
  | { stored: false };

/** What delivering a stored reply needs, read back when a delivery is retried. */
export interface DeliveryRecord {
  id: number;
  conversationId: string;
  agentId: string;
  agentName: string;
  agentAvatarUrl: string | null;
  content: string;
  createdAt: Date;
  deliveredAt: Date | null;
  postedParts: string[];
  /** The reply's place in its chain: with the conversation and agent, its streamed-reply key. */
  afterReplyId: number | null;
  platform: Platform;
  channelId: string;
  threadId: string;
  kind: ConversationKind;
  workspaceExternalId: string;
  replyToPlatformMessageId: string | null;
  /** The app was removed from the workspace: the reply is not posted. */
  workspaceUninstalled: boolean;
}

/** An author turn as the loop guard reads it. */
export interface TurnRecord {
  agentId: string | null;
  isBot: boolean;
}

export interface OpenIntent {
  conversationId: string;
  agentId: string;
  /** The newest message waiting for the agent, and its platform id. */
  messageId: number;
  platformMessageId: string | null;
  /** When the oldest waiting message was stored. */
  since: Date;
  platform: Platform;
  channelId: string;
  threadId: string;
  kind: ConversationKind;
  workspaceExternalId: string;
}

export interface UndeliveredReply {
  id: number;
  /** The reply job that stored it: while that job runs, it is delivering the reply itself. */
  queueJobId: string | null;
}

export interface MessageChangeRecord {
  platform: Platform;
  workspaceExternalId: string;
  channelId: string;
  platformMessageId: string;
  /** An edit's new text; undefined: the message was deleted. */
  text?: string | undefined;
}

export interface HotStore {
  readonly provider: 'sqlite' | 'postgresql';

  // Lookups behind the caches (a miss, then remembered).
  /** The workspace's id (made on first sight), and whether the app was removed from it. */
  ensureWorkspace(platform: Platform, externalId: string): Promise<{ id: string; uninstalled: boolean }>;
  ensureUser(input: UserRecordInput): Promise<string>;
  ensureConversation(key: ConversationKey, kind: ConversationKind): Promise<ConversationRecord>;
  workspaceIds(platform: Platform, externalIds: readonly string[]): Promise<string[]>;
  workspaceExternalId(workspaceId: string): Promise<string | null>;
  agentsOf(workspaceIds: readonly string[]): Promise<AgentRecord[]>;
  agent(agentId: string): Promise<AgentRecord | null>;
  channelAgentIds(platform: Platform, channelId: string): Promise<string[]>;

  // Ingest: one write per batch of neighbours, message and intent together.
  insertInbound(batch: readonly InboundRecord[]): Promise<InboundResult[]>;
  recentTurns(conversationId: string, count: number): Promise<TurnRecord[]>;
  /** An agent's reply addresses another agent: it now waits for that agent's answer. */
  markPending(messageId: number, agentId: string): Promise<boolean>;
  applyChange(change: MessageChangeRecord): Promise<number>;

  // Reply.
  readContext(conversationId: string, agentId: string, limit: number): Promise<ReplyContext>;
  storeReply(record: ReplyRecord): Promise<StoreReplyResult>;
  /**
   * A failed attempt: the job record says so. `final`: no retry follows (status failed), e.g. the
   * app was removed from the workspace; otherwise it stays queued for the next attempt.
   */
  recordAttempt(record: {
    final?: boolean;
    queueJobId: string;
    conversationId: string;
    agentId: string;
    triggerMessageId: number;
    attempts: number;
    error: string;
  }): Promise<void>;
  /** The agent was paused or deleted: its waiting intents in the conversation are dropped. */
  releaseIntents(conversationId: string, agentId: string): Promise<number>;

  // Delivery.
  readDelivery(replyId: number): Promise<DeliveryRecord | null>;
  /** Records the parts posted so far (and, with the last, that the reply is delivered). */
  recordPosted(replyId: number, postedParts: readonly string[], delivered: boolean): Promise<void>;
  /**
   * The platform refused the reply for good (its channel is gone): the reply is no longer live (the
   * sweeper stops delivering it, the next context leaves it out) and its job records why.
   */
  recordUndeliverable(replyId: number, reason: string): Promise<void>;

  // Sweeper.
  openIntents(storedBefore: Date, limit: number): Promise<OpenIntent[]>;
  undeliveredReplies(storedBefore: Date, storedAfter: Date, limit: number): Promise<UndeliveredReply[]>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown when SQLite stayed locked by another writer past the retry budget. */
export class StoreBusyError extends Error {}

/** Every statement a hot store runs (BEGIN and COMMIT included) can be observed: budgets, traces. */
export type StatementObserver = (sql: string) => void;

/** Intents one reply may answer at most (the context read returns no more). */
export const PENDING_LIMIT = 1000;
