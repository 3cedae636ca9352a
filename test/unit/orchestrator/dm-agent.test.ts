import { describe, expect, it } from 'vitest';
import type { AgentCandidate } from '../../../src/orchestrator/decisions/agent-candidate.ts';
import { type DmAgentOutcome, resolveDmAgent } from '../../../src/orchestrator/decisions/dm-agent.ts';
import { candidate } from './agent-fixtures.ts';

const aria = candidate('aria');
const max = candidate('max');
const zoe = candidate('zoe', { name: 'Zoë' });
const pausedMax = candidate('max', { status: 'inactive' });
const deletedMax = candidate('max', { isActive: false });

describe('resolveDmAgent', () => {
  it.each<[string, AgentCandidate[], string | null, DmAgentOutcome]>([
    ['the only agent', [aria], null, { kind: 'agent', agent: aria, via: 'only_agent' }],
    ['the only agent, paused', [pausedMax], null, { kind: 'paused', agent: pausedMax }],
    [
      'the agent chosen with /agent use',
      [aria, max, zoe],
      'max',
      { kind: 'agent', agent: max, via: 'dm_active' },
    ],
    ['the chosen agent is paused', [aria, pausedMax], 'max', { kind: 'paused', agent: pausedMax }],
    [
      'several agents, none chosen → help sorted by name',
      [zoe, max, aria],
      null,
      { kind: 'help', agents: [aria, max, zoe] },
    ],
    [
      'a chosen agent that no longer exists → help',
      [aria, zoe],
      'gone',
      { kind: 'help', agents: [aria, zoe] },
    ],
    [
      'deleted agents do not count',
      [aria, deletedMax],
      null,
      { kind: 'agent', agent: aria, via: 'only_agent' },
    ],
    [
      'a deleted chosen agent is not used',
      [aria, deletedMax],
      'max',
      { kind: 'agent', agent: aria, via: 'only_agent' },
    ],
    ['no agents', [], null, { kind: 'none', reason: 'no_agents' }],
  ])('%s', (_name, agents, activeAgentId, expected) => {
    expect(resolveDmAgent(agents, activeAgentId)).toEqual(expected);
  });
});
