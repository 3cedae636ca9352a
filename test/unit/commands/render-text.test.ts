import { describe, expect, it } from 'vitest';
import { renderReplyAsText } from '../../../src/commands/render-text.ts';

describe('renderReplyAsText', () => {
  it('prints the headline alone', () => {
    expect(renderReplyAsText({ ok: false, text: 'Only Ana (the creator) or an admin can edit Aria.' })).toBe(
      'Only Ana (the creator) or an admin can edit Aria.',
    );
  });

  it('aligns fields and indents multi-line values', () => {
    const text = renderReplyAsText({
      ok: true,
      title: 'Aria',
      text: 'Created by Ana on 2026-11-24.',
      fields: [
        { label: 'Role', value: 'mentor' },
        { label: 'Avatar', value: '' },
        { label: 'System prompt', value: 'You are Aria.\nBe brief.' },
      ],
    });
    expect(text).toBe(
      [
        'Aria',
        'Created by Ana on 2026-11-24.',
        '  Role:          mentor',
        '  Avatar:        -',
        '  System prompt: You are Aria.',
        '                 Be brief.',
      ].join('\n'),
    );
  });

  it('prints rows as aligned columns, counting code points, not UTF-16 units', () => {
    const text = renderReplyAsText({
      ok: true,
      title: 'Agents',
      text: '2 agents here.',
      rows: [
        {
          name: 'Aria',
          status: 'active',
          model: 'default (offline:echo)',
          channels: 'C1, C2',
          role: 'mentor',
        },
        { name: 'Zoë🤖', status: 'paused', model: 'local:llama3', channels: '', role: '' },
      ],
    });
    expect(text).toBe(
      [
        'Agents',
        '2 agents here.',
        '  NAME  STATUS  MODEL                   CHANNELS  ROLE',
        '  Aria  active  default (offline:echo)  C1, C2    mentor',
        '  Zoë🤖  paused  local:llama3            -         -',
      ].join('\n'),
    );
  });
});
