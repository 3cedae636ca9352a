/** The pure decisions behind files into the model: kind, host, plan, rendering, assembly. */
import { describe, expect, it } from 'vitest';
import { decodeAttachments, encodeAttachments } from '../../../../src/core/attachments.ts';
import { planFetch } from '../../../../src/worker/attachments/file-hosts.ts';
import { fileKind } from '../../../../src/worker/attachments/file-kind.ts';
import { imageBudget, modelTakesImages } from '../../../../src/worker/attachments/index.ts';
import { withFiles } from '../../../../src/worker/attachments/model-input.ts';
import { limitImagesPerReply, planFiles } from '../../../../src/worker/attachments/plan.ts';
import { inlineText, renderFile } from '../../../../src/worker/attachments/render.ts';
import { buildModelContext } from '../../../../src/worker/context-builder.ts';

const LIMITS = { maxFilesPerMessage: 2, maxImageBytes: 1000, maxTextChars: 10 };

describe('fileKind', () => {
  it.each([
    ['shot.png', 'image/png', 'image'],
    ['photo.JPG', undefined, 'image'],
    ['anim.gif', 'application/octet-stream', 'image'],
    ['pic.webp', 'image/webp', 'image'],
    ['scan.tiff', 'image/tiff', 'other'],
    ['vector.svg', 'image/svg+xml', 'text'],
    ['main.ts', 'video/mp2t', 'other'],
    ['main.ts', 'text/plain', 'text'],
    ['data.csv', 'text/csv', 'text'],
    ['notes.md', undefined, 'text'],
    ['app.log', 'application/octet-stream', 'text'],
    ['config.json', 'application/json; charset=utf-8', 'text'],
    ['Dockerfile', undefined, 'text'],
    ['report.pdf', 'application/pdf', 'other'],
    ['archive.zip', undefined, 'other'],
    ['binary', 'application/octet-stream', 'other'],
  ])('%s (%s) is %s', (name, mimetype, kind) => {
    expect(fileKind({ name, ...(mimetype && { mimetype }) })).toBe(kind);
  });
});

describe('planFetch: the bot token only to Slack, nothing off the platform hosts', () => {
  const settings = {
    slackApiUrl: 'https://slack.com/api/',
    slackBotToken: 'xoxb-test',
    discordApiUrl: 'https://discord.com/api',
  };
  it.each([
    [
      'slack',
      'https://files.slack.com/files-pri/T1-F1/a.png',
      { ok: true, headers: { authorization: 'Bearer xoxb-test' } },
    ],
    [
      'slack',
      'https://slack.com/files-pri/T1-F1/a.png',
      { ok: true, headers: { authorization: 'Bearer xoxb-test' } },
    ],
    [
      'slack',
      'http://files.slack.com/files-pri/T1-F1/a.png',
      { ok: false, reason: "not on Slack's file host" },
    ],
    ['slack', 'https://files.slack.com.evil.test/a.png', { ok: false, reason: "not on Slack's file host" }],
    ['slack', 'https://user@files.slack.com/a.png', { ok: false, reason: 'not a downloadable link' }],
    [
      'slack',
      'https://cdn.discordapp.com/attachments/1/2/a.png',
      { ok: false, reason: "not on Slack's file host" },
    ],
    ['slack', 'file:///etc/passwd', { ok: false, reason: 'not a downloadable link' }],
    ['discord', 'https://cdn.discordapp.com/attachments/1/2/a.png?ex=1', { ok: true, headers: {} }],
    ['discord', 'https://media.discordapp.net/attachments/1/2/a.png', { ok: true, headers: {} }],
    [
      'discord',
      'https://files.slack.com/files-pri/T1-F1/a.png',
      { ok: false, reason: "not on Discord's CDN" },
    ],
    ['discord', 'http://169.254.169.254/latest/meta-data', { ok: false, reason: "not on Discord's CDN" }],
    [
      'shell',
      'https://files.slack.com/a.png',
      { ok: false, reason: 'files are not fetched on this platform' },
    ],
  ] as const)('%s %s', (platform, url, plan) => {
    expect(planFetch(platform, url, settings)).toEqual(plan);
  });

  it('follows a configured Slack API base (a proxy, the test fake) and needs the token', () => {
    const local = { ...settings, slackApiUrl: 'http://127.0.0.1:9999/api/' };
    expect(planFetch('slack', 'http://127.0.0.1:9999/files-pri/T-F/a', local).ok).toBe(true);
    expect(planFetch('slack', 'https://files.slack.com/files-pri/T-F/a', local).ok).toBe(false);
    const { slackBotToken: _, ...noToken } = settings;
    expect(planFetch('slack', 'https://files.slack.com/a', noToken)).toEqual({
      ok: false,
      reason: 'no Slack bot token',
    });
  });
});

