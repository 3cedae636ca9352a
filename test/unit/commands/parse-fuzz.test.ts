/**
 * Generated input: 5,000 strings from a mixed alphabet (verbs, keys, quotes of every kind,
 * backslashes, `=`, unicode, emoji, control characters, lone surrogates), from a seeded PRNG so a
 * failure reproduces. Every result is a command or a non-empty one-line error.
 */
import { describe, expect, it } from 'vitest';
import { AGENT_FIELDS, AGENT_VERBS, type ParsedCommand } from '../../../src/commands/command.ts';
import { validateFields, validateName } from '../../../src/commands/fields.ts';
import { parseAgentCommand } from '../../../src/commands/parse.ts';

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ...AGENT_VERBS,
  ...AGENT_FIELDS.map((key) => `${key}=`),
  'ROLE=',
  'colour=',
  'Aria',
  'zoë',
  'Ann Lee',
  'google:gemini-2.5-flash',
  'acme:x',
  'offline:echo',
  'https://example.com/a.png',
  'http://x',
  '/agent',
  ' ',
  ' ',
  '\t',
  '\n',
  '\r',
  '"',
  '"',
  "'",
  '“',
  '”',
  '‘',
  '’',
  '„',
  '\\',
  '\\"',
  '\\\\',
  '=',
  '==',
  ':',
  '-',
  '_',
  'a',
  'Z',
  '7',
  'é',
  'e\u0301',
  '日本',
  'ß',
  '🤖',
  '👩‍💻',
  '\u200d',
  '\u200b',
  '\ufeff',
  '\u00a0',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\ud800',
  '\udfff',
  '\u202e',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomInput(random: () => number, maxPieces = 24): string {
  const length = Math.floor(random() * maxPieces);
  let text = '';
  for (let i = 0; i < length; i++) text += pick(random, PIECES);
  return text;
}

/** Half the strings are shaped like a command (verb, name, key=value…) so deep paths are reached too. */
function generatedInput(random: () => number): string {
  if (random() < 0.5) return randomInput(random);
  const pairs = Array.from({ length: Math.floor(random() * 4) }, () => {
    const value = randomInput(random, 6);
    return `${pick(random, AGENT_FIELDS)}=${random() < 0.5 ? `"${value}"` : value}`;
  });
  return [pick(random, AGENT_VERBS), pick(random, ['Aria', 'zoë', randomInput(random, 3)]), ...pairs].join(
    ' ',
  );
}

function check(text: string, parsed: ParsedCommand): void {
  if (!parsed.ok) {
    expect(parsed.error, JSON.stringify(text)).toMatch(/\S/);
    expect(parsed.error, JSON.stringify(text)).not.toMatch(/[\n\r]/);
    expect(parsed.error.length, JSON.stringify(text)).toBeLessThan(400);
    return;
  }
  const { command } = parsed;
  expect(AGENT_VERBS).toContain(command.verb);
  if ('name' in command) expect(validateName(command.name)).toEqual({ ok: true, value: command.name });
  if ('fields' in command) expect(validateFields(command.fields).ok, JSON.stringify(text)).toBe(true);
}

describe('parseAgentCommand on generated input', () => {
  it('never throws: 5,000 strings give a command or a short one-line error', () => {
    const random = prng(20261124);
    const outcomes = { ok: 0, error: 0, fields: 0 };
    for (let i = 0; i < 5000; i++) {
      const text = generatedInput(random);
      const parsed = parseAgentCommand(text);
      check(text, parsed);
      if (!parsed.ok) outcomes.error++;
      else if ('fields' in parsed.command && Object.keys(parsed.command.fields).length > 0) outcomes.fields++;
      else outcomes.ok++;
    }
    // The alphabet reaches every path: plain commands, commands with fields, refusals.
    expect(outcomes.ok).toBeGreaterThan(300);
    expect(outcomes.fields).toBeGreaterThan(40);
    expect(outcomes.error).toBeGreaterThan(2000);
  });

  it('never throws on inputs that start like a real command', () => {
    const random = prng(7);
    for (let i = 0; i < 2000; i++) {
      const text = `create Aria ${randomInput(random)}`;
      check(text, parseAgentCommand(text));
    }
  });
});
