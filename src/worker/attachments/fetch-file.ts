/**
 * Downloads one file with a deadline and a byte cap: reading stops at the cap (the rest is never
 * buffered), redirects are not followed (Slack answers a request without a valid token with a
 * redirect to its login page; following it would send nothing useful, and a redirect elsewhere
 * must not be trusted), and every failure is a short reason, never an exception.
 */

export interface FetchFileOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  /** Bytes kept at most. */
  maxBytes: number;
  /** Give up at once when the server says (Content-Length) the file is over `maxBytes`. */
  wholeOrNothing?: boolean;
  /**
   * An HTML answer is a web page, not the file (Slack may serve its login page with HTTP 200 to a
   * request whose token it does not accept): refused unless the file itself is HTML.
   */
  refuseHtml?: boolean;
}

export type FetchedFile =
  | { ok: true; bytes: Uint8Array /** Everything was read (false: cut at maxBytes). */; complete: boolean }
  | { ok: false; reason: string /** The file is larger than maxBytes. */; tooLarge?: boolean };

export async function fetchFile(url: string, options: FetchFileOptions): Promise<FetchedFile> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const response = await fetch(url, {
      headers: options.headers,
      redirect: 'manual',
      signal: controller.signal,
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      const redirected = response.status >= 300 && response.status < 400;
      return {
        ok: false,
        reason: redirected ? `HTTP ${response.status}, not authorised` : `HTTP ${response.status}`,
      };
    }
    if (options.refuseHtml && /^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, reason: 'a web page came back instead of the file, not authorised' };
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (options.wholeOrNothing && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, reason: 'too large', tooLarge: true };
    }
    const read = await readCapped(response, options.maxBytes);
    if (!read.complete && options.wholeOrNothing) return { ok: false, reason: 'too large', tooLarge: true };
    return { ok: true, ...read };
  } catch {
    return {
      ok: false,
      reason: controller.signal.aborted ? `timed out after ${options.timeoutMs} ms` : 'could not be fetched',
    };
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(), complete: true };
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: concat(chunks, total), complete: true };
    const room = maxBytes - total;
    if (value.byteLength > room) {
      if (room > 0) chunks.push(value.subarray(0, room));
      await reader.cancel().catch(() => undefined);
      return { bytes: concat(chunks, maxBytes), complete: false };
    }
    chunks.push(value);
    total += value.byteLength;
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
