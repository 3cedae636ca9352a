/**
 * Slack's private file host (files.slack.com) inside the fake Slack API: `url_private` and
 * `url_private_download` of shared files, served only to a request carrying the bot token as
 * `Authorization: Bearer`. Without it (or with a wrong or revoked token) Slack does not answer 401
 * with an error body: it redirects to the workspace's login page (`authFailure: 'redirect'`, the
 * default), or serves that page itself with HTTP 200 (`'login-page'`); `'unauthorized'` answers 401.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SlackFileSpec {
  name: string;
  mimetype: string;
  body: Buffer | string;
  /** The size the files[] entry claims [the body's length]. */
  size?: number;
}

export interface SlackFileRequest {
  path: string;
  /** The bearer token the request carried, if any. */
  token: string | undefined;
  status: number;
}

interface Hosted {
  id: string;
  name: string;
  mimetype: string;
  body: Buffer;
}

const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>';

export class SlackFileHost {
  readonly requests: SlackFileRequest[] = [];
  authFailure: 'redirect' | 'login-page' | 'unauthorized' = 'redirect';
  private readonly files = new Map<string, Hosted>();
  private counter = 0;
  private revoked = false;

  constructor(
    private readonly origin: () => string,
    private readonly teamId: string,
    private readonly token: string,
  ) {}

  /** Hosts a file; returns its `files[]` entry as a message event carries it. */
  add(spec: SlackFileSpec): Record<string, unknown> {
    const id = `F${String(++this.counter).padStart(8, '0')}`;
    const body = Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
    this.files.set(id, { id, name: spec.name, mimetype: spec.mimetype, body });
    const base = `${this.origin()}/files-pri/${this.teamId}-${id}`;
    const name = encodeURIComponent(spec.name);
    return {
      id,
      created: Math.floor(Date.now() / 1000),
      name: spec.name,
      title: spec.name,
      mimetype: spec.mimetype,
      filetype: spec.name.split('.').at(-1) ?? '',
      user: 'UANA',
      size: spec.size ?? body.length,
      mode: 'hosted',
      is_external: false,
      is_public: false,
      url_private: `${base}/${name}`,
      url_private_download: `${base}/download/${name}`,
      permalink: `https://fake.slack.com/files/UANA/${id}/${name}`,
    };
  }

  /** The app's token was revoked: file requests with it fail like unauthenticated ones. */
  revokeToken(): void {
    this.revoked = true;
  }

  reset(): void {
    this.files.clear();
    this.requests.length = 0;
    this.revoked = false;
    this.authFailure = 'redirect';
  }

  /** Answers a `/files-pri/…` request; false when the path is not one. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const match = /^\/files-pri\/[^/]+-(F[0-9A-Z]+)\/(?:download\/)?[^/]+$/.exec(path);
    if (!path.startsWith('/files-pri/')) return false;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    const answer = (status: number, headers: Record<string, string>, body: string | Buffer) => {
      this.requests.push({ path, token, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (token !== this.token || this.revoked) {
      if (this.authFailure === 'unauthorized') answer(401, { 'content-type': 'text/plain' }, 'Unauthorized');
      else if (this.authFailure === 'login-page') answer(200, { 'content-type': 'text/html' }, LOGIN_PAGE);
      else answer(302, { location: `${this.origin()}/?redir=${encodeURIComponent(path)}` }, '');
      return true;
    }
    const file = match?.[1] ? this.files.get(match[1]) : undefined;
    if (!file) {
      answer(404, { 'content-type': 'text/plain' }, 'File not found');
      return true;
    }
    answer(200, { 'content-type': file.mimetype, 'content-length': String(file.body.length) }, file.body);
    return true;
  }
}
