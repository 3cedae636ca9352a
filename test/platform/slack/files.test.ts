/**
 * Files people share in Slack reach the model (the whole pipeline, real Bolt and the real
 * @ai-sdk/google against the fakes): images as image parts, text files inlined, the rest and
 * whatever is over a limit named; fetched from Slack's file host with the bot token only, and
 * never stored beyond what the model saw.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GeminiPart } from '../../fakes/gemini-server.ts';
import { directMessage } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

/** A 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

function fileShare(fields: { channel: string; text?: string; files: Record<string, unknown>[] }) {
  return {
    ...directMessage({ user: 'UANA', text: fields.text ?? '', channel: fields.channel }),
    subtype: 'file_share',
    upload: true,
    files: fields.files,
  };
}

describe('slack files into the model', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  let aria: { id: string; name: string };

  beforeAll(async () => {
    h = await startSlackHarness(database.current, {
      env: { MAX_FILES_PER_MESSAGE: '2', MAX_FILE_TEXT_CHARS: '200', MAX_IMAGE_BYTES: '10000' },
    });
    aria = await h.createAgent('Aria', { role: 'reviewer' });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  /** The text of the last user turn of the model's only request, its parts one per line. */
  async function lastUserText(): Promise<string> {
    return (await lastUserParts()).map((part) => part.text ?? '[non-text part]').join('\n');
  }

  /** The parts of the last user turn of the model's only request. */
  async function lastUserParts(): Promise<GeminiPart[]> {
    const [request] = await h.gemini.waitForRequests(1);
    return request?.body.contents.at(-1)?.parts ?? [];
  }

  async function llmTurns(channel: string): Promise<string[]> {
    const reply = await waitFor('the reply stored', () =>
      h.db.message.findFirst({ where: { agentId: aria.id, conversation: { channelId: channel } } }),
    );
    const job = await h.db.job.findFirst({ where: { replyMessageId: reply.id } });
    const turns = await h.db.llmMessage.findMany({
      where: { jobId: job?.id ?? '', role: 'user' },
      orderBy: { id: 'asc' },
    });
    return turns.map((turn) => turn.content);
  }

  it('answers a screenshot shared without text, the model seeing it as an image part', async () => {
    const shot = h.slack.files.add({ name: 'screen shot.png', mimetype: 'image/png', body: PNG });
    await h.sendEvent(fileShare({ channel: 'D0IMG', files: [shot] }));

    const parts = await lastUserParts();
    expect(parts).toContainEqual({ inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } });
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel: 'D0IMG', username: 'Aria' });

    // Fetched once, with the bot token, from the Slack file host.
    expect(h.slack.files.requests).toEqual([
      {
        path: expect.stringMatching(/^\/files-pri\/.+\/download\/screen%20shot\.png$/),
        token: h.slack.token,
        status: 200,
      },
    ]);
    // What the model saw is stored as a marker, never the bytes.
    expect(await llmTurns('D0IMG')).toEqual(['[image: screen shot.png]']);
    const stored = await h.db.message.findFirst({
      where: { platformMessageId: { not: null }, conversation: { channelId: 'D0IMG' }, agentId: null },
    });
    expect(stored?.content).toBe('');
    expect(stored?.attachments).not.toContain(PNG.toString('base64'));
    expect(JSON.parse(stored?.attachments ?? '[]')).toEqual([
      expect.objectContaining({ name: 'screen shot.png', mimetype: 'image/png', size: PNG.length }),
    ]);
  });

  it('inlines a text file cut at the cap, and names what is over the count limit', async () => {
    const log = `${'line of the log\n'.repeat(30)}`;
    const files = [
      h.slack.files.add({ name: 'build.log', mimetype: 'text/plain', body: log }),
      h.slack.files.add({ name: 'report.pdf', mimetype: 'application/pdf', body: '%PDF-1.7' }),
      h.slack.files.add({ name: 'extra.csv', mimetype: 'text/csv', body: 'a,b\n1,2\n' }),
    ];
    await h.sendEvent(fileShare({ channel: 'D0TXT', text: 'why does it fail?', files }));

    expect(await lastUserText()).toBe(
      [
        'why does it fail?',
        `[file: build.log]\n\`\`\`\n${log.slice(0, 200).replace(/\n$/, '')}\n\`\`\`\n[build.log: cut at 200 characters]`,
        '[file: report.pdf (application/pdf, 8 bytes): not readable by the model]',
        '[not included, over the limit of 2 files per message: extra.csv]',
      ].join('\n'),
    );
    // Only the text file was fetched: the PDF is named, the third file is over the limit.
    expect(h.slack.files.requests.map((r) => r.path)).toEqual([expect.stringContaining('build.log')]);
    const [turn] = await llmTurns('D0TXT');
    expect(turn).toContain('why does it fail?\n[file: build.log]');
    expect(turn).toContain('extra.csv]');
  });

  it('names an image over the size limit without fetching it', async () => {
    const big = h.slack.files.add({ name: 'big.png', mimetype: 'image/png', body: PNG, size: 2_000_000 });
    await h.sendEvent(fileShare({ channel: 'D0BIG', text: 'look', files: [big] }));
    expect(await lastUserText()).toBe(
      'look\n[image: big.png (image/png, 2 MB): not shown, over the 10 KB image limit]',
    );
    expect(h.slack.files.requests).toEqual([]);
  });

  it('still answers when the token no longer works, the file named as not fetched', async () => {
    for (const failure of ['redirect', 'login-page'] as const) {
      h.slack.reset();
      h.gemini.reset();
      h.slack.files.authFailure = failure;
      h.slack.files.revokeToken();
      const notes = h.slack.files.add({ name: 'notes.md', mimetype: 'text/markdown', body: '# notes' });
      const channel = `D0REV${failure === 'redirect' ? 'A' : 'B'}`;
      await h.sendEvent(fileShare({ channel, text: 'read this', files: [notes] }));
      expect(await lastUserText()).toMatch(
        /^read this\n\[file: notes\.md \(text\/markdown, 7 bytes\): could not be fetched \(.*not authorised\)\]$/,
      );
      await h.slack.waitForCalls('chat.postMessage', 1);
    }
  });

  it('never sends the bot token to a file URL that is not on the Slack file host', async () => {
    const elsewhere = await startFakeElsewhere();
    try {
      const file = {
        id: 'F0EVIL',
        name: 'notes.txt',
        mimetype: 'text/plain',
        size: 5,
        url_private: `${elsewhere.url}/notes.txt`,
        url_private_download: `${elsewhere.url}/download/notes.txt`,
      };
      await h.sendEvent(fileShare({ channel: 'D0EVIL', text: 'see file', files: [file] }));
      expect(await lastUserText()).toBe(
        "see file\n[file: notes.txt (text/plain, 5 bytes): could not be fetched (not on Slack's file host)]",
      );
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});

async function startFakeElsewhere() {
  const { createServer } = await import('node:http');
  const requests: Array<{ url: string; authorization: string | undefined }> = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    // Another host than the fake Slack's 127.0.0.1: the origin differs by port alone, which is enough.
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
