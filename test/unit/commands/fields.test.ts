import { describe, expect, it } from 'vitest';
import {
  cleanFields,
  cleanText,
  excerpt,
  fieldErrors,
  sentence,
  validateFields,
  validateName,
} from '../../../src/commands/fields.ts';

describe('cleanText', () => {
  it.each<[string, string]>([
    ['plain', 'plain'],
    ['a\u0000b\u0007c\u001bd\u007fe\u0085f', 'abcdef'],
    ['tab\tand\nnewline', 'tab\tand\nnewline'],
    ['crlf\r\nand\rcr', 'crlf\nand\ncr'],
    ['zero\u200bwidth\ufeff', 'zerowidth'],
    ['lone \ud800 and \udfff', 'lone \ufffd and \ufffd'],
    ['pair 🤖 and 👩‍💻 kept', 'pair 🤖 and 👩‍💻 kept'],
    ['Zoe\u0308', 'Zoë'],
  ])('%j → %j', (raw, clean) => {
    expect(cleanText(raw)).toBe(clean);
  });
});

describe('validateFields (the shared rules, as sentences)', () => {
  it('trims, cleans and keeps only known fields', () => {
    const fields = { role: '  mentor \u0000', colour: 'blue' } as Record<string, string>;
    expect(cleanFields(fields)).toEqual({ role: 'mentor' });
    expect(validateFields(fields)).toEqual({ ok: true, value: { role: 'mentor' } });
  });

  it('clears the prompt and the avatar with empty values', () => {
    expect(validateFields({ prompt: ' ', avatar: '' })).toEqual({
      ok: true,
      value: { systemPrompt: null, avatarUrl: null },
    });
  });

  it('writes the model as provider:model', () => {
    expect(validateFields({ model: ' Google:gemini-2.5-flash ' })).toEqual({
      ok: true,
      value: { modelConfig: { model: 'google:gemini-2.5-flash' } },
    });
  });

  it.each<[Record<string, string>, string]>([
    [
      { model: 'ac_me:x' },
      'Unknown model provider "ac_me": use google, local, offline, or a provider added with /agent provider add.',
    ],
    [
      { avatar: 'http://x.png' },
      'Avatar must be an https:// image URL, e.g. avatar=https://example.com/aria.png.',
    ],
  ])('%j → %s', (fields, error) => {
    expect(validateFields(fields)).toEqual({ ok: false, error });
  });
});

describe('validateName', () => {
  it('accepts unicode letters and normalises them', () => {
    expect(validateName(' Zoe\u0308 ')).toEqual({ ok: true, value: 'Zoë' });
  });

  it('quotes a long name briefly', () => {
    const result = validateName('x '.repeat(100));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^"x x x .{20,}…" is not a valid agent name/);
  });
});

describe('fieldErrors (one message per form field)', () => {
  it('reports each bad field on its own', () => {
    expect(fieldErrors('Ann Lee', { role: 'ok', model: 'ac_me:x', avatar: 'ftp://x' })).toEqual({
      name: expect.stringContaining('"Ann Lee" is not a valid agent name'),
      model: expect.stringContaining('Unknown model provider "ac_me"'),
      avatar: expect.stringContaining('Avatar must be an https:// image URL'),
    });
    expect(fieldErrors(undefined, { role: 'fine' })).toEqual({});
  });
});

describe('sentence and excerpt', () => {
  it.each<[string, string]>([
    ['role is too long: at most 200 characters', 'Role is too long: at most 200 characters.'],
    ['Done.', 'Done.'],
    ['two\nlines', 'Two lines.'],
    ['', ''],
  ])('sentence(%j) → %j', (raw, text) => {
    expect(sentence(raw)).toBe(text);
  });

  it('cuts long input with an ellipsis, counting code points', () => {
    expect(excerpt('🤖'.repeat(50), 5)).toBe('🤖🤖🤖🤖…');
    expect(excerpt('short')).toBe('short');
  });
});
