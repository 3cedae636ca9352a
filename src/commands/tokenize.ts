/**
 * Splits command text into words and `key=value` pairs. Whitespace separates; quotes group. A
 * quote opens only at the start of a word or right after `key=`, so `Ana's` and `5"` stay plain
 * text. Straight and typographic quotes are equivalent (Slack clients turn "…" into “…” as people
 * type). A backslash makes the next quote or backslash literal (`prompt="Say \"hi\""`); before any
 * other character it is kept, so `C:\Users` survives.
 */
import { excerpt } from './fields.ts';

export interface Token {
  /** Set when the token is `key=value`: the text before the first unquoted `=`. */
  key?: string;
  value: string;
}

export type Tokenized = { ok: true; tokens: Token[] } | { ok: false; error: string };

const DOUBLE_QUOTES = new Set(['"', '“', '”', '„', '‟']);
const SINGLE_QUOTES = new Set(["'", '‘', '’', '‚', '‛']);

function quoteKind(char: string): Set<string> | undefined {
  if (DOUBLE_QUOTES.has(char)) return DOUBLE_QUOTES;
  if (SINGLE_QUOTES.has(char)) return SINGLE_QUOTES;
  return undefined;
}

export function tokenize(text: string): Tokenized {
  const tokens: Token[] = [];
  let current: Token | undefined;
  let quote: Set<string> | undefined;
  let escaped = false;

  const token = (): Token => {
    current ??= { value: '' };
    return current;
  };
  const end = () => {
    if (current) tokens.push(current);
    current = undefined;
  };

  for (const char of text) {
    if (escaped) {
      escaped = false;
      if (char === '\\' || quoteKind(char)) {
        token().value += char;
        continue;
      }
      token().value += '\\';
    }
    if (char === '\\') {
      escaped = true;
      token();
    } else if (quote) {
      if (quote.has(char)) quote = undefined;
      else token().value += char;
    } else if (/\s/u.test(char)) {
      end();
    } else if (quoteKind(char) && (!current || (current.key !== undefined && current.value === ''))) {
      quote = quoteKind(char);
      token();
    } else if (char === '=' && current?.key === undefined) {
      const pair = token();
      pair.key = pair.value;
      pair.value = '';
    } else {
      token().value += char;
    }
  }
  if (escaped) token().value += '\\';
  if (quote) {
    const where = current?.key ? ` after ${excerpt(current.key)}=` : '';
    return {
      ok: false,
      error: `The quote${where} is never closed: end the value with a quote, e.g. role="Friendly mentor".`,
    };
  }
  end();
  return { ok: true, tokens };
}
