import { describe, expect, it } from 'vitest';
import { limitClaims } from '../../src/worker/reply-processor.ts';

const agentOnly = {
  agentMaxConcurrent: 4,
  agentRateLimitPerMin: 10,
  providerMaxConcurrent: 0,
  providerRateLimitPerMin: 0,
};

describe('limitClaims: which limits a model call runs under', () => {
  const cases: [string, string, typeof agentOnly, string[]][] = [
    ['provider limits off: the agent only', 'google:gemini-2.5-flash', agentOnly, ['agent a1 4/10']],
    [
      'a provider cap: the agent and the provider',
      'google:gemini-2.5-flash',
      { ...agentOnly, providerMaxConcurrent: 50 },
      ['agent a1 4/10', 'provider google 50/0'],
    ],
    [
      'a provider rate alone counts too',
      'local:llama3.2:3b',
      { ...agentOnly, providerRateLimitPerMin: 600 },
      ['agent a1 4/10', 'provider local 0/600'],
    ],
    [
      'a model spec that does not parse: the agent only (the call fails as a config error)',
      'nonsense',
      { ...agentOnly, providerMaxConcurrent: 50 },
      ['agent a1 4/10'],
    ],
  ];
  it.each(cases)('%s', (_name, model, settings, expected) => {
    const described = limitClaims('a1', model, settings).map(
      (c) => `${c.scope} ${c.id} ${c.limits.maxConcurrent}/${c.limits.perMinute}`,
    );
    expect(described).toEqual(expected);
  });
});
