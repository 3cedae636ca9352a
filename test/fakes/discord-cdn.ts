/**
 * Discord's attachment CDN (cdn.discordapp.com) inside the fake Discord: attachments are served
 * without credentials at `/attachments/<channel>/<attachment>/<filename>` with the signed
 * `ex`/`is`/`hm` query Discord adds; an unknown one is a 404 ("This content is no longer available.").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json } from './discord-payloads.ts';
import { snowflake } from './discord-payloads.ts';

export interface DiscordFileSpec {
  name: string;
  contentType?: string;
  body: Buffer | string;
}

export class DiscordCdn {
  readonly requests: Array<{ path: string; authorization: string | undefined; status: number }> = [];
  private readonly files = new Map<string, { contentType: string | undefined; body: Buffer }>();

  constructor(private readonly origin: () => string) {}

  /** Hosts a file; returns the attachment object a MESSAGE_CREATE carries. */
  add(channelId: string, spec: DiscordFileSpec): Json {
    const id = snowflake();
    const body = Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(spec.name)}`;
    this.files.set(path, { contentType: spec.contentType, body });
    const expires = Math.floor(Date.now() / 1000 + 86_400).toString(16);
    const query = `?ex=${expires}&is=${Math.floor(Date.now() / 1000).toString(16)}&hm=${'ab'.repeat(32)}&`;
    return {
      id,
      filename: spec.name,
      size: body.length,
      url: `${this.origin()}${path}${query}`,
      proxy_url: `${this.origin()}${path}${query}`,
      ...(spec.contentType && { content_type: spec.contentType }),
    };
  }

  /** Answers an `/attachments/…` request; false when the path is not one. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (!path.startsWith('/attachments/')) return false;
    const file = this.files.get(path);
    const status = file ? 200 : 404;
    this.requests.push({ path, authorization: req.headers.authorization, status });
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('This content is no longer available.');
      return true;
    }
    res.writeHead(200, {
      'content-type': file.contentType ?? 'application/octet-stream',
      'content-length': String(file.body.length),
    });
    res.end(file.body);
    return true;
  }
}
