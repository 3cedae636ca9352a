/**
 * The hot store's lookups, remembered per process: workspaces, people, conversations, agents and
 * who joined which channel. Person ids never change once made (a new display name is a new key, and
 * the store updates the row). Everything else is dropped when a writer announces a change (`/agent` commands, in this process or another: see jobs/keys.ts `directoryChanges`), and
 * in any case after `ttlMs`, so a missed announcement costs at most that long.
 */
import type { Platform } from '../core/types.ts';
import type {
  AgentRecord,
  ConversationKey,
  ConversationKind,
  ConversationRecord,
  HotStore,
  UserRecordInput,
} from './hot/types.ts';

const DEFAULT_MAX_ENTRIES = 20_000;
const DEFAULT_TTL_MS = 60_000;

export interface DirectoryOptions {
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export interface Directory {
  /** The workspace's id, and whether the app was removed from it (remembered until a change). */
  workspace(platform: Platform, externalId: string): Promise<{ id: string; uninstalled: boolean }>;
  workspaceId(platform: Platform, externalId: string): Promise<string>;
  /** The ids of the workspaces among `externalIds` that exist. */
  workspaceIds(platform: Platform, externalIds: readonly string[]): Promise<string[]>;
  userId(input: UserRecordInput): Promise<string>;
  conversation(key: ConversationKey, kind: ConversationKind): Promise<ConversationRecord>;
  /** Live agents (paused included) of the workspaces. */
  agentsOf(workspaceIds: readonly string[]): Promise<AgentRecord[]>;
  /** An agent by id, deleted or not; null when it never existed. */
  agent(agentId: string): Promise<AgentRecord | null>;
  channelAgentIds(platform: Platform, channelId: string): Promise<string[]>;
  /** Agents, memberships, a DM's chosen agent or a workspace's installation changed: forget them. */
  forgetChanges(): void;
}

/** A bounded map of values that expire; concurrent misses share one load. */
class Memo<V> {
  private readonly values = new Map<string, { value: V; until: number }>();
  private readonly loading = new Map<string, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.values.get(key);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.value);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const loaded = load().then(
      (value) => {
        this.loading.delete(key);
        // Loaded before a change was announced: use it once, do not keep it.
        if (generation === this.generation) this.remember(key, value);
        return value;
      },
      (error: unknown) => {
        this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  set(key: string, value: V): void {
    this.remember(key, value);
  }

  clear(): void {
    this.generation += 1;
    this.values.clear();
    this.loading.clear();
  }

  private remember(key: string, value: V): void {
    this.values.delete(key);
    if (this.values.size >= this.maxEntries) this.values.delete(this.values.keys().next().value as string);
    this.values.set(key, { value, until: this.now() + this.ttlMs });
  }
}

export function createDirectory(store: HotStore, options: DirectoryOptions = {}): Directory {
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const forever = Number.POSITIVE_INFINITY;
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const workspaces = new Memo<{ id: string; uninstalled: boolean }>(max, forever, now);
  const users = new Memo<string>(max, forever, now);
  const conversations = new Memo<ConversationRecord>(max, ttl, now);
  const agentLists = new Memo<AgentRecord[]>(max, ttl, now);
  const agents = new Memo<AgentRecord | null>(max, ttl, now);
  const channels = new Memo<string[]>(max, ttl, now);
  const key = (...parts: Array<string | boolean>) => parts.join('\u0000');

  const workspace = (platform: Platform, externalId: string) =>
    workspaces.get(key(platform, externalId), () => store.ensureWorkspace(platform, externalId));

  return {
    workspace,
    workspaceId: async (platform, externalId) => (await workspace(platform, externalId)).id,

    async workspaceIds(platform, externalIds) {
      if (externalIds.length === 0) return [];
      // Only the ones that exist: a guild without agents has no row, and gets none here.
      return store.workspaceIds(platform, externalIds);
    },

    userId: (input) =>
      users.get(key(input.platform, input.externalId, input.displayName, input.isBot), () =>
        store.ensureUser(input),
      ),

    conversation: (conversationKey, kind) =>
      conversations.get(
        key(
          conversationKey.platform,
          conversationKey.workspaceId,
          conversationKey.channelId,
          conversationKey.threadId ?? '',
        ),
        () => store.ensureConversation(conversationKey, kind),
      ),

    async agentsOf(workspaceIds) {
      const lists = await Promise.all(
        workspaceIds.map((id) =>
          agentLists.get(id, async () => {
            const found = await store.agentsOf([id]);
            for (const agent of found) agents.set(agent.id, agent);
            return found;
          }),
        ),
      );
      return lists.flat();
    },

    agent: (agentId) => agents.get(agentId, () => store.agent(agentId)),

    channelAgentIds: (platform, channelId) =>
      channels.get(key(platform, channelId), () => store.channelAgentIds(platform, channelId)),

    forgetChanges() {
      workspaces.clear();
      conversations.clear();
      agentLists.clear();
      agents.clear();
      channels.clear();
    },
  };
}
