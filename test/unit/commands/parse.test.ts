import { describe, expect, it } from 'vitest';
import { AGENT_VERBS, type AgentCommand } from '../../../src/commands/command.ts';
import { formRequest, parseAgentCommand } from '../../../src/commands/parse.ts';

function errorOf(text: string): string {
  const parsed = parseAgentCommand(text);
  if (parsed.ok)
    throw new Error(`expected an error for ${JSON.stringify(text)}, got ${JSON.stringify(parsed)}`);
  return parsed.error;
}

describe('parseAgentCommand accepts', () => {
  it.each<[string, AgentCommand]>([
    ['', { verb: 'help' }],
    ['   \n ', { verb: 'help' }],
    ['help', { verb: 'help' }],
    ['HELP me please', { verb: 'help' }],
    ['list', { verb: 'list' }],
    ['  LiSt  ', { verb: 'list' }],
    ['/agent list', { verb: 'list' }],
    ['show Aria', { verb: 'show', name: 'Aria' }],
    ['Show aria', { verb: 'show', name: 'aria' }],
    ['delete nova-2_b', { verb: 'delete', name: 'nova-2_b' }],
    ['join Zoë', { verb: 'join', name: 'Zoë' }],
    ['leave Aria', { verb: 'leave', name: 'Aria' }],
    ['pause Aria', { verb: 'pause', name: 'Aria' }],
    ['resume Aria', { verb: 'resume', name: 'Aria' }],
    ['use Aria', { verb: 'use', name: 'Aria' }],
    ['use "Aria"', { verb: 'use', name: 'Aria' }],
    ['create Aria', { verb: 'create', name: 'Aria', fields: {} }],
    [
      'create Aria role="Friendly TypeScript mentor" goal=teach',
      { verb: 'create', name: 'Aria', fields: { role: 'Friendly TypeScript mentor', goal: 'teach' } },
    ],
    ['create Aria role=“Smart quotes”', { verb: 'create', name: 'Aria', fields: { role: 'Smart quotes' } }],
    ['create Aria role=”Both closing”', { verb: 'create', name: 'Aria', fields: { role: 'Both closing' } }],
    ['create Aria role=‘single smart’', { verb: 'create', name: 'Aria', fields: { role: 'single smart' } }],
    ["create Aria role='single'", { verb: 'create', name: 'Aria', fields: { role: 'single' } }],
    [
      'create Aria prompt="Say \\"hi\\" and \\\\ stop"',
      { verb: 'create', name: 'Aria', fields: { prompt: 'Say "hi" and \\ stop' } },
    ],
    [
      'create Aria backstory=C:\\Users\\ana',
      { verb: 'create', name: 'Aria', fields: { backstory: 'C:\\Users\\ana' } },
    ],
    ["create Aria role=Ana's", { verb: 'create', name: 'Aria', fields: { role: "Ana's" } }],
    ['create Aria role="Ana\'s helper"', { verb: 'create', name: 'Aria', fields: { role: "Ana's helper" } }],
    ['create Aria role=5"', { verb: 'create', name: 'Aria', fields: { role: '5"' } }],
    ['create Aria prompt="a=b c"', { verb: 'create', name: 'Aria', fields: { prompt: 'a=b c' } }],
    ['create Aria prompt=a=b', { verb: 'create', name: 'Aria', fields: { prompt: 'a=b' } }],
    ['create Aria role="  padded  "', { verb: 'create', name: 'Aria', fields: { role: 'padded' } }],
    [
      'create Aria backstory="line one\nline two"',
      { verb: 'create', name: 'Aria', fields: { backstory: 'line one\nline two' } },
    ],
    ['create Aria role="日本語 🤖 ok"', { verb: 'create', name: 'Aria', fields: { role: '日本語 🤖 ok' } }],
    ['create Aria ROLE=x Goal=y', { verb: 'create', name: 'Aria', fields: { role: 'x', goal: 'y' } }],
    [
      'create Aria model=Google:gemini-2.5-flash',
      { verb: 'create', name: 'Aria', fields: { model: 'Google:gemini-2.5-flash' } },
    ],
    [
      'create Aria model=local:llama3.2:3b',
      { verb: 'create', name: 'Aria', fields: { model: 'local:llama3.2:3b' } },
    ],
    [
      'create Aria avatar=https://example.com/a.png',
      { verb: 'create', name: 'Aria', fields: { avatar: 'https://example.com/a.png' } },
    ],
    ['edit Aria prompt=""', { verb: 'edit', name: 'Aria', fields: { prompt: '' } }],
    ['edit Aria avatar=', { verb: 'edit', name: 'Aria', fields: { avatar: '' } }],
    ['edit Aria', { verb: 'edit', name: 'Aria', fields: {} }],
    ['create A\u0000ria role="x\u0007y"', { verb: 'create', name: 'Aria', fields: { role: 'xy' } }],
    ['create\r\nAria role="a\r\nb"', { verb: 'create', name: 'Aria', fields: { role: 'a\nb' } }],
    ['create Zoe\u0308', { verb: 'create', name: 'Zoë', fields: {} }],
  ])('%j', (text, command) => {
    expect(parseAgentCommand(text)).toEqual({ ok: true, command });
  });
});

