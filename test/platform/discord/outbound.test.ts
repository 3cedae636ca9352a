/** The pure parts of the Discord adapter, table-style: splitting, neutralizing, nonces, names, embeds. */
import { describe, expect, it } from 'vitest';
import { commandEmbed, commandFromOptions } from '../../../src/adapters/discord/interactions.ts';
import {
  agentNameOfBotPost,
  neutralizeMentions,
  nonceFor,
  splitMessage,
  withAgentName,
} from '../../../src/adapters/discord/outbound.ts';

describe('splitMessage', () => {
  const cases: Array<[string, string, number, string[]]> = [
    ['short text stays whole', 'hello world', 2000, ['hello world']],
    ['splits at a line boundary', 'line one\nline two\nline three', 18, ['line one\nline two', 'line three']],
    ['a long line splits at a space', 'aaa bbb ccc ddd', 8, ['aaa bbb', 'ccc ddd']],
    ['no space: a hard cut', 'x'.repeat(25), 10, ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]],
    ['never inside a surrogate pair', '😀'.repeat(6), 5, ['😀😀', '😀😀', '😀😀']],
    ['blank lines at a boundary are dropped', 'para\n\n\n\nnext', 6, ['para', 'next']],
    [
      'a fence is closed and reopened with its language',
      '```ts\nconst a = 1;\nconst b = 2;\nconst c = 3;\n```\nafter',
      30,
      ['```ts\nconst a = 1;\n```', '```ts\nconst b = 2;\n```', '```ts\nconst c = 3;\n```\nafter'],
    ],
    [
      'a tilde fence and a longer backtick fence keep their markers',
      '~~~\none\ntwo\n~~~',
      12,
      ['~~~\none\n~~~', '~~~\ntwo\n~~~'],
    ],
    [
      'a shorter marker inside a longer fence does not close it',
      '````md\n```\nx\n```\n````',
      18,
      ['````md\n```\nx\n````', '````md\n```\n````'],
    ],
    ['inline triple backticks are not a fence', '```inline``` text\nmore', 18, ['```inline``` text', 'more']],
    ['CRLF reads as LF', 'a\r\nb', 2000, ['a\nb']],
    ['whitespace only: nothing to post', '  \n ', 2000, []],
  ];
  it.each(cases)('%s', (_name, text, limit, expected) => {
    const chunks = splitMessage(text, limit);
    expect(chunks).toEqual(expected);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(limit);
  });

  it('a 2000-character budget holds for a large mixed reply, and fences balance in every chunk', () => {
    const code = Array.from({ length: 300 }, (_, i) => `  print(${i}) # ${'x'.repeat(i % 40)}`).join('\n');
    const prose = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} says something.`).join(' ');
    const chunks = splitMessage(`${prose}\n\n\`\`\`python\n${code}\n\`\`\`\n\n${prose}`);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(2000);
      expect((chunk.match(/^```/gmu) ?? []).length % 2).toBe(0);
    }
  });
});

describe('neutralizeMentions', () => {
  it.each([
    ['@everyone hi', '@\u200beveryone hi'],
    ['hey @here!', 'hey @\u200bhere!'],
    ['@Everyone and @HERE', '@\u200bEveryone and @\u200bHERE'],
    ['mail me at someone@heretic.org', 'mail me at someone@heretic.org'],
    [
      '<@123> and <@&456> stay (allowed_mentions keeps them silent)',
      '<@123> and <@&456> stay (allowed_mentions keeps them silent)',
    ],
  ])('%s', (text, expected) => {
    expect(neutralizeMentions(text)).toBe(expected);
  });
});

describe('nonceFor', () => {
  it('is at most 25 characters, stable per delivery and chunk, different across them', () => {
    const nonce = nonceFor('reply-42', 0);
    expect(nonce).toHaveLength(25);
    expect(nonceFor('reply-42', 0)).toBe(nonce);
    expect(nonceFor('reply-42', 1)).not.toBe(nonce);
    expect(nonceFor('reply-43', 0)).not.toBe(nonce);
  });
});

describe('agent names on bot posts', () => {
  it.each([
    ['Nova', 'hello', '**Nova:** hello'],
    ['Nova', '```js\nx\n```', '**Nova:**\n```js\nx\n```'],
    ['Nova', '- a list', '**Nova:**\n- a list'],
    ['x_y*z', 'hi', '**x\\_y\\*z:** hi'],
  ])('%s + %j', (name, text, expected) => {
    const posted = withAgentName(name, text);
    expect(posted).toBe(expected);
    expect(agentNameOfBotPost(posted)).toBe(name);
  });

  it('no name in an ordinary post', () => {
    expect(agentNameOfBotPost('**bold** text')).toBeUndefined();
  });
});

describe('commandFromOptions', () => {
  const options = (values: Record<string, string>) => (name: string) => values[name] ?? null;
  it.each([
    ['list', {}, { verb: 'list' }],
    ['help', {}, { verb: 'help' }],
    ['nonsense', {}, { verb: 'help' }],
    ['show', { name: 'Nova' }, { verb: 'show', name: 'Nova' }],
    [
      'create',
      { name: 'Nova', role: 'Astronomer', prompt: '' },
      { verb: 'create', name: 'Nova', fields: { role: 'Astronomer', prompt: '' } },
    ],
    [
      'edit',
      { name: 'Nova', avatar: 'https://x.test/a.png' },
      { verb: 'edit', name: 'Nova', fields: { avatar: 'https://x.test/a.png' } },
    ],
  ])('%s %j', (sub, values, expected) => {
    expect(commandFromOptions(sub, options(values))).toEqual(expected);
  });
});

describe('commandEmbed', () => {
  it('renders ok/error colours, title, fields and stays within Discord’s limits', () => {
    expect(commandEmbed({ ok: true, text: 'Created Nova.' })).toEqual({
      color: 0x57f287,
      description: 'Created Nova.',
    });
    const rows = Array.from({ length: 40 }, (_, i) => ({
      name: `Agent${i}`,
      status: 'active',
      model: 'offline:echo',
      channels: '#general',
      role: 'r'.repeat(300),
    }));
    const embed = commandEmbed({ ok: true, text: 'Agents', title: 'T'.repeat(300), rows });
    expect(embed.title).toHaveLength(256);
    expect(embed.fields?.length).toBeLessThanOrEqual(25);
    expect(embed.fields?.at(-1)).toMatchObject({ name: '…' });
    const size = JSON.stringify(embed).length;
    expect(size).toBeLessThan(8000);
    const total =
      (embed.title?.length ?? 0) +
      (embed.description?.length ?? 0) +
      (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
  });
});
