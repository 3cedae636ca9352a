/**
 * Who a Slack user is (name, workspace admin or owner), from users.info, cached briefly: names
 * label turns in the model's context, admin status gates `/agent` management.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../../logger.ts';

export interface SlackUserInfo {
  displayName: string;
  isAdmin: boolean;
}

export interface UserDirectory {
  /** Never throws: an unknown user (or an API failure) is its id and not an admin. */
  lookup(userId: string): Promise<SlackUserInfo>;
  /** What is known now, without asking Slack. */
  peek(userId: string): SlackUserInfo | undefined;
}

export function createUserDirectory(
  client: webApi.WebClient,
  logger: Logger,
  options: { ttlMs?: number; maxEntries?: number } = {},
): UserDirectory {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 5000;
  const cache = new Map<string, { info: SlackUserInfo; until: number }>();
  const inFlight = new Map<string, Promise<SlackUserInfo>>();

  function remember(userId: string, info: SlackUserInfo): SlackUserInfo {
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value ?? '');
    cache.set(userId, { info, until: Date.now() + ttlMs });
    return info;
  }

  async function fetchUser(userId: string): Promise<SlackUserInfo> {
    try {
      const { user } = await client.users.info({ user: userId });
      const info: SlackUserInfo = {
        displayName:
          user?.profile?.display_name?.trim() ||
          user?.real_name?.trim() ||
          user?.profile?.real_name?.trim() ||
          user?.name?.trim() ||
          userId,
        isAdmin: Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner),
      };
      return remember(userId, info);
    } catch (error) {
      // Remembered too: a missing users:read scope must not cost a call per message.
      logger.warn({ err: error, userId }, 'slack users.info failed');
      return remember(userId, { displayName: userId, isAdmin: false });
    }
  }

  return {
    peek(userId) {
      const hit = cache.get(userId);
      return hit && hit.until > Date.now() ? hit.info : undefined;
    },
    lookup(userId) {
      const hit = cache.get(userId);
      if (hit && hit.until > Date.now()) return Promise.resolve(hit.info);
      const pending = inFlight.get(userId);
      if (pending) return pending;
      const request = fetchUser(userId).finally(() => inFlight.delete(userId));
      inFlight.set(userId, request);
      return request;
    },
  };
}
