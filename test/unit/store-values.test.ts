// How both stores read an agent's model config and a reply's posted parts, whatever the column holds.
import { describe, expect, it } from 'vitest';
import { mergeModelConfig, modelOf, parseParts, sqliteTime, streamsOf } from '../../src/store/hot/values.ts';

describe('hot store values', () => {
  it.each<[string, unknown, string | null]>([
    ['a JSON object (PostgreSQL jsonb)', { model: 'google:gemini-2.5-flash' }, 'google:gemini-2.5-flash'],
    ['a JSON string (SQLite)', '{"model":" local:llama3 "}', 'local:llama3'],
    ['no model named', { temperature: 0.2 }, null],
    ['a blank model', { model: '  ' }, null],
    ['a model that is not a string', { model: 42 }, null],
    ['text that is not JSON', '{model', null],
    ['nothing', null, null],
  ])('modelOf: %s', (_name, config, expected) => {
    expect(modelOf(config)).toBe(expected);
  });

  it.each<[string, unknown, string[]]>([
    ['parts posted so far', '["1700.1","1700.2"]', ['1700.1', '1700.2']],
    ['none yet', null, []],
    ['an empty column', '', []],
    ['text that is not JSON', '[1700.1', []],
    ['JSON that is not a list', '{"a":1}', []],
    ['entries that are not ids are skipped', '["1700.1",7,null]', ['1700.1']],
  ])('parseParts: %s', (_name, column, expected) => {
    expect(parseParts(column)).toEqual(expected);
  });

  it.each<[string, unknown, boolean]>([
    ['no config: replies stream', null, true],
    ['a model only', { model: 'offline:echo' }, true],
    ['stream=off (PostgreSQL jsonb)', { model: 'offline:echo', stream: false }, false],
    ['stream=off (SQLite text)', '{"stream":false}', false],
    ['text that is not JSON', '{stream', true],
  ])('streamsOf: %s', (_name, config, expected) => {
    expect(streamsOf(config)).toBe(expected);
  });

  it.each<[string, unknown, Parameters<typeof mergeModelConfig>[1], Record<string, unknown>]>([
    [
      'a new model keeps stream=off',
      { model: 'a:x', stream: false },
      { config: { model: 'b:y' } },
      { model: 'b:y', stream: false },
    ],
    [
      'loading= keeps the model and stream=off',
      { model: 'a:x', stream: false },
      { config: { loading: ['Thinking…'] } },
      { model: 'a:x', stream: false, loading: ['Thinking…'] },
    ],
    [
      'loading="" removes the messages',
      { model: 'a:x', loading: ['Hm…'] },
      { config: { loading: [] } },
      { model: 'a:x' },
    ],
    ['stream=off keeps the model', '{"model":"a:x"}', { stream: false }, { model: 'a:x', stream: false }],
    ['stream=on clears the switch', { model: 'a:x', stream: false }, { stream: true }, { model: 'a:x' }],
    ['nothing stored yet', null, { stream: false }, { stream: false }],
  ])('mergeModelConfig: %s', (_name, stored, change, expected) => {
    expect(mergeModelConfig(stored, change)).toEqual(expected);
  });

  it("sqliteTime writes Prisma's ISO form", () => {
    expect(sqliteTime(new Date('2026-12-01T11:07:27.953Z'))).toBe('2026-12-01T11:07:27.953+00:00');
  });
});
