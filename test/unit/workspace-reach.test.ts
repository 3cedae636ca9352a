import { describe, expect, it } from 'vitest';
import { mayReach, type ReachFacts } from '../../src/core/workspace-reach.ts';

const facts = (over: Partial<ReachFacts>): ReachFacts => ({
  conversationWorkspaceId: 'w1',
  conversationWorkspaceExternalId: 'T1',
  conversationPlatform: 'slack',
  agentWorkspaceId: 'w1',
  agentPlatform: 'slack',
  ...over,
});

describe('mayReach', () => {
  const cases: [string, ReachFacts | undefined, boolean][] = [
    ['same workspace', facts({}), true],
    ['another Slack workspace', facts({ agentWorkspaceId: 'w2' }), false],
    [
      'a Discord DM reaching a guild agent',
      facts({
        conversationPlatform: 'discord',
        conversationWorkspaceExternalId: '@dm',
        agentWorkspaceId: 'g1',
        agentPlatform: 'discord',
      }),
      true,
    ],
    [
      'a Discord DM reaching a Slack agent',
      facts({
        conversationPlatform: 'discord',
        conversationWorkspaceExternalId: '@dm',
        agentWorkspaceId: 'w2',
      }),
      false,
    ],
    [
      'a guild channel reaching another guild agent',
      facts({
        conversationPlatform: 'discord',
        conversationWorkspaceExternalId: '111',
        agentWorkspaceId: 'g2',
        agentPlatform: 'discord',
      }),
      false,
    ],
    [
      'a Slack workspace named @dm is no exception',
      facts({ conversationWorkspaceExternalId: '@dm', agentWorkspaceId: 'w2' }),
      false,
    ],
    ['unknown conversation or agent', undefined, false],
  ];
  it.each(cases)('%s -> %s', (_name, input, allowed) => {
    expect(mayReach(input)).toBe(allowed);
  });
});
