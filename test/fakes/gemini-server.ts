/**
 * A local fake of the Gemini REST API (generativelanguage.googleapis.com/v1beta), shaped like the
 * real one so the real @ai-sdk/google can be driven against it:
 *   const fake = await startFakeGemini();
 *   createGoogleGenerativeAI({ apiKey: fake.apiKey, baseURL: fake.baseURL })
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import {
  estimateTokens,
  hangUp,
  parseJsonOrUndefined,
  RequestLog,
  ResponseScript,
  readRawBody,
  type StepOrFactory,
  sendJson,
  splitText,
  startEventStream,
  startLoopbackServer,
  waitUnlessClientGone,
} from './fake-http.ts';
import {
  errorResponse,
  type GeminiErrorStep,
  googleErrorBody,
  INVALID_KEY_BODY,
  MISSING_KEY_BODY,
} from './gemini-errors.ts';

export interface GeminiPart {
  text?: string;
  [field: string]: unknown;
}
export interface GeminiContent {
  role?: 'user' | 'model';
  parts: GeminiPart[];
}
export interface GeminiRequestBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  generationConfig?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface GeminiRequest {
  model: string;
  stream: boolean;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The key as sent (`x-goog-api-key` header, else `?key=`). */
  apiKey: string | undefined;
  body: GeminiRequestBody;
}

/**
 * Every step may wait `delayMs` first (to exercise timeouts), or until `release` settles (a model
 * call that lasts exactly as long as a test needs); a client that hangs up meanwhile gets nothing.
 */
export type GeminiStep =
  /** A reply; an array is streamed as those chunks (joined for generateContent), a string in 3. */
  (
    | {
        text: string | string[];
        finishReason?: string;
        delayMs?: number;
        /** Streamed: waits this long before each chunk after the first (a model writing). */
        chunkDelayMs?: number;
        /** Streamed: the connection drops after this many chunks (a model failing mid-answer). */
        breakAfterChunks?: number;
      }
    /** A candidate with no parts (finishReason STOP) or a blocked one (finishReason SAFETY). */
    | { empty: true; finishReason?: string; delayMs?: number }
    | GeminiErrorStep
    /** Drops the connection without answering (a network error for the client). */
    | { disconnect: true; delayMs?: number }
  ) & { release?: Promise<unknown> };

export interface FakeGemini {
  /** `http://127.0.0.1:<port>/v1beta`, for createGoogleGenerativeAI({ baseURL }). */
  baseURL: string;
  apiKey: string;
  readonly requests: GeminiRequest[];
  enqueue(...steps: GeminiStep[]): void;
  setScript(steps: GeminiStep[]): void;
  setDefault(step: StepOrFactory<GeminiRequest, GeminiStep>): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<GeminiRequest[]>;
  /** Forgets requests and queued steps, restores the default reply. */
  reset(): void;
  close(): Promise<void>;
}

function textOfParts(content: { parts?: GeminiPart[] } | undefined): string {
  return (content?.parts ?? []).map((part) => part.text ?? '').join('');
}

/** The default reply: deterministic from the request, echoing the last user turn. */
export function defaultGeminiReplyText(request: GeminiRequest): string {
  const lastUser = [...request.body.contents].reverse().find((content) => content.role === 'user');
  return `fake gemini (${request.model}): ${textOfParts(lastUser)}`;
}

function usageMetadata(request: GeminiRequest, replyText: string): Record<string, unknown> {
  const prompt = estimateTokens(
    [textOfParts(request.body.systemInstruction), ...request.body.contents.map((c) => textOfParts(c))].join(
      '\n',
    ),
  );
  const candidates = replyText === '' ? 0 : estimateTokens(replyText);
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function candidateChunk(request: GeminiRequest, responseId: string, text: string, final?: object): unknown {
  return {
    candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...final }],
    modelVersion: request.model,
    responseId,
  };
}

