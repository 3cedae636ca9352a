/**
 * Workspace and user ids by their platform keys, remembered per process: every inbound message
 * needs both, and once created their rows never go away. A changed display name or bot flag is a
 * different key, so the store updates the row on the next message.
 */
import type { Platform } from '../core/types.ts';
import type { Db } from '../store/database.ts';
import { ensureUser, ensureWorkspace, type UserInput } from '../store/identities.ts';

const MAX_ENTRIES = 10_000;

export function createIdentityCache(db: Db) {
  const workspaces = new Map<string, string>();
  const users = new Map<string, string>();

  return {
    async workspaceId(platform: Platform, externalId: string): Promise<string> {
      const key = `${platform}\u0000${externalId}`;
      const known = workspaces.get(key);
      if (known) return known;
      const { id } = await ensureWorkspace(db, platform, externalId);
      return remember(workspaces, key, id);
    },
    async userId(input: UserInput): Promise<string> {
      const key = [input.platform, input.externalId, input.displayName, input.isBot].join('\u0000');
      const known = users.get(key);
      if (known) return known;
      const { id } = await ensureUser(db, input);
      return remember(users, key, id);
    },
  };
}

function remember(map: Map<string, string>, key: string, id: string): string {
  // Oldest first out: a Map iterates in insertion order.
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
  map.set(key, id);
  return id;
}
