import { describe, expect, it } from 'vitest';
import {
  type AgentCandidate,
  type AgentSelectionInput,
  pickMostRelevant,
  selectAgent,
} from '../../../src/orchestrator/decisions/agent-selection.ts';
import { at, candidate } from './agent-fixtures.ts';

const cook = candidate('cook', {
  role: 'Chef',
  goal: 'Help people cook dinners and bake bread',
  lastResponseAt: at('2024-01-03'),
});
const lawyer = candidate('lawyer', {
  role: 'Lawyer',
  goal: 'Review contracts and explain legal risks',
  lastResponseAt: at('2024-01-01'),
});
const dev = candidate('dev', {
  role: 'TypeScript engineer',
  goal: 'Help with TypeScript types and compilers',
  lastResponseAt: at('2024-01-02'),
});
const pausedDev = { ...dev, status: 'inactive' } as const;
const deletedDev = { ...dev, isActive: false };
const zoe = candidate('zoe', { name: 'Zoë', role: 'Designer' });

function channel(
  agents: AgentCandidate[],
  overrides: Partial<AgentSelectionInput> = {},
): AgentSelectionInput {
  return {
    agents,
    addressedAgentIds: [],
    conversation: { isDirect: false, joinedAgentIds: agents.map((a) => a.id) },
    text: '',
    ...overrides,
  };
}

function dm(
  agents: AgentCandidate[],
  activeAgentId: string | null,
  overrides: Partial<AgentSelectionInput> = {},
): AgentSelectionInput {
  return {
    agents,
    addressedAgentIds: [],
    conversation: { isDirect: true, activeAgentId },
    text: 'hello',
    ...overrides,
  };
}

type Expected = { kind: string; agentId?: string; via?: string; agentIds?: string[]; reason?: string };

function summarize(selection: ReturnType<typeof selectAgent>): Expected {
  switch (selection.kind) {
    case 'agent':
      return { kind: 'agent', agentId: selection.agent.id, via: selection.via };
    case 'paused':
      return { kind: 'paused', agentId: selection.agent.id };
    case 'help':
      return { kind: 'help', agentIds: selection.agents.map((a) => a.id) };
    case 'none':
      return { kind: 'none', reason: selection.reason };
  }
}

