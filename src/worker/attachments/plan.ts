/**
 * Which files of one message reach the model, and how: pure. Over the count limit or the image
 * size limit, a file is not fetched and the note names it; an image for a model that takes none
 * is named only.
 */
import type { Attachment } from '../../core/attachments.ts';
import { fileKind, formatBytes, imageMediaType } from './file-kind.ts';

export interface FileLimits {
  /** MAX_FILES_PER_MESSAGE: files looked at per message; the rest are named in a note. */
  maxFilesPerMessage: number;
  /** MAX_IMAGE_BYTES: larger images are named, not sent. */
  maxImageBytes: number;
  /** MAX_FILE_TEXT_CHARS: a text file is inlined up to this many characters. */
  maxTextChars: number;
}

export type FileStep =
  | { kind: 'image'; file: Attachment; url: string; mediaType: string; maxBytes: number }
  | { kind: 'text'; file: Attachment; url: string; maxBytes: number }
  /** Nothing to fetch: the model sees this one line. */
  | { kind: 'note'; text: string };

/** UTF-8 takes at most 4 bytes a character: reading this many bytes is enough for the cap. */
export const BYTES_PER_CHAR = 4;

export function planFiles(
  files: readonly Attachment[],
  limits: FileLimits,
  modelTakesImages: boolean,
): FileStep[] {
  const looked = files.slice(0, limits.maxFilesPerMessage);
  const skipped = files.slice(limits.maxFilesPerMessage);
  const steps = looked.map((file) => stepFor(file, limits, modelTakesImages));
  if (skipped.length > 0) {
    const names = skipped.map((file) => file.name).join(', ');
    steps.push({
      kind: 'note',
      text: `[not included, over the limit of ${limits.maxFilesPerMessage} files per message: ${names}]`,
    });
  }
  return steps;
}

function stepFor(file: Attachment, limits: FileLimits, modelTakesImages: boolean): FileStep {
  const kind = fileKind(file);
  const described = describe(file);
  // A Slack Connect file from another organisation comes with its id only: no URL to fetch.
  if (!file.url) return { kind: 'note', text: `[file: ${described}: not available to the bot]` };
  if (kind === 'other') return { kind: 'note', text: `[file: ${described}: not readable by the model]` };
  if (kind === 'image') {
    if (!modelTakesImages) {
      return {
        kind: 'note',
        text: `[image: ${described}: not shown, this agent's model does not take images]`,
      };
    }
    if (file.size !== undefined && file.size > limits.maxImageBytes) {
      return {
        kind: 'note',
        text: `[image: ${described}: not shown, over the ${formatBytes(limits.maxImageBytes)} image limit]`,
      };
    }
    const mediaType = imageMediaType(file) ?? 'image/png';
    return { kind: 'image', file, url: file.url, mediaType, maxBytes: limits.maxImageBytes };
  }
  return { kind: 'text', file, url: file.url, maxBytes: limits.maxTextChars * BYTES_PER_CHAR };
}

/** `name (type, size)` with what is known. */
export function describe(file: Attachment): string {
  const facts = [file.mimetype, file.size === undefined ? undefined : formatBytes(file.size)].filter(Boolean);
  return facts.length > 0 ? `${file.name} (${facts.join(', ')})` : file.name;
}

/**
 * One reply holds at most `budgetBytes` of images (by declared size, else the per-image cap),
 * newest messages first: an older image past the budget is named instead of fetched again, so a
 * long conversation full of screenshots cannot make one reply hold hundreds of megabytes.
 */
export function limitImagesPerReply<T extends { steps: FileStep[] }>(
  planned: readonly T[],
  budgetBytes: number,
): T[] {
  let left = budgetBytes;
  const kept = [...planned].reverse().map((message) => ({
    ...message,
    steps: message.steps.map((step): FileStep => {
      if (step.kind !== 'image') return step;
      const cost = step.file.size ?? step.maxBytes;
      if (cost <= left) {
        left -= cost;
        return step;
      }
      return {
        kind: 'note',
        text: `[image: ${describe(step.file)}: not shown again, earlier in the conversation]`,
      };
    }),
  }));
  return kept.reverse();
}
