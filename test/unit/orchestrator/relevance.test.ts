import { describe, expect, it } from 'vitest';
import {
  type RelevanceDocument,
  STOP_WORDS,
  scoreRelevance,
  stem,
  tokenize,
} from '../../../src/orchestrator/decisions/relevance.ts';

function doc(id: string, role: string, backstory = '', goal = ''): RelevanceDocument {
  return { id, name: id, role, backstory, goal };
}

function winner(scores: Map<string, number>): string {
  return [...scores].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

describe('tokenize', () => {
  it.each<[string, string, string[]]>([
    ['lowercases and splits on punctuation', 'TypeScript-compiler, ESM!', ['typescript', 'compiler', 'esm']],
    ['drops stop words', 'What is the best way to do this?', ['best', 'way']],
    ['keeps unicode letters whole', 'Zoë’s café in Zürich', ['zoë', 'café', 'zürich']],
    ['composes decomposed accents before splitting', 'e\u0301te\u0301', ['été']],
    ['non-Latin scripts', 'Привет мир 東京', ['привет', 'мир', '東京']],
    ['keeps digits', 'python 20 and es2023', ['python', '20', 'es2023']],
    ['stems plurals and -ing', 'Cooking recipes for libraries', ['cook', 'recip', 'library']],
    ['only stop words', 'and the of to', []],
  ])('%s', (_name, text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });

  it('has a compact English stop-word list', () => {
    expect(STOP_WORDS.size).toBeGreaterThan(100);
    expect(STOP_WORDS.size).toBeLessThan(200);
  });
});

describe('stem', () => {
  it.each<[string, string]>([
    ['contracts', 'contract'],
    ['libraries', 'library'],
    ['boxes', 'box'],
    ['dishes', 'dish'],
    ['classes', 'class'],
    ['class', 'class'],
    ['status', 'status'],
    ['analysis', 'analysis'],
    ['cooking', 'cook'],
    ['cooked', 'cook'],
    ['running', 'run'],
    ['stopped', 'stop'],
    ['falling', 'fall'],
    ['passed', 'pass'],
    ['bake', 'bak'],
    ['baking', 'bak'],
    ['baked', 'bak'],
    ['need', 'need'],
    ['speed', 'speed'],
    ['using', 'using'],
    ['typescript', 'typescript'],
    ['zoë', 'zoë'],
  ])('%s → %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});

describe('scoreRelevance', () => {
  const cook = doc('cook', 'Chef', 'Grew up in a bakery kitchen', 'Help people cook dinners and bake bread');
  const lawyer = doc(
    'lawyer',
    'Lawyer',
    'Twenty years of contract law',
    'Review contracts and explain legal risks',
  );
  const dev = doc(
    'dev',
    'TypeScript engineer',
    'Builds Node services',
    'Help with TypeScript types and compilers',
  );

  it.each<[string, string, RelevanceDocument[], string]>([
    [
      'a TypeScript question goes to the TypeScript agent',
      'How do I type a generic function in TypeScript?',
      [cook, lawyer, dev],
      'dev',
    ],
    [
      'a baking question goes to the cook (stemming: baking ~ bake)',
      'Any tips for baking sourdough?',
      [cook, lawyer, dev],
      'cook',
    ],
    [
      'a contract question goes to the lawyer (plural ~ singular)',
      'Can you check this contract clause?',
      [cook, lawyer, dev],
      'lawyer',
    ],
    [
      'a rare term outweighs a common one repeated (idf, tf saturation)',
      'help with kubernetes',
      [
        doc('helpdesk', 'Help desk', 'Help, help and more help', 'Help users; help is the job'),
        doc('ops', 'Operator', 'Runs kubernetes clusters', 'Help keep services up'),
        doc('writer', 'Writer', 'Writes docs', 'Help explain things'),
      ],
      'ops',
    ],
    [
      'a longer description does not win on length alone (length normalisation)',
      'python',
      [
        doc('long', 'Generalist', `python ${'history geography music art cinema sport '.repeat(8)}`),
        doc('short', 'Python developer'),
      ],
      'short',
    ],
  ])('%s', (_name, query, docs, expected) => {
    expect(winner(scoreRelevance(query, docs))).toBe(expected);
  });

  it('matches whole tokens: "typescript" does not match "script"', () => {
    const scores = scoreRelevance('typescript help', [
      doc('screenwriter', 'Script writer', 'Writes film scripts and transcripts'),
      doc('dev', 'TypeScript developer'),
    ]);
    expect(scores.get('screenwriter')).toBe(0);
    expect(scores.get('dev')).toBeGreaterThan(0);
  });

  it('a term every agent has weighs less than a term only one agent has', () => {
    const docs = [doc('a', 'cloud security'), doc('b', 'cloud cooking'), doc('c', 'cloud law')];
    const common = scoreRelevance('cloud', docs).get('a') ?? 0;
    const rare = scoreRelevance('security', docs).get('a') ?? 0;
    expect(common).toBeGreaterThan(0);
    expect(rare).toBeGreaterThan(common * 2);
  });

  it('stop words in the question or the descriptions score nothing', () => {
    // Naive word counting would pick "chatty": it shares "what", "is", "the", "of", "all" with the question.
    const scores = scoreRelevance('what is the best of all gardens?', [
      doc('chatty', 'The one who is all of what the others are'),
      doc('gardener', 'Garden expert'),
    ]);
    expect(scores.get('chatty')).toBe(0);
    expect(scores.get('gardener')).toBeGreaterThan(0);
  });

  it('matches an agent by a unicode name', () => {
    const docs = [
      { id: 'zoe', name: 'Zoë', role: 'Designer', backstory: '', goal: '' },
      doc('max', 'Designer'),
    ];
    expect(winner(scoreRelevance('ask zoë about the logo', docs))).toBe('zoe');
  });

  it('scores 0 for every agent when nothing matches, and for no agents returns nothing', () => {
    expect([...scoreRelevance('quantum chromodynamics', [cook, lawyer, dev]).values()]).toEqual([0, 0, 0]);
    expect(scoreRelevance('anything', []).size).toBe(0);
  });
});