describe('planFiles', () => {
  const png = { name: 'a.png', mimetype: 'image/png', size: 500, url: 'u1' };
  it('names files over the count limit in one note', () => {
    const steps = planFiles(
      [png, { name: 'b.txt', url: 'u2' }, { name: 'c.md', url: 'u3' }, { name: 'd.js' }],
      LIMITS,
      true,
    );
    expect(steps.map((s) => s.kind)).toEqual(['image', 'text', 'note']);
    expect(steps[2]).toEqual({
      kind: 'note',
      text: '[not included, over the limit of 2 files per message: c.md, d.js]',
    });
  });
  it.each([
    [{ ...png, size: 5000 }, true, '[image: a.png (image/png, 5 KB): not shown, over the 1 KB image limit]'],
    [png, false, "[image: a.png (image/png, 500 bytes): not shown, this agent's model does not take images]"],
    [
      { name: 'x.pdf', mimetype: 'application/pdf', url: 'u' },
      true,
      '[file: x.pdf (application/pdf): not readable by the model]',
    ],
    [{ name: 'y.txt', size: 3 }, true, '[file: y.txt (3 bytes): not available to the bot]'],
  ])('notes %o (images: %s)', (file, images, text) => {
    expect(planFiles([file], LIMITS, images)).toEqual([{ kind: 'note', text }]);
  });
  it('reads at most 4 bytes a character of a text file', () => {
    expect(planFiles([{ name: 'b.txt', url: 'u' }], LIMITS, true)).toEqual([
      { kind: 'text', file: { name: 'b.txt', url: 'u' }, url: 'u', maxBytes: 40 },
    ]);
  });
  it('sends no file at all with MAX_FILES_PER_MESSAGE=0, only names them', () => {
    expect(planFiles([png], { ...LIMITS, maxFilesPerMessage: 0 }, true)).toEqual([
      { kind: 'note', text: '[not included, over the limit of 0 files per message: a.png]' },
    ]);
  });
});

describe('renderFile', () => {
  const text = { kind: 'text' as const, file: { name: 'a.txt' }, url: 'u', maxBytes: 40 };
  const bytes = (s: string) => new TextEncoder().encode(s);
  it.each([
    [{ ok: true as const, bytes: bytes('hello'), complete: true }, '[file: a.txt]\n```\nhello\n```'],
    [
      { ok: true as const, bytes: bytes('0123456789abc'), complete: true },
      '[file: a.txt]\n```\n0123456789\n```\n[a.txt: cut at 10 characters]',
    ],
    [
      { ok: true as const, bytes: bytes('short'), complete: false },
      '[file: a.txt]\n```\nshort\n```\n[a.txt: cut at 10 characters]',
    ],
    [
      { ok: true as const, bytes: new Uint8Array([0x50, 0x4b, 0, 3]), complete: true },
      '[file: a.txt: binary content, not shown]',
    ],
    [{ ok: false as const, reason: 'HTTP 404' }, '[file: a.txt: could not be fetched (HTTP 404)]'],
    [
      { ok: false as const, reason: 'timed out after 100 ms' },
      '[file: a.txt: could not be fetched (timed out after 100 ms)]',
    ],
  ])('%o', (fetched, seen) => {
    expect(renderFile(text, fetched, 10)).toEqual({ part: { type: 'text', text: seen }, seen });
  });
  it('an image is an image part, and only its name is what is recorded', () => {
    const image = {
      kind: 'image' as const,
      file: { name: 'a.png' },
      url: 'u',
      mediaType: 'image/png',
      maxBytes: 10,
    };
    const data = new Uint8Array([1, 2, 3]);
    expect(renderFile(image, { ok: true, bytes: data, complete: true }, 10)).toEqual({
      part: { type: 'image', image: data, mediaType: 'image/png' },
      seen: '[image: a.png]',
    });
    expect(renderFile(image, { ok: false, reason: 'too large', tooLarge: true }, 10).seen).toBe(
      '[image: a.png: not shown, over the image size limit]',
    );
  });
  it('fences text with more backticks than it holds', () => {
    expect(inlineText('r.md', 'a ```js``` b', undefined)).toBe('[file: r.md]\n````\na ```js``` b\n````');
  });
});

