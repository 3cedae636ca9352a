// What a streamed reply shows mid-stream: whole words only, Markdown never left open.
import { describe, expect, it } from 'vitest';
import { closeOpenMarkdown, nextUpdateAt, settledText } from '../../../src/core/live-text.ts';

describe('live text', () => {
  it.each<[string, string, string]>([
    ['nothing before the first word ends', 'Hel', ''],
    ['up to the last space', 'Hello wor', 'Hello'],
    ['all of it once it ends in a space', 'Hello world ', 'Hello world'],
    ['a mention being written is held back', 'ask <@U12', 'ask'],
    ['a link being written is held back', 'see https://exa', 'see'],
    ['up to the last line break', 'line one\nline', 'line one'],
  ])('settledText: %s', (_name, text, shown) => {
    expect(settledText(text)).toBe(shown);
  });

  it.each<[string, string]>([
    ['an open code fence', '```ts\nconst a = 1;'],
    ['open bold', 'this is **important'],
    ['open inline code', 'run `npm test'],
    ['open italics', 'an _aside'],
  ])('closeOpenMarkdown closes %s', (_name, text) => {
    const closed = closeOpenMarkdown(text);
    expect(closed.startsWith(text)).toBe(true);
    expect((closed.match(/```/g)?.length ?? 0) % 2).toBe(0);
    expect((closed.match(/\*\*/g)?.length ?? 0) % 2).toBe(0);
    expect((closed.replace(/```/g, '').match(/`/g)?.length ?? 0) % 2).toBe(0);
  });

  it('a closed code block stays as it is, and its content is not touched', () => {
    const block = '```ts\nconst a = **b;\n```\n';
    expect(closeOpenMarkdown(block)).toBe(block);
    expect(closeOpenMarkdown('```\nconst a = **b;')).toBe('```\nconst a = **b;\n```');
  });

  it('closeOpenMarkdown leaves balanced Markdown as it is', () => {
    expect(closeOpenMarkdown('**done** and `code`')).toBe('**done** and `code`');
  });

  it('nextUpdateAt: the first update at once, then one per interval', () => {
    expect(nextUpdateAt(undefined, 1000)).toBe(0);
    expect(nextUpdateAt(5000, 1000)).toBe(6000);
  });
});
