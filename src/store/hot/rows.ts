/** Store rows to records, for both providers: they differ only in how booleans and times arrive. */
import { decodeAttachments } from '../../core/attachments.ts';
import type { Platform } from '../../core/types.ts';
import { budgetOf } from '../../usage/budget-limits.ts';
import type {
  AgentRecord,
  ContextMessage,
  ConversationKind,
  ConversationRecord,
  DeliveryRecord,
  OpenIntent,
  ReplyContext,
  StoredInbound,
  TurnRecord,
  UndeliveredReply,
} from './types.ts';
import { loadingOf, modelOf, parseParts, streamsOf } from './values.ts';

function withLoading(modelConfig: unknown): { loading?: string[] } {
  const loading = loadingOf(modelConfig);
  return loading ? { loading } : {};
}

export type Row = Record<string, unknown>;

export interface ColumnReader {
  /** SQLite: 0/1; PostgreSQL: booleans. */
  bool(value: unknown): boolean;
  /** SQLite: ISO text; PostgreSQL: Date (parsed as UTC). */
  time(value: unknown): Date;
}

const text = (value: unknown): string | null => (value as string | null) ?? null;

export function rowReaders(read: ColumnReader) {
  return {
    conversation: (row: Row): ConversationRecord => ({
      id: row.id as string,
      platform: row.platform as Platform,
      workspaceId: row.workspaceId as string,
      channelId: row.channelId as string,
      threadId: row.threadId as string,
      kind: row.kind as ConversationKind,
      activeAgentId: text(row.activeAgentId),
    }),

    agent: (row: Row): AgentRecord => ({
      id: row.id as string,
      workspaceId: row.workspaceId as string,
      name: row.name as string,
      role: row.role as string,
      backstory: row.backstory as string,
      goal: row.goal as string,
      systemPrompt: text(row.systemPrompt),
      status: row.status === 'inactive' ? 'inactive' : 'active',
      model: modelOf(row.modelConfig),
      ...withLoading(row.modelConfig),
      streamReplies: streamsOf(row.modelConfig),
      avatarUrl: text(row.avatarUrl),
      maxConcurrentJobs: row.maxConcurrentJobs as number,
      isActive: read.bool(row.isActive),
      workspaceUninstalled: read.bool(row.workspaceUninstalled),
      budget: budgetOf(row.budget),
      workspaceBudget: budgetOf(row.workspaceBudget),
    }),

    storedInbound: (row: Row): StoredInbound => ({
      id: row.id as number,
      conversationId: row.conversationId as string,
      pendingAgentId: text(row.pendingAgentId),
      answeredById: (row.answeredById as number | null) ?? null,
    }),

    turn: (row: Row): TurnRecord => ({
      agentId: text(row.agentId),
      isBot: row.agentId !== null || read.bool(row.isBot),
    }),

    /** The three parts of the context read: the window (0), waiting intents (1), the last reply (2). */
    context(rows: Row[]): ReplyContext {
      const context: ReplyContext = { messages: [], pendingIds: [], lastReplyId: 0 };
      for (const row of rows) {
        if (row.part === 0) {
          const message: ContextMessage = {
            id: row.id as number,
            content: row.content as string,
            agentId: text(row.agentId),
            agentName: text(row.agentName),
            authorId: text(row.authorId),
            authorName: text(row.authorName),
            authorExternalId: text(row.authorExternalId),
            authorIsBot: read.bool(row.authorIsBot),
            answersThrough: (row.answersThrough as number | null) ?? null,
          };
          const attachments = decodeAttachments(row.attachments);
          if (attachments.length > 0) message.attachments = attachments;
          context.messages.push(message);
        } else if (row.part === 1) context.pendingIds.push(row.id as number);
        else if (row.part === 2) context.lastReplyId = (row.id as number | null) ?? 0;
        else {
          context.reach = {
            conversationWorkspaceId: row.content as string,
            conversationWorkspaceExternalId: row.agentId as string,
            conversationPlatform: row.agentName as Platform,
            agentWorkspaceId: row.authorId as string,
            agentPlatform: row.authorName as Platform,
          };
        }
      }
      context.messages.reverse();
      return context;
    },

    delivery: (row: Row): DeliveryRecord => ({
      id: row.id as number,
      conversationId: row.conversationId as string,
      agentId: row.agentId as string,
      agentName: row.agentName as string,
      agentAvatarUrl: text(row.agentAvatarUrl),
      content: row.content as string,
      createdAt: read.time(row.createdAt),
      deliveredAt: row.deliveredAt ? read.time(row.deliveredAt) : null,
      postedParts: parseParts(row.postedParts),
      afterReplyId: (row.afterReplyId as number | null) ?? null,
      platform: row.platform as Platform,
      channelId: row.channelId as string,
      threadId: row.threadId as string,
      kind: row.kind as ConversationKind,
      workspaceExternalId: row.workspaceExternalId as string,
      replyToPlatformMessageId: text(row.replyToPlatformMessageId),
      workspaceUninstalled: read.bool(row.workspaceUninstalled),
    }),

    openIntent: (row: Row): OpenIntent => ({
      conversationId: row.conversationId as string,
      agentId: row.agentId as string,
      messageId: row.messageId as number,
      platformMessageId: text(row.platformMessageId),
      since: read.time(row.since),
      platform: row.platform as Platform,
      channelId: row.channelId as string,
      threadId: row.threadId as string,
      kind: row.kind as ConversationKind,
      workspaceExternalId: row.workspaceExternalId as string,
    }),

    undelivered: (row: Row): UndeliveredReply => ({
      id: row.id as number,
      queueJobId: text(row.queueJobId),
    }),
  };
}
