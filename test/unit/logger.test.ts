import { APICallError, RetryError } from 'ai';
import { describe, expect, it } from 'vitest';
import { createLogger, firstSeen, type Logger, logger, redactSecrets } from '../../src/logger.ts';

const SECRET = 'xoxb-SECRET-1234567890';

function memoryLogger(opts: { level?: string; pretty?: boolean; secrets?: string[] } = {}): {
  log: Logger;
  text: () => string;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const log = createLogger({ level: 'info', ...opts, destination: { write: (s: string) => chunks.push(s) } });
  const text = () => chunks.join('');
  return {
    log,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger redaction by path', () => {
  it('censors secret fields at the top level, nested and in config', () => {
    const { log, lines, text } = memoryLogger();
    log.info(
      {
        token: SECRET,
        botToken: SECRET,
        appToken: SECRET,
        signingSecret: SECRET,
        apiKey: SECRET,
        password: SECRET,
        authorization: `Bearer ${SECRET}`,
        adminToken: SECRET,
        headers: {
          authorization: `Bearer ${SECRET}`,
          'x-goog-api-key': SECRET,
          cookie: SECRET,
          accept: 'json',
        },
        req: { headers: { authorization: SECRET } },
        slack: { botToken: SECRET, signingSecret: SECRET, apiUrl: 'https://slack.com/api/' },
        provider: { apiKey: SECRET, password: SECRET, token: SECRET },
        config: {
          databaseUrl: `postgresql://u:${SECRET}@db/ab`,
          redisUrl: `redis://:${SECRET}@cache:6379`,
          slack: { botToken: SECRET, appToken: SECRET, signingSecret: SECRET, mode: 'socket' },
          discord: { botToken: SECRET, enabled: true },
          google: { apiKey: SECRET },
          openaiCompatible: { apiKey: SECRET },
          adminToken: SECRET,
          port: 3000,
        },
      },
      'started',
    );
    expect(text()).not.toContain('SECRET');
    const [line] = lines();
    expect(line).toMatchObject({
      token: '[redacted]',
      botToken: '[redacted]',
      authorization: '[redacted]',
      headers: {
        authorization: '[redacted]',
        'x-goog-api-key': '[redacted]',
        cookie: '[redacted]',
        accept: 'json',
      },
      req: { headers: { authorization: '[redacted]' } },
      slack: { botToken: '[redacted]', apiUrl: 'https://slack.com/api/' },
      config: {
        slack: { botToken: '[redacted]', mode: 'socket' },
        google: { apiKey: '[redacted]' },
        port: 3000,
        databaseUrl: '[redacted]',
      },
      msg: 'started',
    });
  });

  it('censors the prompt and cookies an AI SDK error carries, keeps the useful fields', () => {
    const { log, lines, text } = memoryLogger();
    const apiError = new APICallError({
      message: 'Service Unavailable',
      url: 'http://127.0.0.1:9/v1beta/models/gemini:generateContent',
      requestBodyValues: { contents: [{ role: 'user', parts: [{ text: 'PRIVATE-PROMPT' }] }] },
      statusCode: 503,
      responseHeaders: { 'set-cookie': 'session=COOKIE-VALUE', 'retry-after': '2' },
      responseBody: '{"error":"overloaded"}',
    });
    log.error({ err: apiError }, 'model call failed');
    log.error(
      { err: new RetryError({ message: 'gave up', reason: 'maxRetriesExceeded', errors: [apiError] }) },
      'x',
    );
    expect(text()).not.toContain('PRIVATE-PROMPT');
    expect(text()).not.toContain('COOKIE-VALUE');
    const [line] = lines();
    expect(line?.err).toMatchObject({
      message: 'Service Unavailable',
      statusCode: 503,
      url: 'http://127.0.0.1:9/v1beta/models/gemini:generateContent',
      requestBodyValues: '[redacted]',
      responseHeaders: { 'set-cookie': '[redacted]', 'retry-after': '2' },
    });
  });

  it('censors the Authorization header an axios-style error keeps in err.config', () => {
    const { log, text } = memoryLogger();
    const err = Object.assign(new Error('Request failed with status code 500'), {
      config: {
        url: 'https://slack.com/api/chat.postMessage',
        headers: { Authorization: `Bearer ${SECRET}` },
      },
    });
    log.warn({ err }, 'slack call failed');
    expect(text()).toContain('chat.postMessage');
    expect(text()).not.toContain(SECRET);
  });
});

describe('createLogger secrets by value', () => {
  it('scrubs configured secret values from messages and any field', () => {
    const { log, text } = memoryLogger({ secrets: [SECRET, 'short'] });
    log.info({ note: `value=${SECRET}`, word: 'short' }, `token ${SECRET} leaked`);
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('token [redacted] leaked');
    expect(text()).toContain('"word":"short"');
  });

  it('scrubs a secret that appears JSON-escaped', () => {
    const quoted = 'pa"ss\\word-12345';
    const { log, text } = memoryLogger({ secrets: [quoted] });
    log.info({ note: quoted }, 'x');
    expect(text()).not.toContain('ss\\\\word');
    expect(text()).toContain('"note":"[redacted]"');
  });
});

describe('createLogger output', () => {
  it('writes one JSON object per line with the level filtered', () => {
    const { log, lines } = memoryLogger({ level: 'warn' });
    log.info('hidden');
    log.warn({ agent: 'Aria' }, 'shown');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 40, agent: 'Aria', msg: 'shown' });
  });

  it('writes nothing at silent', () => {
    const { log, text } = memoryLogger({ level: 'silent' });
    log.fatal('nothing');
    expect(text()).toBe('');
  });

  it('writes readable lines when pretty, still redacted', () => {
    const { log, text } = memoryLogger({ pretty: true });
    log.info({ token: SECRET }, 'hello pretty');
    expect(text()).toContain('INFO');
    expect(text()).toContain('hello pretty');
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain(SECRET);
    expect(text().trimStart().startsWith('{')).toBe(false);
  });

  it('rejects an unknown level', () => {
    expect(() => createLogger({ level: 'verbose', destination: { write: () => {} } })).toThrow();
  });

  it('exports a default logger', () => {
    expect(typeof logger.info).toBe('function');
    expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).toContain(logger.level);
  });
});

describe('redactSecrets', () => {
  const cases: [string, string, (string | undefined)[], string][] = [
    ['replaces every occurrence', `a ${SECRET} b ${SECRET}`, [SECRET], 'a [redacted] b [redacted]'],
    ['ignores secrets shorter than 8', 'pass 1234567 ok', ['1234567'], 'pass 1234567 ok'],
    ['redacts secrets of exactly 8', 'pass 12345678 ok', ['12345678'], 'pass [redacted] ok'],
    [
      'prefers the longer of overlapping secrets',
      'key abcdefgh-ijkl',
      ['abcdefgh', 'abcdefgh-ijkl'],
      'key [redacted]',
    ],
    ['skips undefined and empty', 'nothing here', [undefined, ''], 'nothing here'],
    ['no secrets, unchanged', 'plain text', [], 'plain text'],
    ['treats secrets literally', 'a.b*c+d?e$ and axbxcxdxe', ['a.b*c+d?e$'], '[redacted] and axbxcxdxe'],
  ];
  it.each(cases)('%s', (_name, text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });
});

describe('firstSeen', () => {
  it('is true once per key, and remembers at most max keys', () => {
    const first = firstSeen(2);
    expect([first('a'), first('a'), first('b'), first('c'), first('a')]).toEqual([
      true,
      false,
      true,
      false,
      false,
    ]);
  });
});
