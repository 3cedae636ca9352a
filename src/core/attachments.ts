/**
 * Files a message carried (Slack `files[]`, Discord attachments), as descriptors: what the file is
 * and where its bytes live, never the bytes. Stored with the message at ingest; the worker fetches
 * the bytes at reply time for the model (see worker/attachments/).
 */

export interface Attachment {
  name: string;
  /** The platform's content type (`image/png`), when it says. */
  mimetype?: string;
  /** Bytes, when the platform says. */
  size?: number;
  /** Where to download it (Slack `url_private_download`, Discord CDN url); absent: not downloadable. */
  url?: string;
  /** The platform's file id (Slack `F…`, Discord attachment snowflake). */
  id?: string;
}

/** The stored form (one JSON column on the message row); null when there is nothing to store. */
export function encodeAttachments(attachments: readonly Attachment[] | undefined): string | null {
  return attachments && attachments.length > 0 ? JSON.stringify(attachments) : null;
}

/** The stored form back; anything malformed is dropped (a row is never unreadable for it). */
export function decodeAttachments(value: unknown): Attachment[] {
  if (typeof value !== 'string' || value === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry): Attachment[] => {
    if (typeof entry !== 'object' || entry === null) return [];
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== 'string') return [];
    return [
      {
        name: e.name,
        ...(typeof e.mimetype === 'string' && { mimetype: e.mimetype }),
        ...(typeof e.size === 'number' && Number.isFinite(e.size) && { size: e.size }),
        ...(typeof e.url === 'string' && { url: e.url }),
        ...(typeof e.id === 'string' && { id: e.id }),
      },
    ];
  });
}
