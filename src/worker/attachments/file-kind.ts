/** What a file is to the model: an image it can look at, text it can read, or only a name. */
import type { Attachment } from '../../core/attachments.ts';

export type FileKind = 'image' | 'text' | 'other';

/** The image types every image-taking model we support accepts inline. */
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};
const IMAGE_MIMETYPES = new Set(Object.values(IMAGE_TYPES));

const TEXT_MIMETYPES = new Set([
  'application/json',
  'application/x-ndjson',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/typescript',
  'application/x-sh',
  'application/x-httpd-php',
  'application/sql',
  'application/csv',
  'application/graphql',
]);

const TEXT_EXTENSIONS = new Set(
  (
    'txt text md markdown rst csv tsv json jsonl ndjson yaml yml toml ini cfg conf env log xml html htm css ' +
    'scss js mjs cjs jsx ts tsx py rb go rs java kt kts scala c h cc cpp hpp cs swift m php pl sh bash zsh ' +
    'fish ps1 sql graphql proto lua r dart ex exs erl hs clj vue svelte tf hcl diff patch gradle makefile ' +
    'dockerfile gitignore properties'
  ).split(' '),
);

function extensionOf(name: string): string {
  const base = name.toLowerCase().split('/').at(-1) ?? '';
  const dot = base.lastIndexOf('.');
  return dot === -1 ? base : base.slice(dot + 1);
}

function baseMimetype(mimetype: string | undefined): string {
  return (mimetype ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The image media type of a file (by its mimetype, else its extension), if it is one we send. */
export function imageMediaType(file: Pick<Attachment, 'name' | 'mimetype'>): string | undefined {
  const mime = baseMimetype(file.mimetype);
  if (IMAGE_MIMETYPES.has(mime)) return mime;
  if (mime !== '' && mime !== 'application/octet-stream') return undefined;
  return IMAGE_TYPES[extensionOf(file.name)];
}

export function fileKind(file: Pick<Attachment, 'name' | 'mimetype'>): FileKind {
  if (imageMediaType(file)) return 'image';
  const mime = baseMimetype(file.mimetype);
  if (
    mime.startsWith('text/') ||
    TEXT_MIMETYPES.has(mime) ||
    mime.endsWith('+json') ||
    mime.endsWith('+xml')
  ) {
    return 'text';
  }
  // Platforms label code and logs inconsistently (Slack: text/plain or application/octet-stream):
  // a known text extension decides when the type says nothing more specific.
  if (mime === '' || mime === 'application/octet-stream' || mime === 'text/plain') {
    return TEXT_EXTENSIONS.has(extensionOf(file.name)) ? 'text' : 'other';
  }
  return 'other';
}

/** `1.5 MB`, `820 KB`, `12 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= 1000) return `${Math.round(bytes / 1000)} KB`;
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}
