/**
 * `/agent` in a Discord DM: the DM reaches the agents of the servers its user shares with the bot
 * (`dmWorkspaceExternalIds`), so use, list and show look across them; create is refused there.
 */
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/commands/command.ts';
import { auditTrail } from '../../../src/store/agents.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { ana, bob, workspace } from './command-harness.ts';

const AMBIGUOUS =
  'Nova exists in several servers: Guild A, Guild B. Ask in the server you mean, or use another name.';

describe.each(providers)('/agent in a discord DM on %s', (provider) => {
  const t = useTestDatabase(provider);
  const db = () => t.current.db;

  /**
   * Guild A (Aria, Nova; its name stored), guild B (Nova; named by the adapter only), guild C
   * (Orion; not shared), and the DM workspace (a fresh one per test, standing for `@dm`).
   */
  async function servers() {
    const [a, b, c, dms] = [0, 1, 2, 3].map(() => workspace(db, 'discord'));
    if (!a || !b || !c || !dms) throw new Error('four workspaces expected');
    await a.run(ana, 'create Aria role=mentor', 'C1', { workspaceName: 'Guild A' });
    await a.run(ana, 'create Nova', 'C1');
    await b.run(ana, 'create Nova', 'C2');
    await c.run(ana, 'create Orion', 'C3');
    /** The context the Discord adapter gives a DM of someone in these guilds. */
    const sharing = (...guilds: Array<typeof a>): Partial<CommandContext> => ({
      dmWorkspaceExternalIds: guilds.map((guild) => guild.externalId),
      dmWorkspaceNames: { [b.externalId]: 'Guild B' },
    });
    return { a, b, dms, sharing };
  }

  it('use picks a shared server’s agent for this DM; an unknown name lists the agents; one in several servers asks', async () => {
    const { a, b, dms, sharing } = await servers();
    const inDm = sharing(a, b);
    expect(await dms.run(bob, 'use aria', 'dm', inDm)).toEqual({
      ok: true,
      text: 'Aria answers in this DM now.',
    });
    const conversation = await db().conversation.findFirstOrThrow({
      where: { workspaceId: await dms.id(), channelId: 'D-UBOB' },
    });
    const aria = await a.agent('Aria');
    expect(conversation).toMatchObject({ platform: 'discord', kind: 'dm', activeAgentId: aria?.id });
    expect((await auditTrail(db(), aria?.id ?? '')).map((e) => e.action)).toEqual(['create', 'use']);
    expect(await dms.run(bob, 'use Aria', 'dm', inDm)).toEqual({
      ok: true,
      text: 'Aria already answers in this DM.',
    });

    expect(await dms.run(bob, 'use Orion', 'dm', inDm)).toEqual({
      ok: false,
      text: 'No agent named Orion in the servers you share with the bot. Agents: Aria, Nova.',
    });
    expect(await dms.run(bob, 'use nova', 'dm', inDm)).toEqual({ ok: false, text: AMBIGUOUS });
    expect(await dms.run(bob, 'show Nova', 'dm', inDm)).toEqual({ ok: false, text: AMBIGUOUS });
    const after = await db().conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(after.activeAgentId).toBe(aria?.id);

    // Sharing one of the two servers only, the name is no longer ambiguous.
    expect(await dms.run(bob, 'use Nova', 'dm', sharing(b))).toEqual({
      ok: true,
      text: 'Nova answers in this DM now.',
    });
    const nova = await b.agent('Nova');
    const chosen = await db().conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(chosen.activeAgentId).toBe(nova?.id);

    const show = await dms.run(bob, 'show aria', 'dm', inDm);
    expect(show).toMatchObject({ ok: true, title: 'Aria', text: expect.stringMatching(/^Created by Ana/) });
    expect(show.fields?.slice(0, 3)).toEqual([
      { label: 'Server', value: 'Guild A' },
      { label: 'Status', value: 'active' },
      { label: 'Role', value: 'mentor' },
    ]);
  });

  it('list shows the agents of the shared servers, marked with their server when several have some', async () => {
    const { a, b, dms, sharing } = await servers();
    const both = await dms.run(bob, 'list', 'dm', sharing(a, b));
    expect(both).toMatchObject({ ok: true, text: '3 agents in the servers you share with the bot.' });
    expect(both.rows?.map((row) => [row.name, row.role])).toEqual([
      ['Aria (Guild A)', 'mentor'],
      ['Nova (Guild A)', ''],
      ['Nova (Guild B)', ''],
    ]);

    const one = await dms.run(bob, 'list', 'dm', sharing(b));
    expect(one).toMatchObject({ ok: true, text: '1 agent in the servers you share with the bot.' });
    expect(one.rows?.map((row) => row.name)).toEqual(['Nova']);

    expect(await dms.run(bob, 'list', 'dm', sharing())).toEqual({
      ok: true,
      text: 'No agents: you share no server with the bot yet. Agents live in servers: create one in a server channel with /agent create name:Aria role:…',
    });
    expect(await dms.run(bob, 'use Nova', 'dm', sharing())).toEqual({
      ok: false,
      text: 'No agent named Nova: you share no server with the bot yet. Agents live in servers: create one in a server channel with /agent create name:Nova role:…',
    });
  });

  it('create is refused in a discord DM, before anything is written; elsewhere DMs still create', async () => {
    const { a, dms, sharing } = await servers();
    const refusal = { ok: false, text: 'Create agents in a server channel, so its members can use them.' };
    expect(await dms.run(bob, 'create Vega role=guide', 'dm', sharing(a))).toEqual(refusal);
    expect(await dms.run(bob, 'create Vega', 'dm', sharing())).toEqual(refusal);
    expect(await db().workspace.count({ where: { externalId: dms.externalId } })).toBe(0);

    // Slack DMs (no servers to reach) keep creating agents where they are typed.
    const slack = workspace(db);
    expect((await slack.run(bob, 'create Vega', 'dm')).text).toMatch(/^Created Vega .*: talk to it here\.$/);
  });

  it('the other verbs in a discord DM act on the DM workspace as before', async () => {
    const { a, dms, sharing } = await servers();
    expect(await dms.run(ana, 'pause Aria', 'dm', sharing(a))).toMatchObject({
      ok: false,
      text: expect.stringMatching(/^No agent named Aria here/),
    });
    expect((await a.agent('Aria'))?.status).toBe('active');
  });
});
