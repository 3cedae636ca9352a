/**
 * A local fake of an OpenAI-compatible chat server (Ollama's /v1, llama.cpp, vLLM):
 * `POST /v1/chat/completions`, plain JSON or SSE chunks ending with `data: [DONE]`.
 *   const fake = await startFakeOpenAICompatible();
 *   createOpenAICompatible({ name: 'local', baseURL: fake.baseURL })
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
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

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | Array<{ type: string; text?: string }> | null;
  [field: string]: unknown;
}
export interface ChatCompletionBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [field: string]: unknown;
}

export interface ChatCompletionRequest {
  model: string;
  stream: boolean;
  headers: IncomingHttpHeaders;
  /** The bearer token, when one was sent. */
  apiKey: string | undefined;
  body: ChatCompletionBody;
}

export type ChatCompletionStep =
  /** A reply; an array is streamed as those chunks (joined when not streaming), a string in 3. */
  | { text: string | string[]; finishReason?: string; delayMs?: number }
  /** An OpenAI-style error JSON `{error:{message,type,code}}`. */
  | { status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  | { disconnect: true; delayMs?: number };

export interface FakeOpenAICompatible {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  readonly requests: ChatCompletionRequest[];
  enqueue(...steps: ChatCompletionStep[]): void;
  setScript(steps: ChatCompletionStep[]): void;
  setDefault(step: StepOrFactory<ChatCompletionRequest, ChatCompletionStep>): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<ChatCompletionRequest[]>;
  reset(): void;
  close(): Promise<void>;
}

function contentText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

/** The default reply: deterministic from the request, echoing the last user message. */
export function defaultChatReplyText(request: ChatCompletionRequest): string {
  const lastUser = [...request.body.messages].reverse().find((message) => message.role === 'user');
  return `fake local (${request.model}): ${contentText(lastUser)}`;
}

function openAIError(status: number, message: string): unknown {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
}

function usage(request: ChatCompletionRequest, reply: string): Record<string, number> {
  const prompt = estimateTokens(request.body.messages.map(contentText).join('\n'));
  const completion = estimateTokens(reply);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const CREATED = 1_764_000_000;

async function answer(
  request: ChatCompletionRequest,
  step: ChatCompletionStep,
  res: ServerResponse,
  id: string,
): Promise<void> {
  if (!(await waitUnlessClientGone(res, step.delayMs))) return;
  if ('disconnect' in step) return hangUp(res);
  if ('status' in step) {
    const message = step.message ?? `fake error ${step.status}`;
    return sendJson(res, step.status, openAIError(step.status, message), step.headers);
  }
  const chunks = Array.isArray(step.text) ? step.text : splitText(step.text, 3);
  const text = chunks.join('');
  const finishReason = step.finishReason ?? 'stop';
  const envelope = { id, created: CREATED, model: request.model };
  if (!request.stream) {
    return sendJson(res, 200, {
      ...envelope,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
      usage: usage(request, text),
    });
  }
  startEventStream(res);
  const send = (data: unknown): void => void res.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: object, finish: string | null): unknown => ({
    ...envelope,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  send(chunk({ role: 'assistant', content: '' }, null));
  for (const content of chunks) send(chunk({ content }, null));
  send(chunk({}, finishReason));
  if (request.body.stream_options?.include_usage) {
    send({ ...envelope, object: 'chat.completion.chunk', choices: [], usage: usage(request, text) });
  }
  res.end('data: [DONE]\n\n');
}

/** `apiKey`: when set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
export async function startFakeOpenAICompatible(
  options: { apiKey?: string } = {},
): Promise<FakeOpenAICompatible> {
  const log = new RequestLog<ChatCompletionRequest>();
  const script = new ResponseScript<ChatCompletionRequest, ChatCompletionStep>((request) => ({
    text: defaultChatReplyText(request),
  }));
  let responseCount = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawBody = await readRawBody(req);
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return sendJson(res, 404, openAIError(404, `Unknown request URL: ${req.method} ${url.pathname}`));
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const body = parseJsonOrUndefined(rawBody) as ChatCompletionBody | undefined;
    const request: ChatCompletionRequest = {
      model: body?.model ?? '',
      stream: body?.stream === true,
      headers: req.headers,
      apiKey: bearer,
      body: body ?? { model: '', messages: [] },
    };
    log.push(request);
    if (options.apiKey !== undefined && bearer !== options.apiKey) {
      return sendJson(res, 401, openAIError(401, 'Incorrect API key provided.'));
    }
    if (!body || !Array.isArray(body.messages) || !body.model) {
      return sendJson(res, 400, openAIError(400, 'model and messages are required'));
    }
    responseCount += 1;
    await answer(request, script.next(request), res, `chatcmpl-fake-${responseCount}`);
  }

  const server = await startLoopbackServer(handle);
  return {
    baseURL: `${server.origin}/v1`,
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