describe('selectAgent', () => {
  it.each<[string, AgentSelectionInput, Expected]>([
    [
      'explicit address beats relevance',
      channel([cook, lawyer, dev], { addressedAgentIds: ['cook'], text: 'TypeScript generics?' }),
      { kind: 'agent', agentId: 'cook', via: 'addressed' },
    ],
    [
      'explicit address of an agent not joined here',
      channel([cook, dev], {
        addressedAgentIds: ['dev'],
        conversation: { isDirect: false, joinedAgentIds: ['cook'] },
      }),
      { kind: 'agent', agentId: 'dev', via: 'addressed' },
    ],
    [
      'first addressed agent wins',
      channel([cook, lawyer], { addressedAgentIds: ['lawyer', 'cook'] }),
      { kind: 'agent', agentId: 'lawyer', via: 'addressed' },
    ],
    [
      'explicit address beats the DM’s active agent',
      dm([cook, dev], 'cook', { addressedAgentIds: ['dev'] }),
      { kind: 'agent', agentId: 'dev', via: 'addressed' },
    ],
    [
      'paused agent addressed explicitly → paused',
      channel([cook, pausedDev], { addressedAgentIds: ['dev'] }),
      { kind: 'paused', agentId: 'dev' },
    ],
    [
      'deleted agent addressed → falls back to relevance',
      channel([cook, lawyer, deletedDev], { addressedAgentIds: ['dev'], text: 'contract question' }),
      { kind: 'agent', agentId: 'lawyer', via: 'relevance' },
    ],
    [
      'an agent never answers itself',
      channel([cook, lawyer, dev], {
        addressedAgentIds: ['cook'],
        authorAgentId: 'cook',
        text: 'bake bread with TypeScript',
      }),
      { kind: 'agent', agentId: 'dev', via: 'relevance' },
    ],
    [
      'unicode name addressed',
      channel([cook, zoe], { addressedAgentIds: ['zoe'] }),
      { kind: 'agent', agentId: 'zoe', via: 'addressed' },
    ],
    [
      'channel with a single joined agent',
      channel([cook], { text: 'TypeScript?' }),
      { kind: 'agent', agentId: 'cook', via: 'only_agent' },
    ],
    ['channel whose single joined agent is paused', channel([pausedDev]), { kind: 'paused', agentId: 'dev' }],
    [
      'channel: relevance picks the TypeScript agent among a cook and a lawyer',
      channel([cook, lawyer, dev], { text: 'How do I narrow a union type in TypeScript?' }),
      { kind: 'agent', agentId: 'dev', via: 'relevance' },
    ],
    [
      'channel: a paused agent is never picked by relevance',
      channel([cook, lawyer, pausedDev], { text: 'TypeScript compilers' }),
      { kind: 'agent', agentId: 'lawyer', via: 'least_recent' },
    ],
    [
      'channel: only stop words → least recently responding',
      channel([cook, lawyer, dev], { text: 'what is this and how about that?' }),
      { kind: 'agent', agentId: 'lawyer', via: 'least_recent' },
    ],
    [
      'channel: every joined agent paused',
      channel([{ ...cook, status: 'inactive' }, pausedDev]),
      { kind: 'none', reason: 'all_paused' },
    ],
    [
      'channel: no agent joined',
      channel([cook], { conversation: { isDirect: false, joinedAgentIds: [] } }),
      { kind: 'none', reason: 'no_agents' },
    ],
    [
      'channel: deleted agents are not joined agents',
      channel([cook, deletedDev], { text: 'TypeScript' }),
      { kind: 'agent', agentId: 'cook', via: 'only_agent' },
    ],
    ['DM with one agent', dm([cook], null), { kind: 'agent', agentId: 'cook', via: 'only_agent' }],
    [
      'DM with an active agent among several',
      dm([cook, lawyer, dev], 'lawyer'),
      { kind: 'agent', agentId: 'lawyer', via: 'dm_active' },
    ],
    [
      'DM with several agents and none chosen → help (by name)',
      dm([lawyer, dev, cook], null),
      { kind: 'help', agentIds: ['cook', 'dev', 'lawyer'] },
    ],
    [
      'DM does not rank by relevance',
      dm([cook, dev], null, { text: 'TypeScript question' }),
      { kind: 'help', agentIds: ['cook', 'dev'] },
    ],
    ['DM whose active agent is paused', dm([cook, pausedDev], 'dev'), { kind: 'paused', agentId: 'dev' }],
    [
      'DM whose active agent was deleted, one left',
      dm([cook, deletedDev], 'dev'),
      { kind: 'agent', agentId: 'cook', via: 'only_agent' },
    ],
    ['DM with no agents', dm([deletedDev], null), { kind: 'none', reason: 'no_agents' }],
  ])('%s', (_name, input, expected) => {
    expect(summarize(selectAgent(input))).toEqual(expected);
  });
});

describe('pickMostRelevant tie-breaks', () => {
  const twin = (id: string, name: string, lastResponseAt: Date | null): AgentCandidate =>
    candidate(id, { name, role: 'TypeScript engineer', lastResponseAt });

  it.each<[string, AgentCandidate[], string]>([
    [
      'equal scores → least recently responding',
      [
        twin('a', 'Alpha', at('2024-03-01')),
        twin('b', 'Bravo', at('2024-01-01')),
        twin('c', 'Charlie', at('2024-02-01')),
      ],
      'b',
    ],
    [
      'never responded counts as least recent',
      [twin('a', 'Alpha', at('2024-01-01')), twin('b', 'Bravo', null)],
      'b',
    ],
    ['same last response → name', [twin('b', 'bravo', null), twin('a', 'Alpha', null)], 'a'],
    [
      'a higher score beats an older response',
      [twin('a', 'Alpha', at('2024-05-01')), candidate('b', { role: 'Gardener', lastResponseAt: null })],
      'a',
    ],
  ])('%s', (_name, agents, expected) => {
    expect(pickMostRelevant('typescript', agents)?.agent.id).toBe(expected);
  });

  it('returns nothing for no agents', () => {
    expect(pickMostRelevant('typescript', [])).toBeUndefined();
  });
});
