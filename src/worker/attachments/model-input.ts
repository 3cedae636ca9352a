/**
 * The model's input with the files of each message added to its turn: pure. A turn without files
 * stays a plain string; a turn with an image becomes its text followed by one part per file; with
 * text files and notes only, it is one string. The turns returned say, as text, what the model saw
 * (they go to llm_messages).
 */
import type { ModelMessage } from 'ai';
import type { ContextTurn, ModelContext } from '../context-builder.ts';
import type { RenderedFile } from './render.ts';

export interface ModelInput {
  system: string;
  messages: ModelMessage[];
  turns: ContextTurn[];
}

export function withFiles(prompt: ModelContext, files: ReadonlyMap<number, RenderedFile[]>): ModelInput {
  const messages: ModelMessage[] = [];
  const turns: ContextTurn[] = [];
  for (const turn of prompt.turns) {
    const rendered = turn.role === 'user' ? files.get(turn.messageId) : undefined;
    if (!rendered || rendered.length === 0) {
      messages.push({ role: turn.role, content: turn.content } as ModelMessage);
      turns.push(turn);
      continue;
    }
    const seen = [turn.content, ...rendered.map((file) => file.seen)]
      .filter((line) => line.trim() !== '')
      .join('\n');
    if (rendered.every((file) => file.part.type === 'text')) {
      // Text only: one string, as every provider (and every OpenAI-compatible server) takes it.
      messages.push({ role: 'user', content: seen });
    } else {
      const text = turn.content.trim() === '' ? [] : [{ type: 'text' as const, text: turn.content }];
      messages.push({ role: 'user', content: [...text, ...rendered.map((file) => file.part)] });
    }
    turns.push({ ...turn, content: seen });
  }
  return { system: prompt.system, messages, turns };
}
