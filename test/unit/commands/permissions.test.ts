import { describe, expect, it } from 'vitest';
import type { AgentVerb } from '../../../src/commands/command.ts';
import {
  type AgentCreator,
  checkPermission,
  isAdmin,
  maySeePrompt,
  type PermissionActor,
} from '../../../src/commands/permissions.ts';
import type { Platform } from '../../../src/core/types.ts';

const admins = [
  { platform: 'slack', userId: 'UADMIN' },
  { platform: 'discord', userId: '42' },
] as const;

const actor = (platform: Platform, platformUserId: string, isPlatformAdmin = false): PermissionActor => ({
  platform,
  platformUserId,
  isPlatformAdmin,
});
const ana: AgentCreator = { platform: 'slack', platformUserId: 'UANA', displayName: 'Ana' };

describe('isAdmin', () => {
  it.each<[string, PermissionActor, boolean]>([
    ['a listed Slack admin', actor('slack', 'UADMIN'), true],
    ['a listed Discord admin', actor('discord', '42'), true],
    ['a listed id on the other platform', actor('discord', 'UADMIN'), false],
    ['a Slack workspace admin', actor('slack', 'UBOB', true), true],
    ['a Discord member with Manage Server', actor('discord', '7', true), true],
    ['the shell operator', actor('shell', 'ana'), true],
    ['anyone else', actor('slack', 'UBOB'), false],
  ])('%s → %s', (_, who, expected) => {
    expect(isAdmin(who, admins)).toBe(expected);
  });
});

describe('checkPermission', () => {
  type Case = [
    verb: AgentVerb,
    who: PermissionActor,
    creation: 'anyone' | 'admins',
    creator: AgentCreator | null,
    expected: true | string,
  ];
  const bob = actor('slack', 'UBOB');
  const anaHerself = actor('slack', 'UANA');
  const adminRefusal = 'Only an admin can create agents here.';

  it.each<Case>([
    // create: anyone, unless AGENT_CREATION=admins
    ['create', bob, 'anyone', null, true],
    ['create', bob, 'admins', null, adminRefusal],
    ['create', actor('slack', 'UADMIN'), 'admins', null, true],
    ['create', actor('slack', 'UBOB', true), 'admins', null, true],
    ['create', actor('shell', 'ana'), 'admins', null, true],
    ['create', actor('discord', 'UADMIN'), 'admins', null, adminRefusal],
    // owner verbs: the creator or an admin
    ...(['edit', 'delete', 'pause', 'resume'] as const).flatMap((verb): Case[] => [
      [verb, anaHerself, 'anyone', ana, true],
      [verb, bob, 'anyone', ana, `Only Ana (the creator) or an admin can ${verb} Aria.`],
      [verb, actor('slack', 'UADMIN'), 'anyone', ana, true],
      [verb, actor('slack', 'UBOB', true), 'anyone', ana, true],
      [verb, actor('shell', 'ana'), 'anyone', ana, true],
      // The same user id on another platform is someone else.
      [verb, actor('discord', 'UANA'), 'anyone', ana, `Only Ana (the creator) or an admin can ${verb} Aria.`],
      [verb, bob, 'anyone', null, `Only an admin can ${verb} Aria.`],
      [verb, actor('slack', 'UADMIN'), 'anyone', null, true],
    ]),
    // everyone, even with AGENT_CREATION=admins
    ...(['list', 'show', 'use', 'help'] as const).flatMap((verb): Case[] => [
      [verb, bob, 'admins', ana, true],
      [verb, actor('discord', '9'), 'admins', null, true],
    ]),
  ])('%s by %o (creation %s, creator %o) → %s', (verb, who, creation, creator, expected) => {
    const result = checkPermission({
      verb,
      actor: who,
      admins,
      agentCreation: creation,
      agent: { name: 'Aria', creator },
    });
    expect(result).toEqual(expected === true ? { allowed: true } : { allowed: false, reason: expected });
  });

  it.each<
    [
      verb: 'join' | 'leave',
      who: PermissionActor,
      inChannel: boolean,
      creator: AgentCreator | null,
      expected: true | string,
    ]
  >([
    // Slack: typing the command in the channel makes the caller a member of it, which is enough.
    ['join', actor('slack', 'UBOB'), true, ana, true],
    ['leave', actor('slack', 'UBOB'), true, null, true],
    // Without the channel (not typed there) only the creator or an admin.
    [
      'join',
      actor('slack', 'UBOB'),
      false,
      ana,
      'Only Ana (the creator), an admin or a member of this channel can add Aria to this channel.',
    ],
    ['join', actor('slack', 'UANA'), false, ana, true],
    ['join', actor('slack', 'UADMIN'), false, ana, true],
    // Discord: being in the channel is not enough; Manage Channels there is.
    [
      'join',
      actor('discord', '9'),
      true,
      null,
      'Only an admin or a member with Manage Channels here can add Aria to this channel.',
    ],
    [
      'leave',
      actor('discord', '9'),
      true,
      { platform: 'discord', platformUserId: '5', displayName: 'Dee' },
      'Only Dee (the creator), an admin or a member with Manage Channels here can remove Aria from this channel.',
    ],
    ['join', { ...actor('discord', '9'), managesChannel: true }, true, null, true],
    ['leave', { ...actor('discord', '9'), managesChannel: true }, true, null, true],
    [
      'join',
      actor('discord', '5'),
      true,
      { platform: 'discord', platformUserId: '5', displayName: 'Dee' },
      true,
    ],
    ['join', actor('discord', '7', true), true, null, true],
    ['leave', actor('discord', '42'), true, null, true],
    ['join', actor('shell', 'ana'), false, null, true],
  ])('%s by %o (in the channel: %s, creator %o) → %s', (verb, who, inChannel, creator, expected) => {
    const result = checkPermission({
      verb,
      actor: who,
      admins,
      agentCreation: 'anyone',
      agent: { name: 'Aria', creator },
      inChannel,
    });
    expect(result).toEqual(expected === true ? { allowed: true } : { allowed: false, reason: expected });
  });

  it('falls back to the creator id when the display name is empty', () => {
    const result = checkPermission({
      verb: 'edit',
      actor: actor('slack', 'UBOB'),
      admins: [],
      agentCreation: 'anyone',
      agent: { name: 'Aria', creator: { ...ana, displayName: '' } },
    });
    expect(result).toEqual({ allowed: false, reason: 'Only UANA (the creator) or an admin can edit Aria.' });
  });
});

describe('maySeePrompt', () => {
  it.each<[string, PermissionActor, AgentCreator | null, boolean]>([
    ['the creator', actor('slack', 'UANA'), ana, true],
    ['someone else', actor('slack', 'UBOB'), ana, false],
    ['the same id on another platform', actor('discord', 'UANA'), ana, false],
    ['a listed admin', actor('slack', 'UADMIN'), ana, true],
    ['a workspace admin', actor('slack', 'UBOB', true), ana, true],
    [
      'a Discord member with Manage Channels only',
      { ...actor('discord', '9'), managesChannel: true },
      null,
      false,
    ],
    ['anyone, for an agent made outside any platform', actor('slack', 'UBOB'), null, false],
    ['the shell operator', actor('shell', 'ana'), ana, true],
  ])('%s → %s', (_, who, creator, expected) => {
    expect(maySeePrompt({ actor: who, admins, agent: { name: 'Aria', creator } })).toBe(expected);
  });
});