async function answer(
  request: GeminiRequest,
  step: GeminiStep,
  res: ServerResponse,
  id: string,
): Promise<void> {
  if (!(await waitUnlessClientGone(res, step.delayMs))) return;
  if (step.release && !(await releasedUnlessClientGone(res, step.release))) return;
  if ('disconnect' in step) return hangUp(res);
  if ('status' in step) {
    const { body, headers } = errorResponse(step);
    return sendJson(res, step.status, body, headers);
  }
  if ('empty' in step) {
    const finishReason = step.finishReason ?? 'STOP';
    const body = {
      candidates: [
        finishReason === 'STOP'
          ? { content: { role: 'model' }, finishReason, index: 0 }
          : { finishReason, index: 0 },
      ],
      usageMetadata: usageMetadata(request, ''),
      modelVersion: request.model,
      responseId: id,
    };
    if (!request.stream) return sendJson(res, 200, body);
    startEventStream(res);
    return void res.end(`data: ${JSON.stringify(body)}\r\n\r\n`);
  }
  const chunks = Array.isArray(step.text) ? step.text : [step.text];
  const fullText = chunks.join('');
  const final = { finishReason: step.finishReason ?? 'STOP' };
  if (!request.stream) {
    return sendJson(res, 200, {
      ...(candidateChunk(request, id, fullText, final) as object),
      usageMetadata: usageMetadata(request, fullText),
    });
  }
  startEventStream(res);
  const streamed = chunks.length > 1 ? chunks : splitText(fullText, 3);
  for (const [index, text] of streamed.entries()) {
    if (index === step.breakAfterChunks) return hangUp(res);
    if (index > 0 && step.chunkDelayMs && !(await waitUnlessClientGone(res, step.chunkDelayMs))) return;
    const last = index === streamed.length - 1;
    const chunk = {
      ...(candidateChunk(request, id, text, last ? final : undefined) as object),
      usageMetadata: usageMetadata(request, last ? fullText : ''),
    };
    res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
  }
  res.end();
}

/** Resolves true once `release` settles, false if the client hung up first. */
function releasedUnlessClientGone(res: ServerResponse, release: Promise<unknown>): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = (): void => resolve(false);
    res.once('close', onClose);
    const settle = (): void => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    };
    release.then(settle, settle);
  });
}

const ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export async function startFakeGemini(options: { apiKey?: string } = {}): Promise<FakeGemini> {
  const apiKey = options.apiKey ?? TEST_SECRETS.geminiApiKey;
  const log = new RequestLog<GeminiRequest>();
  const script = new ResponseScript<GeminiRequest, GeminiStep>((request) => ({
    text: defaultGeminiReplyText(request),
  }));
  let responseCount = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawBody = await readRawBody(req);
    const route = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !route?.[1]) {
      return sendJson(res, 404, googleErrorBody(404, `Method not found: ${req.method} ${url.pathname}`));
    }
    const sentKey =
      (req.headers['x-goog-api-key'] as string | undefined) ?? url.searchParams.get('key') ?? undefined;
    const body = parseJsonOrUndefined(rawBody) as GeminiRequestBody | undefined;
    const request: GeminiRequest = {
      model: decodeURIComponent(route[1]),
      stream: route[2] === 'streamGenerateContent',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      apiKey: sentKey,
      body: body ?? { contents: [] },
    };
    log.push(request);
    if (!sentKey) return sendJson(res, 403, MISSING_KEY_BODY);
    if (sentKey !== apiKey) return sendJson(res, 400, INVALID_KEY_BODY);
    if (!body || !Array.isArray(body.contents)) {
      return sendJson(res, 400, googleErrorBody(400, 'Invalid JSON payload received.'));
    }
    responseCount += 1;
    await answer(request, script.next(request), res, `fake-response-${responseCount}`);
  }

  const server = await startLoopbackServer(handle);
  return {
    baseURL: `${server.origin}/v1beta`,
    apiKey,
    requests: log.items,
    enqueue: (...steps) => script.enqueue(...steps),
    setScript: (steps) => script.setScript(steps),
    setDefault: (step) => script.setDefault(step),
    waitForRequests: (count, timeoutMs) => log.waitFor(count, timeoutMs),
    reset: () => {
      log.clear();
      script.reset();
    },
    close: () => server.close(),
  };
}
