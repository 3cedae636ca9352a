/**
 * What a reply looks like on Discord, as pure functions: split into messages of at most 2000
 * characters without breaking code fences, made unable to ping, prefixed with the agent's name or
 * a link to the message it answers, and given a nonce so a retried post is refused.
 */
import { createHash } from 'node:crypto';
import { cutIndex } from '../../core/clean-text.ts';

/** Nothing an agent posts may ping: not @everyone/@here, roles, users, nor the author replied to. */
export const NO_PINGS = { parse: [] as string[], replied_user: false };
/** Discord's SUPPRESS_EMBEDS message flag: a model's link shows no preview. */
export const SUPPRESS_EMBEDS = 1 << 2;
export const WEBHOOK_USERNAME_MAX = 80;
/** Room for the link line (`↪ https://discord.com/channels/guild/channel/message` and a newline). */
export const LINK_ROOM = 100;

export const DISCORD_MESSAGE_LIMIT = 2000;
/** Discord accepts nonces of at most 25 characters. */
const NONCE_LENGTH = 25;
const ZERO_WIDTH_SPACE = '\u200b';

interface Fence {
  /** The opening line to repeat at the top of the next chunk (` ```ts `). */
  header: string;
  /** The marker that closes it (` ``` `, or longer / tildes when it was opened so). */
  close: string;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/u;

/** The fence open after `line`, given the one open before it. */
function fenceAfter(open: Fence | undefined, line: string): Fence | undefined {
  const match = FENCE_LINE.exec(line);
  if (!match) return open;
  const marker = match[1] ?? '';
  const rest = match[2] ?? '';
  if (!open) {
    // ```` ```inline``` ```` on one line is inline code, not a fence.
    if (marker.startsWith('`') && rest.includes('`')) return undefined;
    return { header: `${marker}${rest}`, close: marker };
  }
  const closes = marker[0] === open.close[0] && marker.length >= open.close.length && rest.trim() === '';
  return closes ? undefined : open;
}

/**
 * Splits `text` into messages of at most `limit` characters, at line boundaries, else at a space,
 * else anywhere (never inside a surrogate pair). A chunk that ends inside a code fence closes it,
 * and the next chunk reopens it with the same language.
 */
export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  let size = 0;
  /** Lines at the top of `lines` that only reopen a fence (0 or 1). */
  let reopened = 0;
  let fence: Fence | undefined;

  const cost = (line: string) => (lines.length > 0 ? 1 : 0) + line.length;
  const reserve = (f: Fence | undefined) => (f ? 1 + f.close.length : 0);
  const append = (line: string) => {
    size += cost(line);
    lines.push(line);
  };
  const flush = () => {
    if (lines.length > reopened) {
      const body = lines.join('\n');
      const chunk = fence ? `${body}\n${fence.close}` : body.trimEnd();
      if (chunk.trim() !== '') chunks.push(chunk);
    }
    lines = [];
    size = 0;
    reopened = 0;
    if (fence) {
      append(fence.header);
      reopened = 1;
    }
  };

  for (const raw of text.replace(/\r\n?/gu, '\n').split('\n')) {
    let line = raw;
    const after = fenceAfter(fence, line);
    if (size + cost(line) + reserve(after) > limit && lines.length > reopened) flush();
    // Blank lines between chunks add nothing (Discord trims them anyway).
    if (!fence && lines.length === 0 && line.trim() === '') continue;
    while (size + cost(line) + reserve(after) > limit) {
      const room = limit - size - (lines.length > 0 ? 1 : 0) - reserve(fence);
      const cut = cutPoint(line, Math.max(1, room));
      append(line.slice(0, cut.end));
      line = line.slice(cut.resume);
      flush();
    }
    append(line);
    fence = after;
  }
  flush();
  return chunks;
}

/** Where to cut a line that is longer than `room`: at the last space that fits, else at `room`. */
function cutPoint(line: string, room: number): { end: number; resume: number } {
  const space = line.lastIndexOf(' ', room);
  if (space > room / 2) return { end: space, resume: space + 1 };
  const end = cutIndex(line, room);
  return { end: Math.max(1, end), resume: Math.max(1, end) };
}

