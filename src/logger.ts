/**
 * The one logger: pino, JSON lines when stdout is not a terminal, pino-pretty when it is.
 * Secrets are removed twice: by field path (below) and, when the caller passes the configured
 * secret values, by value on every written line (catches a token inside a message string).
 */
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';

export type Logger = pino.Logger;

const CENSOR = '[redacted]';
const SECRET_KEYS = ['token', 'botToken', 'appToken', 'signingSecret', 'apiKey', 'password', 'adminToken'];
/** Header names as Node (lower case) and as people write them (axios errors keep the caller's case). */
const SECRET_HEADERS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-goog-api-key',
  'x-api-key',
];
const headerPaths = (prefix: string) => SECRET_HEADERS.map((h) => `${prefix}headers["${h}"]`);

/** Where an AI SDK APICallError sits in a serialized `err` (RetryError nests them). */
const AI_ERROR_PREFIXES = ['err.', 'err.lastError.', 'err.errors.*.', 'err.aggregateErrors.*.', 'err.cause.'];

/** Where a platform error sits in a log object (discord.js nests them in `cause` sometimes). */
const PLATFORM_ERROR_PREFIXES = ['err.', 'err.cause.', 'err.original.', 'error.', 'cause.'];

/**
 * Credentials recognisable by their shape, scrubbed from every line whatever field or message
 * carries them: Discord webhook and interaction tokens in a URL path, Slack tokens, provider keys.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/(\/webhooks\/\d+\/)[\w-]{16,}/g, `$1${'[redacted]'}`],
  [/(\/interactions\/\d+\/)[\w-]{16,}/g, `$1${'[redacted]'}`],
  [/\bxox[abeoprs]-[\w-]+/g, '[redacted]'],
  [/\bxapp-[\w-]+/g, '[redacted]'],
  // Model provider keys teams store (Anthropic, OpenAI project/user/service keys).
  [/\bsk-(?:ant|proj|svcacct)-[\w-]{8,}/g, '[redacted]'],
];

/** Removes every credential `SECRET_PATTERNS` recognises from `text`. */
export function redactSecretPatterns(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Field paths censored in every log line. pino wildcards match exactly one level, so the common
 * depths are listed. AI SDK errors (APICallError: url, requestBodyValues, responseHeaders,
 * responseBody) carry no key (Gemini's goes in a request header the error does not keep) but
 * `requestBodyValues` holds the whole prompt, so it is censored too; axios-style `err.config`
 * (Slack Web API) keeps the request's Authorization header.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  'authorization',
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  '*.authorization',
  ...headerPaths(''),
  ...headerPaths('*.'),
  ...headerPaths('*.*.'),
  'config.databaseUrl',
  'config.redisUrl',
  ...AI_ERROR_PREFIXES.flatMap((p) => [`${p}requestBodyValues`, `${p}responseHeaders["set-cookie"]`]),
  'err.config.data',
  // discord.js DiscordAPIError/HTTPError: `requestBody` is the message posted (a user's words and
  // the agent's reply), `rawError` Discord's answer. Its `url` stays (which endpoint failed is
  // worth knowing) but a webhook's or interaction's token in it is scrubbed by SECRET_PATTERNS.
  ...PLATFORM_ERROR_PREFIXES.flatMap((p) => [`${p}requestBody`, `${p}rawError`]),
  ...headerPaths('err.config.'),
  ...headerPaths('err.original.config.'),
];

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export interface LoggerOptions {
  /** A pino level (fatal, error, warn, info, debug, trace) or silent. */
  level: string;
  /** Human-readable output; defaults to whether stdout is a TTY (never when `destination` is given). */
  pretty?: boolean;
  /** Where lines go (tests pass an in-memory stream); defaults to stdout. */
  destination?: pino.DestinationStream;
  /** Secret values to scrub from every line wherever they appear (see `configSecrets`). */
  secrets?: string[];
}

export function createLogger(opts: LoggerOptions): Logger {
  const usePretty = opts.pretty ?? (opts.destination === undefined && process.stdout.isTTY === true);
  // A secret containing `"` or `\` appears JSON-escaped in a line: scrub that form too.
  const secrets = (opts.secrets ?? []).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const options: pino.LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    serializers: { err: pino.stdSerializers.err },
    // Last step before a line is written, whatever built it: shapes first, then configured values.
    hooks: { streamWrite: (line: string) => redactSecrets(line, secrets) },
  };
  const stream = usePretty
    ? loadPretty()({
        colorize: opts.destination === undefined,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        ...(opts.destination && { destination: asWritable(opts.destination) }),
      })
    : (opts.destination ?? pino.destination(1));
  return pino(options, stream);
}

/**
 * pino-pretty (CommonJS, ~0.1 s to load with its dependencies) is loaded only for a terminal: a
 * service writing JSON lines does not pay for it. `require` keeps createLogger synchronous.
 */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

/** pino-pretty pipes into its destination, so a bare `{ write }` object is wrapped in a Writable. */
function asWritable(dest: pino.DestinationStream): NodeJS.WritableStream {
  if (dest instanceof Writable) return dest;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      dest.write(chunk.toString());
      done();
    },
  });
}

/** For modules that log before the config is read; the CLI builds the configured one. */
export const logger: Logger = createLogger({
  level: LEVELS.has(process.env.LOG_LEVEL?.trim().toLowerCase() ?? '')
    ? (process.env.LOG_LEVEL?.trim().toLowerCase() ?? 'info')
    : 'info',
});

/**
 * Replaces every credential-shaped string (`SECRET_PATTERNS`) and every occurrence of the given
 * secret values in `text` with "[redacted]". Secrets
 * shorter than 8 characters are ignored (they would censor ordinary words). Use it before an
 * error message goes into a reply or a log line.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined | null)[]): string {
  const usable = [...new Set(secrets)]
    .filter((s): s is string => typeof s === 'string' && s.length >= 8)
    .sort((a, b) => b.length - a.length);
  let out = redactSecretPatterns(text);
  for (const secret of usable) out = out.split(secret).join(CENSOR);
  return out;
}

/**
 * For conditions that repeat on every message (a refused model, a team turned away, a request
 * nothing reads): true the first time a key is seen, so it is logged once. Remembers at most `max`
 * keys; past that, nothing new counts as first (the log cannot be flooded either way).
 */
export function firstSeen(max = 1000): (key: string) => boolean {
  const seen = new Set<string>();
  return (key) => {
    if (seen.has(key) || seen.size >= max) return false;
    seen.add(key);
    return true;
  };
}
