/**
 * What to type, per verb: the lines errors point to and the help lists. Slack and the CLI type
 * `key="value"` pairs; Discord fills typed options of the same names (`name:` then the fields).
 */
import type { Platform } from '../core/types.ts';
import { AGENT_FIELDS, AGENT_VERBS, type AgentVerb } from './command.ts';

export const KNOWN_FIELDS = `${AGENT_FIELDS.slice(0, -1).join(', ')} or ${AGENT_FIELDS.at(-1)}`;
export const KNOWN_VERBS = AGENT_VERBS.join(', ');

const ARGS: Record<AgentVerb, { text: string; discord: string; does: string }> = {
  create: {
    text: 'create NAME [role="…"] [goal="…"] [backstory="…"] [prompt="…"] [model=provider:model] [avatar=https://…]',
    discord:
      'create name:NAME [role:…] [goal:…] [backstory:…] [prompt:…] [model:provider:model] [avatar:https://…]',
    does: 'a new agent; its system prompt is written from role, goal and backstory unless prompt is given',
  },
  list: { text: 'list', discord: 'list', does: 'the agents here: status, model, channels' },
  show: {
    text: 'show NAME',
    discord: 'show name:NAME',
    does: 'its settings and who created it; the system prompt only to its creator and admins',
  },
  edit: {
    text: 'edit NAME key="value" …',
    discord:
      'edit name:NAME [role:…] [goal:…] [backstory:…] [prompt:…] [model:…] [avatar:…] [loading:…] [stream:on|off]',
    does: `change ${KNOWN_FIELDS}; prompt="" goes back to the generated prompt; loading="Reading…|Thinking…" sets the working messages; stream=off posts replies when done instead of streaming them`,
  },
  delete: {
    text: 'delete NAME',
    discord: 'delete name:NAME',
    does: 'remove the agent (its messages are kept)',
  },
  join: { text: 'join NAME', discord: 'join name:NAME', does: 'the agent answers in this channel' },
  leave: {
    text: 'leave NAME',
    discord: 'leave name:NAME',
    does: 'the agent stops answering in this channel',
  },
  pause: { text: 'pause NAME', discord: 'pause name:NAME', does: 'the agent stops answering everywhere' },
  resume: { text: 'resume NAME', discord: 'resume name:NAME', does: 'the agent answers again' },
  use: { text: 'use NAME', discord: 'use name:NAME', does: 'the agent that answers in this DM' },
  workspace: {
    text: 'workspace [budget_daily_tokens=200k] [budget_monthly_usd=50] …',
    discord: 'workspace [budget_daily_tokens:200k] [budget_monthly_usd:50] …',
    does: "this workspace's budget and usage; admins set budget_daily_tokens, budget_monthly_tokens, budget_daily_usd or budget_monthly_usd (0 removes one); the same keys on edit set an agent's budget (admins)",
  },
  help: { text: 'help', discord: 'help', does: 'this list' },
};

/** `/agent edit NAME key="value" …`; with a name, NAME is filled in. */
export function usage(verb: AgentVerb, platform?: Platform, name?: string): string {
  const args = platform === 'discord' ? ARGS[verb].discord : ARGS[verb].text;
  return `/agent ${name === undefined ? args : args.replace('NAME', name)}`;
}

/** The shortest useful create: `/agent create Aria role="…"` (Discord: `name:Aria role:…`). */
export function createExample(platform: Platform | undefined, name: string): string {
  return platform === 'discord' ? `/agent create name:${name} role:…` : `/agent create ${name} role="…"`;
}

export function helpLines(platform?: Platform): Array<{ label: string; value: string }> {
  return AGENT_VERBS.map((verb) => ({ label: usage(verb, platform), value: ARGS[verb].does }));
}
