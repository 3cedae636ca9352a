/**
 * A local fake of the OpenAI API: `POST /v1/chat/completions` and `POST /v1/responses`, plain JSON
 * or SSE (chat: `data:` chunks ending with `data: [DONE]`; responses: typed `event:` lines, no
 * [DONE]), with OpenAI's own error bodies for 401/403/429/5xx.
 *   const fake = await startFakeOpenAI({ apiKey });
 *   createOpenAI({ apiKey, baseURL: fake.baseURL })
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  estimateTokens,
  type FakeModelServer,
  type FakeModelStep,
  hangUp,
  parseJsonOrUndefined,
  RequestLog,
  ResponseScript,
  readRawBody,
  sendJson,
  splitText,
  startEventStream,
  startLoopbackServer,
  waitUnlessClientGone,
} from './fake-http.ts';

export type OpenAIApi = 'chat' | 'responses';

export interface OpenAIRequest {
  api: OpenAIApi;
  model: string;
  stream: boolean;
  /** The bearer token, when one was sent. */
  apiKey: string | undefined;
  body: Record<string, unknown>;
  /** The last user text the request carried (either API's shape). */
  lastUserText: string;
}

export type OpenAIStep = FakeModelStep;

export type FakeOpenAI = FakeModelServer<OpenAIRequest>;

/** OpenAI's error bodies as its API sends them, by status. */
export function openAIErrorBody(status: number, message?: string): unknown {
  const known: Record<number, { message: string; type: string; code: string | null }> = {
    401: {
      message:
        'Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
    403: {
      message: 'Country, region, or territory not supported',
      type: 'request_forbidden',
      code: 'unsupported_country_region_territory',
    },
    429: {
      message:
        'Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
      type: 'requests',
      code: 'rate_limit_exceeded',
    },
    500: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      code: null,
    },
    503: {
      message: 'The engine is currently overloaded, please try again later',
      type: 'server_error',
      code: null,
    },
  };
  const base = known[status] ?? {
    message: `fake error ${status}`,
    type: 'invalid_request_error',
    code: null,
  };
  return { error: { message: message ?? base.message, type: base.type, param: null, code: base.code } };
}

type Content = string | Array<{ type?: string; text?: string }> | null | undefined;
const textOf = (content: Content): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('');

function lastUserText(api: OpenAIApi, body: Record<string, unknown>): string {
  const turns = (api === 'chat' ? body.messages : body.input) as
    | Array<{ role?: string; content?: Content }>
    | string
    | undefined;
  if (typeof turns === 'string') return turns;
  const user = [...(turns ?? [])].reverse().find((turn) => turn.role === 'user');
  return textOf(user?.content);
}

const CREATED = 1_764_000_000;

function sse(res: ServerResponse, data: unknown, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

function chatAnswer(request: OpenAIRequest, chunks: string[], res: ServerResponse, id: string): void {
  const text = chunks.join('');
  const prompt = estimateTokens(request.lastUserText);
  const completion = estimateTokens(text);
  const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const envelope = { id, created: CREATED, model: request.model, system_fingerprint: 'fp_fake' };
  if (!request.stream) {
    sendJson(res, 200, {
      ...envelope,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
    });
    return;
  }
  startEventStream(res);
  const chunk = (delta: object, finish: string | null) => ({
    ...envelope,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  sse(res, chunk({ role: 'assistant', content: '', refusal: null }, null));
  for (const content of chunks) sse(res, chunk({ content }, null));
  sse(res, chunk({}, 'stop'));
  const options = request.body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) sse(res, { ...envelope, object: 'chat.completion.chunk', choices: [], usage });
  res.end('data: [DONE]\n\n');
}

function responsesAnswer(request: OpenAIRequest, chunks: string[], res: ServerResponse, id: string): void {
  const text = chunks.join('');
  const input = estimateTokens(request.lastUserText);
  const output = estimateTokens(text);
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
  const messageId = `msg_${id}`;
  const part = { type: 'output_text', text, annotations: [], logprobs: [] };
  const item = { id: messageId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
  const response = (status: string, extra: object) => ({
    id: `resp_${id}`,
    object: 'response',
    created_at: CREATED,
    status,
    error: null,
    incomplete_details: null,
    model: request.model,
    service_tier: 'default',
    ...extra,
  });
  if (!request.stream) {
    sendJson(res, 200, response('completed', { output: [item], usage }));
    return;
  }
  startEventStream(res);
  let sequence = 0;
  const send = (type: string, data: object) => sse(res, { type, sequence_number: sequence++, ...data }, type);
  send('response.created', { response: response('in_progress', { output: [], usage: null }) });
  send('response.in_progress', { response: response('in_progress', { output: [], usage: null }) });
  send('response.output_item.added', {
    output_index: 0,
    item: { ...item, status: 'in_progress', content: [] },
  });
  const at = { item_id: messageId, output_index: 0, content_index: 0 };
  send('response.content_part.added', { ...at, part: { ...part, text: '' } });
  for (const delta of chunks) send('response.output_text.delta', { ...at, delta, logprobs: [] });
  send('response.output_text.done', { ...at, text, logprobs: [] });
  send('response.content_part.done', { ...at, part });
  send('response.output_item.done', { output_index: 0, item });
  send('response.completed', { response: response('completed', { output: [item], usage }) });
  res.end();
}

const PATHS: Record<string, OpenAIApi> = { '/v1/chat/completions': 'chat', '/v1/responses': 'responses' };

/** `apiKey`: requests must carry `Authorization: Bearer <apiKey>`, else OpenAI's 401. */
export async function startFakeOpenAI(options: { apiKey: string }): Promise<FakeOpenAI> {
  const log = new RequestLog<OpenAIRequest>();
  const script = new ResponseScript<OpenAIRequest, OpenAIStep>((request) => ({
    text: `fake openai ${request.api} (${request.model}): ${request.lastUserText}`,
  }));
  let count = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawBody = await readRawBody(req);
    const api = req.method === 'POST' ? PATHS[url.pathname] : undefined;
    if (!api) {
      return sendJson(res, 404, openAIErrorBody(404, `Invalid URL (${req.method} ${url.pathname})`));
    }
    const body = (parseJsonOrUndefined(rawBody) ?? {}) as Record<string, unknown>;
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const request: OpenAIRequest = {
      api,
      model: typeof body.model === 'string' ? body.model : '',
      stream: body.stream === true,
      apiKey: bearer,
      body,
      lastUserText: lastUserText(api, body),
    };
    log.push(request);
    if (bearer !== options.apiKey) return sendJson(res, 401, openAIErrorBody(401));
    const step = script.next(request);
    if (!(await waitUnlessClientGone(res, step.delayMs))) return;
    if ('disconnect' in step) return hangUp(res);
    if ('status' in step)
      return sendJson(res, step.status, openAIErrorBody(step.status, step.message), step.headers);
    count += 1;
    const chunks = Array.isArray(step.text) ? step.text : splitText(step.text, 3);
    const id = `fake${count}`;
    if (api === 'chat') chatAnswer(request, chunks, res, `chatcmpl-${id}`);
    else responsesAnswer(request, chunks, res, id);
  }

  const server = await startLoopbackServer(handle);
  return {
    baseURL: `${server.origin}/v1`,
    requests: log.items,
    enqueue: (...steps) => script.enqueue(...steps),
    waitForRequests: (n, timeoutMs) => log.waitFor(n, timeoutMs),
    reset: () => {
      log.clear();
      script.reset();
    },
    close: () => server.close(),
  };
}
