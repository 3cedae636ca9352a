/**
 * A local fake of Anthropic's Messages API: `POST /v1/messages`, plain JSON or SSE (`event:` +
 * `data:` lines: message_start, content_block_*, ping, message_delta, message_stop), with
 * Anthropic's own error bodies (`{type:'error', error:{type, message}, request_id}`) for
 * 401/403/429/500/529. The key goes in `x-api-key`.
 *   const fake = await startFakeAnthropic({ apiKey });
 *   createAnthropic({ apiKey, baseURL: fake.baseURL })
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

export interface AnthropicRequest {
  model: string;
  stream: boolean;
  apiKey: string | undefined;
  version: string | undefined;
  body: Record<string, unknown>;
  system: string;
  lastUserText: string;
}

export type AnthropicStep = FakeModelStep;

export type FakeAnthropic = FakeModelServer<AnthropicRequest>;

const ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'messages: at least one message is required' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: {
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  404: { type: 'not_found_error', message: 'The requested resource could not be found.' },
  429: {
    type: 'rate_limit_error',
    message:
      'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
  },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

export function anthropicErrorBody(status: number, message?: string, requestId = 'req_fake'): unknown {
  const base = ERRORS[status] ?? { type: 'api_error', message: `fake error ${status}` };
  return {
    type: 'error',
    error: { type: base.type, message: message ?? base.message },
    request_id: requestId,
  };
}

type Content = string | Array<{ type?: string; text?: string }> | undefined;
const textOf = (content: Content): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('');

function sse(res: ServerResponse, type: string, data: object): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function answer(request: AnthropicRequest, chunks: string[], res: ServerResponse, id: string): void {
  const text = chunks.join('');
  const input = estimateTokens(`${request.system}\n${request.lastUserText}`);
  const output = estimateTokens(text);
  const message = {
    id,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: [] as object[],
    stop_reason: null as string | null,
    stop_sequence: null,
    usage: {
      input_tokens: input,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 1,
    },
  };
  if (!request.stream) {
    sendJson(
      res,
      200,
      {
        ...message,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        usage: { ...message.usage, output_tokens: output },
      },
      { 'request-id': `req_${id}` },
    );
    return;
  }
  startEventStream(res);
  sse(res, 'message_start', { message });
  sse(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  sse(res, 'ping', {});
  for (const delta of chunks)
    sse(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: delta } });
  sse(res, 'content_block_stop', { index: 0 });
  sse(res, 'message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: output },
  });
  sse(res, 'message_stop', {});
  res.end();
}

/** `apiKey`: requests must carry `x-api-key: <apiKey>`, else Anthropic's 401. */
export async function startFakeAnthropic(options: { apiKey: string }): Promise<FakeAnthropic> {
  const log = new RequestLog<AnthropicRequest>();
  const script = new ResponseScript<AnthropicRequest, AnthropicStep>((request) => ({
    text: `fake anthropic (${request.model}): ${request.lastUserText}`,
  }));
  let count = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawBody = await readRawBody(req);
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      return sendJson(res, 404, anthropicErrorBody(404));
    }
    const body = (parseJsonOrUndefined(rawBody) ?? {}) as Record<string, unknown>;
    const messages = (body.messages ?? []) as Array<{ role?: string; content?: Content }>;
    const apiKey = req.headers['x-api-key'];
    const version = req.headers['anthropic-version'];
    const request: AnthropicRequest = {
      model: typeof body.model === 'string' ? body.model : '',
      stream: body.stream === true,
      apiKey: typeof apiKey === 'string' ? apiKey : undefined,
      version: typeof version === 'string' ? version : undefined,
      body,
      system: textOf(body.system as Content),
      lastUserText: textOf([...messages].reverse().find((m) => m.role === 'user')?.content),
    };
    log.push(request);
    if (request.apiKey !== options.apiKey) return sendJson(res, 401, anthropicErrorBody(401));
    if (!request.version) {
      return sendJson(res, 400, anthropicErrorBody(400, 'anthropic-version: header is required'));
    }
    if (!request.model || messages.length === 0 || typeof body.max_tokens !== 'number') {
      return sendJson(res, 400, anthropicErrorBody(400));
    }
    const step = script.next(request);
    if (!(await waitUnlessClientGone(res, step.delayMs))) return;
    if ('disconnect' in step) return hangUp(res);
    if ('status' in step) {
      return sendJson(res, step.status, anthropicErrorBody(step.status, step.message), step.headers);
    }
    count += 1;
    answer(request, Array.isArray(step.text) ? step.text : splitText(step.text, 3), res, `msg_fake${count}`);
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