describe('parseAgentCommand refuses, saying what to type', () => {
  it.each<[string, string]>([
    [
      'frob',
      'Unknown command "frob": use create, list, show, edit, delete, join, leave, pause, resume, use, workspace, help',
    ],
    ['role=x', 'Unknown command "role=x"'],
    ['create', 'Name the new agent: type /agent create NAME [role="…"] [goal="…"]'],
    ['show', 'Which agent? Type /agent show NAME'],
    ['create role=x', 'The agent name comes first: type /agent create NAME'],
    ['list everything', 'Nothing goes after list: type /agent list'],
    ['join Aria now', "Only the agent's name goes after join: type /agent join Aria"],
    ['create "Ann Lee"', '"Ann Lee" is not a valid agent name: use 1-32 letters, digits, - or _, e.g. Aria.'],
    ['create Aria!', 'is not a valid agent name'],
    [`create ${'a'.repeat(33)}`, 'is not a valid agent name'],
    ['create 🤖', 'is not a valid agent name'],
    ['create agent-bridge', 'is reserved'],
    [
      'edit Aria colour=blue',
      'Unknown key "colour": use role, goal, backstory, prompt, model, avatar, loading or stream.',
    ],
    ['edit Aria role=a ROLE=b', 'Give each key once: role is given twice.'],
    [
      'create Aria role=Friendly TypeScript mentor',
      '"TypeScript" is not key=value: quote values with spaces, e.g. role="Friendly TypeScript mentor".',
    ],
    ['create Aria Friendly', '"Friendly" is not key=value: write key="value", e.g. role='],
    ['create Aria =x', '"=x" is not key=value'],
    ['create Aria role="never closed', 'The quote after role= is never closed: end the value with a quote'],
    ['create "Aria', 'The quote is never closed'],
    ['create Aria model=gpt-4', 'has no provider: use provider:model'],
    [
      'create Aria model=ac_me:x',
      'Unknown model provider "ac_me": use google, local, offline, or a provider added with /agent provider add.',
    ],
    ['create Aria model=', 'Model is empty'],
    ['create Aria avatar=http://example.com/a.png', 'Avatar must be an https:// image URL'],
    ['create Aria avatar="https://exa mple.com"', 'Avatar must be an https:// image URL'],
    [`create Aria role=${'x'.repeat(201)}`, 'Role is too long: at most 200 characters.'],
  ])('%j', (text, message) => {
    const error = errorOf(text);
    expect(error).toContain(message);
    expect(error).not.toMatch(/\n/);
  });

  it('quotes long or multi-line input briefly, on one line', () => {
    const error = errorOf(`create "${'é\n'.repeat(200)}"`);
    expect(error).toMatch(/^"é é é.*…" is not a valid agent name/);
    expect(error.length).toBeLessThan(120);
    expect(errorOf(`show Aria ${'x'.repeat(5000)}`).length).toBeLessThan(120);
    // The key is quoted in at most 40 characters, whatever the list of known keys adds.
    const known = errorOf('edit Aria k=v');
    expect(errorOf(`edit Aria ${'k'.repeat(5000)}=v`).length).toBeLessThan(known.length + 40);
  });

  it.each(AGENT_VERBS.filter((verb) => verb !== 'list' && verb !== 'help' && verb !== 'workspace'))(
    'reads %s in any case',
    (verb) => {
      const parsed = parseAgentCommand(`${verb.toUpperCase()} Aria`);
      expect(parsed.ok && parsed.command).toMatchObject({ verb, name: 'Aria' });
    },
  );
});

describe('formRequest (Slack opens a form instead)', () => {
  it.each<[string, ReturnType<typeof formRequest>]>([
    ['create', { verb: 'create' }],
    [' Create ', { verb: 'create' }],
    ['edit Aria', { verb: 'edit', name: 'Aria' }],
    ['create Aria', undefined],
    ['edit Aria role=x', undefined],
    ['edit Aria budget_daily_tokens=10k', undefined],
    ['edit', undefined],
    ['list', undefined],
    ['create "unclosed', undefined],
  ])('%j', (text, request) => {
    expect(formRequest(text)).toEqual(request);
  });
});
