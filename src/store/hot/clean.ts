/**
 * Every text the per-message store writes passes cleanStoredText (core/clean-text.ts): inbound
 * messages, edits, replies, what the model was sent, names and failure reasons. One wrapper around
 * either provider, so no entry point can forget it, and no statement is added.
 */
import { cleanStoredText } from '../../core/clean-text.ts';
import type { HotStore } from './types.ts';

export function withCleanText(store: HotStore): HotStore {
  const clean = cleanStoredText;
  const overrides: Partial<HotStore> = {
    ensureUser: (input) => store.ensureUser({ ...input, displayName: clean(input.displayName) }),
    insertInbound: (batch) =>
      store.insertInbound(batch.map((record) => ({ ...record, content: clean(record.content) }))),
    applyChange: (change) =>
      store.applyChange(change.text === undefined ? change : { ...change, text: clean(change.text) }),
    storeReply: (record) =>
      store.storeReply({
        ...record,
        text: clean(record.text),
        ...(record.error !== undefined && { error: clean(record.error) }),
        ...(record.llm && {
          llm: {
            ...record.llm,
            system: clean(record.llm.system),
            userTurns: record.llm.userTurns.map((turn) => ({ ...turn, content: clean(turn.content) })),
          },
        }),
      }),
    recordAttempt: (record) => store.recordAttempt({ ...record, error: clean(record.error) }),
    recordUndeliverable: (replyId, reason) => store.recordUndeliverable(replyId, clean(reason)),
  };
  // A plain object, like the stores themselves: callers may spread it (tests wrap methods so).
  return { ...store, ...overrides };
}