describe('withFiles', () => {
  it('keeps a message with only files as a turn, and turns text plus parts into one user message', () => {
    const prompt = buildModelContext({
      agent: { id: 'ag', name: 'Aria' },
      systemPrompt: 'sys',
      messages: [
        { id: 1, content: 'hi', agentId: null, authorId: 'u1' },
        { id: 2, content: 'hello', agentId: 'ag', authorId: null },
        { id: 3, content: '', agentId: null, authorId: 'u1', attachments: [{ name: 'a.png' }] },
      ],
    });
    expect(prompt.turns.map((t) => t.messageId)).toEqual([1, 2, 3]);
    const image = new Uint8Array([1]);
    const input = withFiles(
      prompt,
      new Map([
        [3, [{ part: { type: 'image' as const, image, mediaType: 'image/png' }, seen: '[image: a.png]' }]],
      ]),
    );
    expect(input.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: [{ type: 'image', image, mediaType: 'image/png' }] },
    ]);
    expect(input.turns.map((t) => t.content)).toEqual(['hi', 'hello', '[image: a.png]']);
  });
});

describe('withFiles with text only', () => {
  it('sends one string (what every provider takes) and records the same text', () => {
    const prompt = buildModelContext({
      agent: { id: 'ag', name: 'Aria' },
      systemPrompt: 'sys',
      messages: [{ id: 1, content: 'see', agentId: null, authorId: 'u1', attachments: [{ name: 'a.md' }] }],
    });
    const note = '[file: a.md: could not be fetched (HTTP 404)]';
    const input = withFiles(
      prompt,
      new Map([[1, [{ part: { type: 'text' as const, text: note }, seen: note }]]]),
    );
    expect(input.messages).toEqual([{ role: 'user', content: `see\n${note}` }]);
    expect(input.turns.map((t) => t.content)).toEqual([`see\n${note}`]);
  });
});

describe('stored descriptors', () => {
  it('round-trip, drop what is malformed, and store nothing for no files', () => {
    const files = [{ name: 'a.png', mimetype: 'image/png', size: 3, url: 'https://x', id: 'F1' }];
    expect(decodeAttachments(encodeAttachments(files))).toEqual(files);
    expect(encodeAttachments([])).toBeNull();
    expect(decodeAttachments('[{"name":1},{"name":"b","size":"x"},"c"]')).toEqual([{ name: 'b' }]);
    expect(decodeAttachments('{not json')).toEqual([]);
    expect(decodeAttachments(null)).toEqual([]);
  });
});

describe('modelTakesImages', () => {
  it.each([
    ['google:gemini-2.5-flash', true],
    ['offline:echo', false],
    ['local:llava', false],
    ['nonsense', false],
  ])('%s: %s', (model, takes) => {
    expect(modelTakesImages(model)).toBe(takes);
  });

  it.each([
    ['a Gemini record', 'google.generative-ai', true],
    ['an OpenAI record (Responses)', 'openai.responses', true],
    ['an Anthropic record', 'anthropic.messages', true],
    ['an openai-compatible record named ollama', 'ollama.chat', false],
    ['the offline echo', 'offline', false],
  ])('a resolved instance of %s (%s): %s', (_name, provider, takes) => {
    expect(modelTakesImages({ provider })).toBe(takes);
  });
});

describe('limitImagesPerReply', () => {
  const image = (name: string, size?: number) => ({
    kind: 'image' as const,
    file: { name, ...(size !== undefined && { size }) },
    url: 'u',
    mediaType: 'image/png',
    maxBytes: 1000,
  });
  it('keeps the newest images within the budget and names the older ones', () => {
    const planned = [
      { id: 1, steps: [image('old.png', 600)] },
      { id: 2, steps: [image('mid.png'), { kind: 'note' as const, text: 'n' }] },
      { id: 3, steps: [image('new.png', 900)] },
    ];
    const kept = limitImagesPerReply(planned, 2000);
    expect(kept.map((m) => m.steps.map((s) => (s.kind === 'note' ? s.text : s.file.name)))).toEqual([
      ['[image: old.png (600 bytes): not shown again, earlier in the conversation]'],
      ['mid.png', 'n'],
      ['new.png'],
    ]);
  });
  it('with the defaults, one reply holds at most one message worth of images', () => {
    expect(imageBudget({ maxFilesPerMessage: 4, maxImageBytes: 5_000_000, maxTextChars: 1 })).toBe(
      20_000_000,
    );
  });
});
