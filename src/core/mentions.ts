/**
 * A model may only mention people who took part in the conversation it answers: a user mention of
 * anyone else (Slack `<@U…>` / `<@U…|name>`, Discord `<@id>` / `<@!id>`) becomes harmless text
 * (`@name`, a word joiner after the `@`), so a model cannot ping someone who was not there.
 * Applied to a reply before it is stored: every delivery attempt posts the same text, and later
 * context shows what was posted. Pure.
 */
import type { Platform } from './types.ts';

/** Keeps `@name` from reading as a mention anywhere it is shown (and from being linked). */
const WORD_JOINER = '\u2060';

const SLACK_MENTION = /<@([UW][A-Z0-9]+)(?:\|([^<>|]*))?>/g;
const DISCORD_MENTION = /<@!?(\d{5,25})>/g;

function mentionPattern(platform: Platform): RegExp | undefined {
  if (platform === 'slack') return SLACK_MENTION;
  if (platform === 'discord') return DISCORD_MENTION;
  return undefined;
}

/** Platform user ids mentioned in `text` (as the platform writes mentions). */
export function mentionedIds(platform: Platform, text: string): string[] {
  const pattern = mentionPattern(platform);
  if (!pattern) return [];
  return [...text.matchAll(pattern)].map((match) => match[1] ?? '');
}

/** Who took part: the authors of the messages, and the people those messages mention. */
export function participantsOf(
  platform: Platform,
  messages: ReadonlyArray<{ content: string; authorExternalId?: string | null | undefined }>,
): Set<string> {
  const seen = new Set<string>();
  for (const message of messages) {
    if (message.authorExternalId) seen.add(message.authorExternalId);
    for (const id of mentionedIds(platform, message.content)) seen.add(id);
  }
  return seen;
}

/**
 * `text` with every user mention of someone outside `participants` (platform user ids) written as
 * `@⁠name`: the mention's own label when it has one, else `names.get(id)`, else the id.
 */
export function neutralizeForeignMentions(
  platform: Platform,
  text: string,
  participants: ReadonlySet<string>,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  const pattern = mentionPattern(platform);
  if (!pattern) return text;
  return text.replace(pattern, (whole: string, id: string, label: unknown) => {
    if (participants.has(id)) return whole;
    // Discord's pattern has no label group: the argument is then the match offset.
    const labelled = typeof label === 'string' ? label.replace(/^@+/, '').trim() : '';
    const name = labelled || names.get(id) || id;
    return `@${WORD_JOINER}${name}`;
  });
}
