/**
 * Files into the model's input at reply time: for the messages of the current context only, each
 * file is planned (limits, model), fetched in parallel from a trusted host with a deadline and a
 * byte cap, and rendered. A failed fetch becomes a note, never a failed reply. Nothing fetched is
 * kept beyond the model call.
 */
import type { Config } from '../../config.ts';
import type { Attachment } from '../../core/attachments.ts';
import type { Platform } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import type { ModelContext } from '../context-builder.ts';
import { parseModelSpec } from '../providers/registry.ts';
import { type FetchedFile, fetchFile } from './fetch-file.ts';
import { type FileHostSettings, planFetch } from './file-hosts.ts';
import { type ModelInput, withFiles } from './model-input.ts';
import { type FileLimits, type FileStep, limitImagesPerReply, planFiles } from './plan.ts';
import { type RenderedFile, renderFile } from './render.ts';

export type { ModelInput } from './model-input.ts';

export interface FileSettings extends FileLimits, FileHostSettings {
  /** FILE_FETCH_TIMEOUT_MS: one file's download, at most. */
  fetchTimeoutMs: number;
}

export interface FileInput {
  /** `prompt` with the files of `messages` (the context read) added to their turns. */
  modelInput(
    prompt: ModelContext,
    messages: ReadonlyArray<{ id: number; attachments?: Attachment[] | undefined }>,
    platform: Platform,
    /** The model spec (`google:gemini-2.5-flash`) or the resolved instance (a provider record's). */
    model: string | { readonly provider: string },
  ): Promise<ModelInput>;
}

/** Image bytes one reply holds at most: one message's worth (its count times the image cap). */
export function imageBudget(limits: FileLimits): number {
  return Math.max(1, limits.maxFilesPerMessage) * limits.maxImageBytes;
}

/** Downloads running at once for one reply. */
const PARALLEL_FETCHES = 4;

/** The AI SDK provider ids of the APIs that take image parts: Gemini, OpenAI, Anthropic. */
const IMAGE_PROVIDERS = new Set([
  'google.generative-ai',
  'openai.responses',
  'openai.chat',
  'anthropic.messages',
]);

/**
 * Whether the model gets images as image parts. Gemini, OpenAI and Anthropic take png/jpeg/gif/webp;
 * the offline echo and OpenAI-compatible servers (many of whose models are text-only, and which
 * fail the whole call on an image part) get a note naming the image instead. A resolved instance
 * says which API it speaks (a provider record's kind); a spec alone only knows the built-ins.
 */
export function modelTakesImages(model: string | { readonly provider: string }): boolean {
  if (typeof model !== 'string') return IMAGE_PROVIDERS.has(model.provider);
  const spec = parseModelSpec(model);
  return spec.ok && spec.provider === 'google';
}

/** The FileInput the service runs with: the limits and platform hosts of its configuration. */
export function fileInputFor(
  config: Pick<Config, 'files' | 'slack' | 'discord'>,
  logger?: Logger,
): FileInput {
  return createFileInput(
    {
      ...config.files,
      slackApiUrl: config.slack.apiUrl,
      slackBotToken: config.slack.botToken,
      discordApiUrl: config.discord.apiUrl,
    },
    logger,
  );
}

export function createFileInput(settings: FileSettings, logger?: Logger): FileInput {
  return {
    async modelInput(prompt, messages, platform, model) {
      const withAttachments = messages.filter((m) => (m.attachments?.length ?? 0) > 0);
      if (withAttachments.length === 0)
        return { system: prompt.system, messages: prompt.messages, turns: prompt.turns };
      const images = modelTakesImages(model);
      const planned = limitImagesPerReply(
        withAttachments.map((m) => ({ id: m.id, steps: planFiles(m.attachments ?? [], settings, images) })),
        imageBudget(settings),
      );
      const work = planned.flatMap((m) => m.steps);
      const fetched = await mapLimited(work, PARALLEL_FETCHES, (step) => fetchStep(step, platform));
      const rendered = new Map<number, RenderedFile[]>();
      let at = 0;
      for (const m of planned) {
        rendered.set(
          m.id,
          m.steps.map((step) => {
            const result = fetched[at++];
            if (result && !result.ok && logger) {
              logger.warn(
                { platform, messageId: m.id, reason: result.reason },
                'file for the model could not be fetched',
              );
            }
            return renderFile(step, result, settings.maxTextChars);
          }),
        );
      }
      return withFiles(prompt, rendered);
    },
  };

  async function fetchStep(step: FileStep, platform: Platform): Promise<FetchedFile | undefined> {
    if (step.kind === 'note') return undefined;
    const plan = planFetch(platform, step.url, settings);
    if (!plan.ok) return { ok: false, reason: plan.reason };
    return fetchFile(step.url, {
      headers: plan.headers,
      timeoutMs: settings.fetchTimeoutMs,
      maxBytes: step.maxBytes,
      wholeOrNothing: step.kind === 'image',
      refuseHtml: !/html/i.test(step.file.mimetype ?? ''),
    });
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
