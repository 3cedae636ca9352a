import { describe, expect, it } from 'vitest';
import { argvToCommandText } from '../../../src/commands/argv.ts';
import { parseAgentCommand } from '../../../src/commands/parse.ts';

describe('argvToCommandText: what the shell split, the parser reads whole', () => {
  it.each([
    [
      ['create', 'Aria', 'role=Friendly TypeScript mentor'],
      { verb: 'create', name: 'Aria', fields: { role: 'Friendly TypeScript mentor' } },
    ],
    [
      ['edit', 'Aria', 'goal=say "hi" \\o/'],
      { verb: 'edit', name: 'Aria', fields: { goal: 'say "hi" \\o/' } },
    ],
    [
      ['create', 'Nova', 'prompt=a=b', 'model=offline:echo'],
      { verb: 'create', name: 'Nova', fields: { prompt: 'a=b', model: 'offline:echo' } },
    ],
    [['list'], { verb: 'list' }],
    [['show', 'zoë'], { verb: 'show', name: 'zoë' }],
  ])('%j', (words, command) => {
    expect(parseAgentCommand(argvToCommandText(words))).toEqual({ ok: true, command });
  });

  it('a name with spaces stays one (invalid) name instead of spilling into fields', () => {
    const parsed = parseAgentCommand(argvToCommandText(['create', 'Bad Name']));
    expect(parsed.ok).toBe(false);
  });
});
