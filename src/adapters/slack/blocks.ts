/**
 * Block Kit for `/agent`: a CommandReply as an ephemeral message, and the create/edit form.
 * Everything a user typed is entity-escaped, so no name or prompt can ping or link.
 */
import type { types } from '@slack/bolt';
import type { AgentField, AgentFieldValues, CommandReply } from '../../commands/command.ts';
import { escapeEntities, neutralizeRawBroadcasts } from './format.ts';

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;

/** Slack's limits: 50 blocks a message, 3000 characters a section text, 150 a header. */
const MAX_BLOCKS = 50;
const SECTION_LIMIT = 3000;
const HEADER_LIMIT = 150;

export const FORM_CALLBACK_ID = 'agent_form';
export const RESULT_CALLBACK_ID = 'agent_form_result';

/** The form's inputs: block_id = the field (name only when creating), action_id = `value`. */
export const FORM_FIELDS: ReadonlyArray<{
  key: 'name' | AgentField;
  label: string;
  hint: string;
  multiline: boolean;
}> = [
  { key: 'name', label: 'Name', hint: '1-32 letters, digits, - or _, e.g. Aria', multiline: false },
  { key: 'role', label: 'Role', hint: 'What it does, e.g. Friendly TypeScript mentor', multiline: false },
  { key: 'goal', label: 'Goal', hint: 'What it tries to achieve', multiline: true },
  { key: 'backstory', label: 'Backstory', hint: 'Background that shapes how it answers', multiline: true },
  {
    key: 'prompt',
    label: 'System prompt',
    hint: 'Replaces the prompt written from role, goal and backstory',
    multiline: true,
  },
  { key: 'model', label: 'Model', hint: 'provider:model, e.g. google:gemini-2.5-flash', multiline: false },
  { key: 'avatar', label: 'Avatar URL', hint: 'An https:// image URL', multiline: false },
  {
    key: 'loading',
    label: 'Working messages',
    hint: 'Shown while it answers, separated by |, e.g. Reading the docs…|Thinking…',
    multiline: false,
  },
];

/** What the form remembers between opening and submission (private_metadata). */
export interface FormState {
  verb: 'create' | 'edit';
  /** The agent being edited. */
  name?: string;
  teamId: string;
  channelId?: string;
  isDirect: boolean;
}

export function plain(text: string): string {
  return neutralizeRawBroadcasts(escapeEntities(text));
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_LIMIT) } };
}

/** Slack channel ids (`C0123ABCD`) become channel links, shown as #name; anything else stays text. */
export function channelLinks(text: string): string {
  return text
    .split(/([\s,]+)/)
    .map((part) => (/^[CG][A-Z0-9]{6,}$/.test(part) ? `<#${part}>` : plain(part)))
    .join('');
}

/** The ephemeral answer to `/agent …`: headline, optional title, fields and rows. */
export function renderCommandReply(reply: CommandReply): {
  response_type: 'ephemeral';
  text: string;
  blocks: KnownBlock[];
} {
  const blocks: KnownBlock[] = [];
  if (reply.title) {
    blocks.push({ type: 'header', text: { type: 'plain_text', text: clip(reply.title, HEADER_LIMIT) } });
  }
  blocks.push(section(`${reply.ok ? '' : ':warning: '}${plain(reply.text)}`));
  for (const field of reply.fields ?? []) {
    blocks.push(section(`*${plain(field.label)}*\n${plain(field.value) || '_none_'}`));
  }
  for (const row of reply.rows ?? []) {
    const role = row.role.trim() ? `\n${plain(row.role)}` : '';
    const channels = row.channels.trim() ? ` · ${channelLinks(row.channels)}` : '';
    blocks.push(
      section(`*${plain(row.name)}* · ${plain(row.status)} · \`${plain(row.model)}\`${channels}${role}`),
    );
  }
  if (blocks.length > MAX_BLOCKS) {
    const hidden = blocks.length - (MAX_BLOCKS - 1);
    blocks.splice(MAX_BLOCKS - 1, blocks.length, section(`…and ${hidden} more.`));
  }
  return { response_type: 'ephemeral', text: clip(plain(reply.text), SECTION_LIMIT), blocks };
}

/** The create form (empty) or the edit form (name fixed, fields optional, prefilled where known). */
export function agentFormView(state: FormState, prefill: AgentFieldValues = {}): ModalView {
  const editing = state.verb === 'edit';
  const blocks: KnownBlock[] = [];
  if (editing) {
    blocks.push(section(`Editing *${plain(state.name ?? '')}*. Empty fields keep their current value.`));
  }
  for (const field of FORM_FIELDS) {
    if (field.key === 'name' && editing) continue;
    const initial = field.key === 'name' ? undefined : prefill[field.key];
    blocks.push({
      type: 'input',
      block_id: field.key,
      optional: field.key !== 'name',
      label: { type: 'plain_text', text: field.label },
      hint: { type: 'plain_text', text: field.hint },
      element: {
        type: 'plain_text_input',
        action_id: 'value',
        multiline: field.multiline,
        ...(initial && { initial_value: initial }),
      },
    });
  }
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK_ID,
    private_metadata: JSON.stringify(state),
    title: { type: 'plain_text', text: editing ? 'Edit agent' : 'Create an agent' },
    submit: { type: 'plain_text', text: editing ? 'Save' : 'Create' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** What the form shows after a submission the handlers answered. */
export function resultView(reply: CommandReply): ModalView {
  const rendered = renderCommandReply(reply);
  return {
    type: 'modal',
    callback_id: RESULT_CALLBACK_ID,
    title: { type: 'plain_text', text: reply.ok ? 'Done' : 'Not saved' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: rendered.blocks.slice(0, MAX_BLOCKS),
  };
}

export function parseFormState(raw: string | undefined): FormState | undefined {
  try {
    const value = JSON.parse(raw ?? '') as Partial<FormState>;
    if ((value.verb !== 'create' && value.verb !== 'edit') || typeof value.teamId !== 'string')
      return undefined;
    return {
      verb: value.verb,
      teamId: value.teamId,
      isDirect: value.isDirect === true,
      ...(typeof value.name === 'string' && { name: value.name }),
      ...(typeof value.channelId === 'string' && { channelId: value.channelId }),
    };
  } catch {
    return undefined;
  }
}
