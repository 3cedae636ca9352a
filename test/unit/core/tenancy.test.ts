import { describe, expect, it } from 'vitest';
import {
  defaultModelGlobs,
  effectiveModel,
  modelAllowed,
  workspaceAllowed,
} from '../../../src/core/tenancy.ts';

describe('workspaceAllowed', () => {
  it.each<[readonly string[] | undefined, string, boolean]>([
    [undefined, 'T1', true],
    [['T1', 'T2'], 'T2', true],
    [['T1', 'T2'], 'T3', false],
    [['T1'], 't1', false],
    [[], 'T1', false],
  ])('list %o, workspace %s → %s', (allowed, id, expected) => {
    expect(workspaceAllowed(allowed, id)).toBe(expected);
  });
});

describe('modelAllowed', () => {
  it.each<[string[], string, boolean]>([
    [['google:*'], 'google:gemini-2.5-flash', true],
    [['google:*'], 'local:llama3.2', false],
    [['google:gemini-*'], 'google:gemini-2.5-pro', true],
    [['google:gemini-*'], 'google:learnlm-2.0', false],
    [['google:gemini-*', 'local:*'], 'local:llama3.2:3b', true],
    [['google:gemini-2.5-flash'], 'google:gemini-2.5-flash', true],
    [['google:gemini-2.5-flash'], 'google:gemini-2.5-flash-lite', false],
    // Only * is special: dots, pluses and brackets are literal.
    [['local:llama3.2'], 'local:llama3x2', false],
    [['local:a+b'], 'local:a+b', true],
    [['*:*'], 'offline:echo', true],
    [['*:echo'], 'offline:echo', true],
    // The provider as model= reads it (any case); the model name as typed.
    [['google:gemini-*'], 'GOOGLE:gemini-2.5-pro', true],
    [['google:gemini-*'], 'google:Gemini-2.5-pro', false],
    [[], 'offline:echo', false],
  ])('%o allows %s → %s', (globs, spec, expected) => {
    expect(modelAllowed(globs, spec)).toBe(expected);
  });
});

describe('defaultModelGlobs', () => {
  it.each([
    ['google:gemini-2.5-flash', ['google:*', '@providers']],
    ['offline:echo', ['offline:*', '@providers']],
    ['local:llama3.2:3b', ['local:*', '@providers']],
  ])('%s → %o', (model, expected) => {
    expect(defaultModelGlobs(model)).toEqual(expected);
  });
});

describe('effectiveModel', () => {
  const settings = { defaultModel: 'google:gemini-2.5-flash', allowedModels: ['google:gemini-2.5-*'] };
  it.each<[string | undefined | null, ReturnType<typeof effectiveModel>]>([
    [undefined, { model: 'google:gemini-2.5-flash' }],
    [null, { model: 'google:gemini-2.5-flash' }],
    ['google:gemini-2.5-pro', { model: 'google:gemini-2.5-pro' }],
    ['google:gemini-1.5-pro', { model: 'google:gemini-2.5-flash', notAllowed: 'google:gemini-1.5-pro' }],
    ['local:llama3.2', { model: 'google:gemini-2.5-flash', notAllowed: 'local:llama3.2' }],
  ])('agent model %s → %o', (model, expected) => {
    expect(effectiveModel(model, settings)).toEqual(expected);
  });

  it('@providers allows the models of provider records, never a built-in one', () => {
    const globs = ['offline:*', '@providers'];
    expect(
      effectiveModel('team-claude:claude-x', { defaultModel: 'offline:echo', allowedModels: globs }),
    ).toEqual({
      model: 'team-claude:claude-x',
    });
    expect(effectiveModel('local:x', { defaultModel: 'offline:echo', allowedModels: globs })).toEqual({
      model: 'offline:echo',
      notAllowed: 'local:x',
    });
    expect(
      effectiveModel('team-claude:claude-x', { defaultModel: 'offline:echo', allowedModels: ['offline:*'] }),
    ).toEqual({ model: 'offline:echo', notAllowed: 'team-claude:claude-x' });
  });

  it('without a list every model is kept', () => {
    expect(effectiveModel('local:x', { defaultModel: 'offline:echo' })).toEqual({ model: 'local:x' });
  });
});
