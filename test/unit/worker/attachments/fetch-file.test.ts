/** fetchFile against a local server: the byte cap, the deadline, redirects and web pages refused. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFile } from '../../../../src/worker/attachments/fetch-file.ts';

let server: Server;
let origin = '';
let bytesSent = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/big') {
      // Up to 256 MB in 64 KB chunks, without a length: the reader must stop by itself.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(65_536, 'a');
      let left = 4096;
      const write = () => {
        while (left > 0 && !res.destroyed) {
          left -= 1;
          bytesSent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', write);
        }
        res.end();
      };
      write();
    } else if (req.url === '/declared') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '5000000' });
      res.write(Buffer.alloc(10));
    } else if (req.url === '/slow') {
      res.writeHead(200);
      res.write('a');
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/small' });
      res.end();
    } else if (req.url === '/login') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html>Sign in</html>');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('small');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const base = { headers: {}, timeoutMs: 2000, maxBytes: 1000 };

describe('fetchFile', () => {
  it('reads a small file whole', async () => {
    const got = await fetchFile(`${origin}/small`, base);
    expect(got).toEqual({ ok: true, bytes: new TextEncoder().encode('small'), complete: true });
  });

  it('keeps exactly the cap of a longer body and stops reading', async () => {
    const got = await fetchFile(`${origin}/big`, base);
    expect(got.ok && got.bytes.byteLength).toBe(1000);
    expect(got.ok && got.complete).toBe(false);
    // The sender is cut off long before the whole body (socket buffers on both ends hold some).
    await new Promise((resolve) => setImmediate(resolve));
    expect(bytesSent).toBeLessThan(32 * 1024 * 1024);
  });

  it('gives up at once on a declared length over the cap when only a whole file will do', async () => {
    expect(await fetchFile(`${origin}/declared`, { ...base, wholeOrNothing: true })).toEqual({
      ok: false,
      reason: 'too large',
      tooLarge: true,
    });
  });

  it('times out, follows no redirect, and refuses a web page for a file', async () => {
    expect(await fetchFile(`${origin}/slow`, { ...base, timeoutMs: 100 })).toEqual({
      ok: false,
      reason: 'timed out after 100 ms',
    });
    expect(await fetchFile(`${origin}/redirect`, base)).toEqual({
      ok: false,
      reason: 'HTTP 302, not authorised',
    });
    expect(await fetchFile(`${origin}/login`, { ...base, refuseHtml: true })).toEqual({
      ok: false,
      reason: 'a web page came back instead of the file, not authorised',
    });
    expect(await fetchFile('http://127.0.0.1:1/nothing', base)).toEqual({
      ok: false,
      reason: 'could not be fetched',
    });
  });
});
