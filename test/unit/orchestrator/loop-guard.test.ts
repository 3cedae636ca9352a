import { describe, expect, it } from 'vitest';
import {
  countAgentChain,
  isLoop,
  type TurnAuthorship,
} from '../../../src/orchestrator/decisions/loop-guard.ts';

const human: TurnAuthorship = { isBot: false };
const otherBot: TurnAuthorship = { isBot: true };
const agent = (agentId: string): TurnAuthorship => ({ isBot: false, agentId });

describe('countAgentChain', () => {
  it.each<[string, TurnAuthorship[], number]>([
    ['empty history', [], 0],
    ['ends with a human', [agent('a'), agent('b'), human], 0],
    ['one agent turn after a human', [human, agent('a')], 1],
    ['agents alternating after a human', [human, agent('a'), agent('b'), agent('a')], 3],
    ['stops at the last human, not the first', [agent('a'), agent('b'), human, agent('a'), agent('b')], 2],
    ['foreign bots count as agent turns', [human, otherBot, agent('a'), otherBot], 3],
    ['no human at all in the window', [otherBot, agent('a'), agent('b'), agent('a'), otherBot], 5],
  ])('%s → %i', (_name, turns, expected) => {
    expect(countAgentChain(turns)).toBe(expected);
  });
});

describe('isLoop', () => {
  it.each<[number, number, boolean]>([
    [0, 3, false],
    [2, 3, false],
    [3, 3, true],
    [4, 3, true],
    [1, 1, true],
    [0, 0, true],
  ])('chain %i with max %i → %s', (chain, max, expected) => {
    expect(isLoop(chain, max)).toBe(expected);
  });
});
