/**
 * Provider records against both databases: stored sealed, resolved per workspace (own record, then
 * global, never another workspace's), cached until a change, rotated across two keys, and not
 * removable while agents use them.
 */
import { describe, expect, it } from 'vitest';
import { keyringOf } from '../../src/providers/keyring.ts';
import { addProvider, checkProviderInput, removeProvider } from '../../src/providers/manage.ts';
import { rotateProviderKeys } from '../../src/providers/rotate.ts';
import { createAgent } from '../../src/store/agents.ts';
import { ensureWorkspace } from '../../src/store/identities.ts';
import { findProviderFor, GLOBAL_SCOPE, type ProviderRow } from '../../src/store/providers.ts';
import { isModelCallError } from '../../src/worker/llm-call.ts';
import { createProviderResolver } from '../../src/worker/providers/resolver.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const firstKeyring = keyringOf({ secretKey: TEST_SECRETS.secretKey, previousSecretKeys: [] });
const rotatingKeyring = keyringOf({
  secretKey: TEST_SECRETS.nextSecretKey,
  previousSecretKeys: [TEST_SECRETS.secretKey],
});
const secondOnly = keyringOf({ secretKey: TEST_SECRETS.nextSecretKey, previousSecretKeys: [] });
const creator = { label: 'cli:test' };

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}${Math.random().toString(36).slice(2, 6)}`;

for (const provider of providers) {
  describe(`provider records (${provider})`, () => {
    const database = useTestDatabase(provider);
    const db = () => database.current.db;

    async function add(
      workspaceId: string,
      name: string,
      apiKey = TEST_SECRETS.anthropicApiKey,
      keyring = firstKeyring,
    ) {
      const checked = checkProviderInput(
        { name, kind: 'anthropic', apiKey, baseUrl: 'http://127.0.0.1:9/v1' },
        keyring,
      );
      if (!checked.ok) throw new Error(checked.error);
      const added = await addProvider(db(), keyring, workspaceId, checked.value, creator);
      if (!added.ok) throw new Error(added.error);
      return added.value;
    }

    const workspaceId = async () => (await ensureWorkspace(db(), 'slack', unique('T'))).id;

    it('stores the key sealed: no column holds it, only its last 4 characters', async () => {
      const ws = await workspaceId();
      const row = await add(ws, 'team-claude');
      const raw = JSON.stringify(await db().providerRecord.findUniqueOrThrow({ where: { id: row.id } }));
      expect(raw).not.toContain(TEST_SECRETS.anthropicApiKey);
      expect(row.keyLast4).toBe(TEST_SECRETS.anthropicApiKey.slice(-4));
      expect(row.keyId).toBe(firstKeyring.current?.id);
    });

    it("resolves a workspace's own record first, then a global one, never another workspace's", async () => {
      const [mine, other] = [await workspaceId(), await workspaceId()];
      const name = unique('shared');
      const own = await add(mine, name);
      const global = await add(GLOBAL_SCOPE, name);
      const onlyMine = unique('private');
      await add(mine, onlyMine);
      expect((await findProviderFor(db(), mine, name))?.id).toBe(own.id);
      expect((await findProviderFor(db(), other, name))?.id).toBe(global.id);
      expect(await findProviderFor(db(), other, onlyMine)).toBeNull();

      const resolver = createProviderResolver(db(), firstKeyring);
      const model = await resolver.model(mine, onlyMine, 'claude-x');
      expect(model.provider).toContain('anthropic');
      const refused = await resolver.model(other, onlyMine, 'claude-x').catch((error: unknown) => error);
      expect(isModelCallError(refused) && refused.kind === 'fatal').toBe(true);
      expect((refused as Error).message).toContain(`no provider named "${onlyMine}" here`);
    });

    it('reads a record once until a change is announced, then again', async () => {
      const ws = await workspaceId();
      const name = unique('cached');
      await add(ws, name);
      const reads: string[] = [];
      const resolver = createProviderResolver(db(), firstKeyring, {
        find: (w, n) => {
          reads.push(n);
          return findProviderFor(db(), w, n);
        },
      });
      const first = await resolver.model(ws, name, 'm');
      expect(await resolver.model(ws, name, 'm')).toBe(first);
      await resolver.model(ws, name, 'other-model');
      expect(reads).toHaveLength(1);
      resolver.forget();
      expect(await resolver.model(ws, name, 'm')).not.toBe(first);
      expect(reads).toHaveLength(2);
    });

    it('rotates every record across two keys without a moment where a process cannot read one', async () => {
      const ws = await workspaceId();
      const rows = [await add(ws, unique('rot')), await add(GLOBAL_SCOPE, unique('rot'))];
      // Mid-rotation: a process with the new key current and the old one previous reads old records.
      const midway = createProviderResolver(db(), rotatingKeyring);
      for (const row of rows) await midway.model(row.workspaceId || ws, row.name, 'm');

      const result = await rotateProviderKeys(db(), rotatingKeyring);
      expect(result.failed).toEqual([]);
      expect(result.resealed).toBeGreaterThanOrEqual(2);
      for (const row of rows) {
        const stored = await db().providerRecord.findUniqueOrThrow({ where: { id: row.id } });
        expect(stored.keyId).toBe(secondOnly.current?.id);
        expect(stored.version).toBe(row.version);
      }
      // Afterwards the old key can go.
      const after = createProviderResolver(db(), secondOnly);
      for (const row of rows) await after.model(row.workspaceId || ws, row.name, 'm');
      expect((await rotateProviderKeys(db(), secondOnly)).resealed).toBe(0);
    });

    it('a record read with a wrong key fails with one line naming it and the key id it needs', async () => {
      const ws = await workspaceId();
      const row: ProviderRow = await add(ws, unique('wrong'));
      const resolver = createProviderResolver(db(), secondOnly);
      const error = await resolver.model(ws, row.name, 'm').catch((caught: unknown) => caught);
      expect(isModelCallError(error) && error.code === 'config').toBe(true);
      const message = (error as Error).message;
      expect(message).toContain(`provider "${row.name}" (workspace ${ws})`);
      expect(message).toContain(`secret key id ${firstKeyring.current?.id}`);
      expect(message).not.toContain('\n');
    });

    it('refuses a key without AGENT_BRIDGE_SECRET_KEY, and names that shadow a built-in', () => {
      const none = keyringOf({ secretKey: undefined, previousSecretKeys: [] });
      const refused = checkProviderInput({ name: 'mine', kind: 'anthropic', apiKey: 'k-123456789' }, none);
      expect(refused).toEqual({
        ok: false,
        error:
          'cannot store a key: set AGENT_BRIDGE_SECRET_KEY to 32 random bytes in base64, e.g. AGENT_BRIDGE_SECRET_KEY="$(openssl rand -base64 32)"',
      });
      for (const name of ['google', 'Local', 'offline']) {
        const shadow = checkProviderInput({ name, kind: 'anthropic', apiKey: 'k-123456789' }, firstKeyring);
        expect(shadow.ok ? '' : shadow.error).toMatch(/is a built-in provider/);
      }
    });

    it('refuses to remove a provider agents use, naming them; removes it once they moved', async () => {
      const ws = await workspaceId();
      const name = unique('used');
      await add(ws, name);
      const agent = await createAgent(
        db(),
        { workspaceId: ws, name: 'Aria', modelConfig: { model: `${name}:claude-x` } },
        creator,
      );
      await createAgent(
        db(),
        { workspaceId: ws, name: 'Bea', modelConfig: { model: 'offline:echo' } },
        creator,
      );
      const refused = await removeProvider(db(), ws, name);
      expect(refused).toEqual({
        ok: false,
        error: `${name} is in use by Aria: change their model first (edit NAME model=...).`,
      });
      await db().agent.update({ where: { id: agent.id }, data: { modelConfig: { model: 'offline:echo' } } });
      expect((await removeProvider(db(), ws, name)).ok).toBe(true);
      expect(await findProviderFor(db(), ws, name)).toBeNull();
    });

    it('a global provider is in use by agents of workspaces without their own record of that name', async () => {
      const [plain, shadowing] = [await workspaceId(), await workspaceId()];
      const name = unique('glob');
      await add(GLOBAL_SCOPE, name);
      await add(shadowing, name);
      await createAgent(
        db(),
        { workspaceId: shadowing, name: 'Own', modelConfig: { model: `${name}:m` } },
        creator,
      );
      expect((await removeProvider(db(), GLOBAL_SCOPE, name)).ok).toBe(true);
      await add(GLOBAL_SCOPE, name);
      await createAgent(
        db(),
        { workspaceId: plain, name: 'Uses', modelConfig: { model: `${name}:m` } },
        creator,
      );
      const refused = await removeProvider(db(), GLOBAL_SCOPE, name);
      expect(refused.ok ? '' : refused.error).toMatch(/in use by Uses:/);
    });
  });
}
