/**
 * A fetched (or unfetchable) file as model input: pure. Each file gives the model one part (an
 * image, or text) and gives llm_messages the line that says what the model saw (`[image: x.png]`,
 * the inlined text, a note): the bytes themselves are never stored.
 */
import type { FetchedFile } from './fetch-file.ts';
import { describe, type FileStep } from './plan.ts';

export type FilePart =
  | { type: 'text'; text: string }
  | { type: 'image'; image: Uint8Array; mediaType: string };

export interface RenderedFile {
  part: FilePart;
  /** What llm_messages records for it. */
  seen: string;
}

export function renderFile(
  step: FileStep,
  fetched: FetchedFile | undefined,
  maxTextChars: number,
): RenderedFile {
  if (step.kind === 'note') return note(step.text);
  const described = describe(step.file);
  if (!fetched?.ok) {
    if (fetched?.tooLarge) return note(`[image: ${described}: not shown, over the image size limit]`);
    return note(`[file: ${described}: could not be fetched (${fetched?.reason ?? 'not fetched'})]`);
  }
  if (step.kind === 'image') {
    return {
      part: { type: 'image', image: fetched.bytes, mediaType: step.mediaType },
      seen: `[image: ${step.file.name}]`,
    };
  }
  const decoded = new TextDecoder('utf-8').decode(fetched.bytes);
  if (decoded.includes('\u0000')) return note(`[file: ${described}: binary content, not shown]`);
  const cut = !fetched.complete || decoded.length > maxTextChars;
  const text = inlineText(step.file.name, decoded.slice(0, maxTextChars), cut ? maxTextChars : undefined);
  return { part: { type: 'text', text }, seen: text };
}

/** A fenced block under the file's name; the fence is longer than any backtick run inside. */
export function inlineText(name: string, content: string, cutAt: number | undefined): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const tail = cutAt === undefined ? '' : `\n[${name}: cut at ${cutAt} characters]`;
  return `[file: ${name}]\n${fence}\n${content.replace(/\n$/, '')}\n${fence}${tail}`;
}

function note(text: string): RenderedFile {
  return { part: { type: 'text', text }, seen: text };
}
