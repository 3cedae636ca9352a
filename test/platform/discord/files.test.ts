/**
 * Discord attachments reach the model: the real discord.js client gets a MESSAGE_CREATE with
 * attachments on the fake CDN; the worker fetches them (no credentials) and the real
 * @ai-sdk/google sends the fake Gemini an image part and the inlined text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('discord attachments into the model', () => {
  it('answers a DM of attachments only: the image as an image part, the code inlined', async () => {
    h = await startDiscordHarness(t.current);
    const { discord } = h;
    const nova = await h.createAgent('Nova');
    const dm = discord.dmWith(discord.ana);
    const image = discord.cdn.add(dm.id, { name: 'chart.png', contentType: 'image/png', body: PNG });
    const code = discord.cdn.add(dm.id, { name: 'main.py', body: 'print("hi")\n' });
    const gone = { ...discord.cdn.add(dm.id, { name: 'old.txt', body: 'x' }) };
    gone.url = String(gone.url).replace(/\/attachments\/\d+\/\d+\//, '/attachments/1/2/');
    discord.say({ channel: dm, author: discord.ana, content: '', attachments: [image, code, gone] });

    const [request] = await h.gemini.waitForRequests(1);
    const parts = request?.body.contents.at(-1)?.parts ?? [];
    expect(parts).toEqual([
      { inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } },
      { text: '[file: main.py]\n```\nprint("hi")\n```' },
      { text: '[file: old.txt (1 byte): could not be fetched (HTTP 404)]' },
    ]);
    await waitFor('the reply delivered', () => h?.delivered(nova));
    // The CDN is asked without the bot token.
    expect(discord.cdn.requests.map((r) => r.authorization)).toEqual([undefined, undefined, undefined]);
    // The message row keeps the descriptors, not a text placeholder.
    const asked = await h.db.message.findFirstOrThrow({ where: { agentId: null, authorId: { not: null } } });
    expect(asked.content).toBe('');
    expect(JSON.parse(asked.attachments ?? '[]').map((a: { name: string }) => a.name)).toEqual([
      'chart.png',
      'main.py',
      'old.txt',
    ]);
  });
});
