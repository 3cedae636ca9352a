import { describe, expect, it } from 'vitest';
import {
  type AgentSettings,
  type AgentValues,
  agentSettingsFrom,
  parseAgentName,
  parseWorkspaceRef,
} from '../../src/commands/agent-args.ts';

describe('parseAgentName', () => {
  it.each<[string | undefined, string]>([
    ['Aria', 'Aria'],
    ['  nova-2_b ', 'nova-2_b'],
    ['Zoë', 'Zoë'],
    ['a'.repeat(32), 'a'.repeat(32)],
  ])('accepts %j', (raw, name) => {
    expect(parseAgentName(raw)).toEqual({ ok: true, value: name });
  });

  it.each<[string | undefined, RegExp]>([
    [undefined, /name is missing/],
    ['', /name is missing/],
    ['a'.repeat(33), /not a valid agent name: use 1-32 letters/],
    ['Ann Lee', /not a valid agent name/],
    ['Aria!', /not a valid agent name/],
    ['agent-bridge', /reserved/],
    ['Agent-Bridge', /reserved/],
  ])('rejects %j', (raw, error) => {
    const result = parseAgentName(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });
});

describe('agentSettingsFrom', () => {
  it.each<[AgentValues, AgentSettings]>([
    [{}, {}],
    [
      { role: 'r', goal: 'g', backstory: 'b' },
      { role: 'r', goal: 'g', backstory: 'b' },
    ],
    [{ prompt: 'You are terse.' }, { systemPrompt: 'You are terse.' }],
    [{ prompt: '' }, { systemPrompt: null }],
    [{ model: 'offline:echo' }, { modelConfig: { model: 'offline:echo' } }],
    [{ model: 'Google:gemini-2.5-flash' }, { modelConfig: { model: 'google:gemini-2.5-flash' } }],
    [{ model: 'local:llama3.2:3b' }, { modelConfig: { model: 'local:llama3.2:3b' } }],
    [{ avatar: 'https://example.com/a.png' }, { avatarUrl: 'https://example.com/a.png' }],
    [{ avatar: '' }, { avatarUrl: null }],
    [{ stream: 'off' }, { streamReplies: false }],
    [{ stream: 'ON' }, { streamReplies: true }],
  ])('%j', (values, settings) => {
    expect(agentSettingsFrom(values)).toEqual({ ok: true, value: settings });
  });

  it.each<[AgentValues, RegExp]>([
    [{ model: 'gpt-4' }, /has no provider/],
    [{ model: 'ac_me:x' }, /unknown model provider "ac_me"/],
    [{ model: '' }, /model is empty/],
    [{ avatar: 'http://example.com/a.png' }, /avatar must be an https:\/\/ image URL/],
    [{ avatar: 'not a url' }, /avatar must be an https/],
    [{ role: 'x'.repeat(201) }, /role is too long: at most 200/],
    [{ stream: 'no' }, /stream must be on or off, e.g. stream=off/],
  ])('rejects %j', (values, error) => {
    const result = agentSettingsFrom(values);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });
});

describe('parseWorkspaceRef', () => {
  it.each<[string, { platform: string; externalId: string }]>([
    ['shell:local', { platform: 'shell', externalId: 'local' }],
    ['slack:T0123ABCD', { platform: 'slack', externalId: 'T0123ABCD' }],
    ['Discord:123456789012345678', { platform: 'discord', externalId: '123456789012345678' }],
    ['discord:@dm', { platform: 'discord', externalId: '@dm' }],
  ])('%s', (raw, ref) => {
    expect(parseWorkspaceRef(raw)).toEqual({ ok: true, value: ref });
  });

  it.each(['local', 'teams:T1', ':T1', 'slack:', 'slack:T 1'])('rejects %j', (raw) => {
    const result = parseWorkspaceRef(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/e\.g\. slack:/);
  });
});
