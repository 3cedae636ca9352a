import { LEADING_NAME_WORD } from '../../core/agent-name.ts';
import type { InboundMessage } from '../../core/types.ts';

export interface AddressableAgent {
  id: string;
  name: string;
}

export type AddressingMessage = Pick<
  InboundMessage,
  'text' | 'isDirect' | 'mentionedUserIds' | 'repliedToAgentId'
>;

export interface Addressing {
  /** Agents the message explicitly addresses, in order of appearance, without duplicates. */
  addressedAgentIds: string[];
  /** The bot user itself was @mentioned (anywhere in the message). */
  botMentioned: boolean;
  /** The text without mention tokens and without the leading agent name: for relevance, not for the model. */
  strippedText: string;
}

/** Slack `<@U1>` / `<@U1|name>`, Discord `<@1>` / `<@!1>`. */
const MENTION = /<@!?([^>|\s]+)(?:\|[^>]*)?>/gu;
const LEADING_MENTION = /^\s*<@!?([^>|\s]+)(?:\|[^>]*)?>/u;
/** After `@bot Aria`: the name must end the word (`Aria`, `Aria:`, `Aria,`, `Aria!`), not start one (`Arianna`). */
const AFTER_NAME_AS_FIRST_WORD = /^(?:$|\s|[:,;!?]|\.(?:\s|$))/u;
/** Without a leading bot mention only `Aria: …` / `Aria, …` count: a sentence may start with a name. */
const AFTER_NAME_AS_VOCATIVE = /^[:,]/u;
const ADDRESS_PUNCTUATION = /^[:,;.!?]*\s*/u;

/** The text after its leading mentions (NFC), and the users those mentions name, in order. */
function afterLeadingMentions(text: string): { body: string; leadingIds: string[] } {
  let body = text.normalize('NFC');
  const leadingIds: string[] = [];
  for (let m = LEADING_MENTION.exec(body); m; m = LEADING_MENTION.exec(body)) {
    leadingIds.push(m[1] ?? '');
    body = body.slice(m[0].length);
  }
  return { body: body.trimStart(), leadingIds };
}

/**
 * Which agents `message` explicitly addresses: `@bot Aria …`; `Aria: …` / `Aria, …` when the bot
 * is mentioned anywhere (or in a DM); a reply to an agent's earlier message. Pass every agent that
 * may be addressed here (including paused ones, so the caller can say they are paused); unknown
 * names are ignored.
 */
export function resolveAddressing(
  message: AddressingMessage,
  botUserId: string,
  agents: readonly AddressableAgent[],
): Addressing {
  const text = message.text.normalize('NFC');
  const textMentionIds = [...text.matchAll(MENTION)].map((m) => m[1] ?? '');
  const mentionedIds = new Set([...message.mentionedUserIds, ...textMentionIds]);
  const botMentioned = mentionedIds.has(botUserId);

  const mentions = afterLeadingMentions(text);
  let body = mentions.body;
  const botMentionedFirst = mentions.leadingIds.includes(botUserId);

  const addressed: string[] = [];
  const follow = botMentionedFirst
    ? AFTER_NAME_AS_FIRST_WORD
    : botMentioned || message.isDirect
      ? AFTER_NAME_AS_VOCATIVE
      : undefined;
  const leading = follow ? matchLeadingName(body, agents, follow) : undefined;
  if (leading) {
    addressed.push(leading.agent.id);
    body = body.slice(leading.length).replace(ADDRESS_PUNCTUATION, '');
  }

  if (message.repliedToAgentId && agents.some((a) => a.id === message.repliedToAgentId)) {
    addressed.push(message.repliedToAgentId);
  }

  const strippedText = body.replace(MENTION, ' ').replace(/\s+/gu, ' ').trim();
  return { addressedAgentIds: [...new Set(addressed)], botMentioned, strippedText };
}

/** The agent whose name starts `text` (the longest, so `Ann Lee` wins over `Ann`), and its length. */
function matchLeadingName(
  text: string,
  agents: readonly AddressableAgent[],
  follow: RegExp,
): { agent: AddressableAgent; length: number } | undefined {
  let best: { agent: AddressableAgent; length: number } | undefined;
  for (const agent of agents) {
    const name = agent.name.normalize('NFC');
    if (name.length === 0 || (best && best.length >= name.length)) continue;
    if (sameName(text.slice(0, name.length), name) && follow.test(text.slice(name.length))) {
      best = { agent, length: name.length };
    }
  }
  return best;
}

function sameName(a: string, b: string): boolean {
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}

/**
 * A cheap superset test of "could this text address an agent by name?", for text whose only way
 * to address is its words (an agent's own reply, read as if the bot were mentioned): after the
 * same leading mentions resolveAddressing skips, a word of agent-name characters followed by `:`
 * or `,`. False means resolveAddressing would find no one, so the lookups it needs can be skipped.
 */
export function mayAddressByName(text: string): boolean {
  const { body } = afterLeadingMentions(text);
  const word = LEADING_NAME_WORD.exec(body);
  return word !== null && AFTER_NAME_AS_VOCATIVE.test(body.slice(word[0].length));
}
