/**
 * What the model sees: the agent's system prompt, then the stored conversation, oldest first,
 * one turn per message. Pure: the caller maps store rows to ContextMessage.
 */
import type { ModelMessage } from 'ai';

export interface ContextMessage {
  id: number;
  content: string;
  /** Set when the message is a reply posted by an agent (this one or another). */
  agentId: string | null;
  agentName?: string | null;
  authorId: string | null;
  authorName?: string | null;
  authorIsBot?: boolean;
  /** A reply: the highest message id its model call saw. It is shown right after that message. */
  answersThrough?: number | null;
  /** Files the message carried: a message with files and no text is still a turn. */
  attachments?: readonly unknown[] | undefined;
}

export interface ContextTurn {
  /** The stored message this turn comes from. */
  messageId: number;
  role: 'user' | 'assistant';
  content: string;
}

export interface ModelContextInput {
  agent: { id: string; name: string };
  systemPrompt: string;
  /** The conversation window, oldest first. */
  messages: ContextMessage[];
}

export interface ModelContext {
  system: string;
  /** Never ends with an assistant turn; empty when the window holds no user turn at all. */
  messages: ModelMessage[];
  /** `messages`, one to one, with the source message id. */
  turns: ContextTurn[];
}

interface Speaker {
  key: string;
  name: string;
}

/**
 * Oldest first, except that a reply follows the last message its model call saw. A message sent
 * while a reply was being generated is stored before that reply; by id the reply would come after
 * it, as if it answered it, and a trailing own reply is dropped below: the next call would not see
 * its own answer to the earlier question at all.
 */
function inAnswerOrder(messages: ContextMessage[]): ContextMessage[] {
  const position = (m: ContextMessage) => m.answersThrough ?? m.id;
  return [...messages].sort(
    (a, b) =>
      position(a) - position(b) ||
      Number(a.answersThrough != null) - Number(b.answersThrough != null) ||
      a.id - b.id,
  );
}

/** Another agent is one participant however it posts (shared bot user, webhook); humans by user id. */
function speakerOf(message: ContextMessage): Speaker {
  if (message.agentId !== null) {
    return { key: `agent:${message.agentId}`, name: displayName(message.agentName ?? message.authorName) };
  }
  const key = message.authorId === null ? 'author:?' : `author:${message.authorId}`;
  return { key, name: displayName(message.authorName ?? message.authorId) };
}

/** A name is one line: a newline in a display name must not forge another speaker's line. */
function displayName(name: string | null | undefined): string {
  const clean = (name ?? '').replace(/\s+/g, ' ').trim();
  return clean === '' ? 'Someone' : clean;
}

export function buildModelContext(input: ModelContextInput): ModelContext {
  const live = inAnswerOrder(
    input.messages.filter(
      (message) => message.content.trim() !== '' || (message.attachments?.length ?? 0) > 0,
    ),
  );
  const isOwn = (message: ContextMessage): boolean => message.agentId === input.agent.id;

  const participants = new Set(live.filter((message) => !isOwn(message)).map((m) => speakerOf(m).key));
  const prefixed = participants.size >= 2;

  const turns: ContextTurn[] = live.map((message) => {
    if (isOwn(message)) return { messageId: message.id, role: 'assistant', content: message.content };
    const content = prefixed ? `${speakerOf(message).name}: ${message.content}` : message.content;
    return { messageId: message.id, role: 'user', content };
  });

  // The job answers a user message, so the window normally ends with one. Trailing own replies
  // (a job retried after its reply was stored, or a window cut oddly) are dropped so the model
  // answers the last user turn again instead of "continuing" its own reply, which providers
  // either reject or treat as a prefill to continue.
  while (turns.at(-1)?.role === 'assistant') turns.pop();

  return {
    system: input.systemPrompt,
    messages: turns.map((turn): ModelMessage => ({ role: turn.role, content: turn.content })),
    turns,
  };
}