/**
 * `@everyone` and `@here` as harmless text (a zero-width space after the `@`). Every post also
 * carries `allowed_mentions: { parse: [] }`; this is the second line of defence, and keeps the text
 * from reading as a ping in clients and in quotes of it.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(everyone|here)\b/giu, `@${ZERO_WIDTH_SPACE}$1`);
}

/** Code (fenced blocks, then inline), where Markdown links are not links and nothing is changed. */
const CODE = /```[\s\S]*?```|`[^`\n]*`/gu;
/** `[label](url)`, `[label](<url>)`, with an optional title; one level of parentheses in the URL. */
const MASKED_LINK =
  /\[([^[\]\n]*)\]\(\s*<?((?:https?:\/\/|mailto:)[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)>?(?:\s+"[^"\n]*")?\s*\)/giu;

/**
 * A masked link (`[text](https://x)`) shows its real address: `text (https://x)`; a label that is
 * the address itself leaves the bare address. Code is left as it is.
 */
export function revealMaskedLinks(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(CODE)) {
    out += revealIn(text.slice(last, match.index));
    out += match[0];
    last = match.index + match[0].length;
  }
  return out + revealIn(text.slice(last));
}

function revealIn(text: string): string {
  return text.replace(MASKED_LINK, (_, label: string, url: string) => {
    const bare = (value: string) =>
      value
        .trim()
        .toLowerCase()
        .replace(/^(https?:\/\/|mailto:)/u, '')
        .replace(/\/+$/u, '');
    const shown = label.trim();
    return shown === '' || bare(shown) === bare(url) ? url : `${shown} (${url})`;
  });
}

/** What a reply says on Discord before it is split: real link addresses, no @everyone / @here. */
export function safeText(text: string): string {
  return neutralizeMentions(revealMaskedLinks(visibleText(text)));
}

/** A Discord nonce (≤ 25 characters) that is the same for every retry of one chunk of one delivery. */
export function nonceFor(idempotencyKey: string, chunkIndex: number): string {
  return createHash('sha256')
    .update(`${idempotencyKey}#${chunkIndex}`)
    .digest('base64url')
    .slice(0, NONCE_LENGTH);
}

export function messageLink(guildId: string, channelId: string, messageId: string): string {
  return `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;
}

/** Webhook posts cannot reference a message, so they open with a link to the one they answer. */
export function replyLinkLine(guildId: string, channelId: string, messageId: string): string {
  return `↪ ${messageLink(guildId, channelId, messageId)}`;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>])/gu, '\\$1');
}

const BLOCK_START = /^\s*(?:`{3}|~{3}|#|>|[-*+] |\d+[.)] |\|)/u;

/** A bot post speaking for an agent opens with its name in bold; a block (code, list…) starts below it. */
export function withAgentName(name: string, text: string): string {
  const label = `**${escapeMarkdown(name)}:**`;
  return BLOCK_START.test(text) ? `${label}\n${text}` : `${label} ${text}`;
}

/** The agent name a bot post opened with (see withAgentName), for replies to it after a restart. */
export function agentNameOfBotPost(content: string): string | undefined {
  const match = /^\*\*((?:\\.|[^*\\])+):\*\*/u.exec(content);
  return match?.[1]?.replace(/\\(.)/gu, '$1');
}

/** Discord refuses empty messages; a reply that is only whitespace still says something. */
export function visibleText(text: string): string {
  return text.trim() === '' ? '…' : text;
}

const FEEDBACK_PREFIX = 'agent_feedback';
const FEEDBACK_BUTTON = new RegExp(`^${FEEDBACK_PREFIX}:(up|down):(.+)$`, 'u');

/**
 * 👍/👎 under a reply: one action row of two buttons whose custom_id names the reply
 * (`agent_feedback:up:reply-42`). Goes on the last message of a reply (also a stream's final edit).
 */
export function feedbackButtons(replyKey: string) {
  const button = (vote: 'up' | 'down', emoji: string) => ({
    type: 2,
    style: 2,
    emoji: { name: emoji },
    custom_id: `${FEEDBACK_PREFIX}:${vote}:${replyKey}`,
  });
  return [{ type: 1, components: [button('up', '👍'), button('down', '👎')] }];
}

/** The vote and reply of a click on feedbackButtons, if the custom_id is one of ours. Pure. */
export function parseFeedbackButton(customId: string): { vote: 'up' | 'down'; replyKey: string } | undefined {
  const match = FEEDBACK_BUTTON.exec(customId);
  if (!match?.[2]) return undefined;
  return { vote: match[1] === 'up' ? 'up' : 'down', replyKey: match[2] };
}
