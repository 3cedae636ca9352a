/**
 * `/agent provider add NAME kind=…` on Slack: after the command core has checked everything but
 * the key (a dry run: permission, name, kind), a modal asks for the key. Slack has no password
 * input, so the key shows while it is typed; the modal says so. The submission carries the key:
 * it is never logged (failures log the verb only) and never put in an answer.
 */
import type { App, types } from '@slack/bolt';
import type { AgentCommand, CommandContext, CommandReply } from '../../commands/command.ts';
import { plain, resultView } from './blocks.ts';

export const PROVIDER_FORM_CALLBACK_ID = 'agent_provider_key';
const KEY_BLOCK = 'key';

type ProviderAdd = Extract<AgentCommand, { verb: 'provider'; action: 'add' }>;

export interface ProviderFormState {
  command: Omit<ProviderAdd, 'apiKey' | 'dryRun'>;
  teamId: string;
  channelId?: string;
  isDirect: boolean;
}

export function isProviderAdd(command: AgentCommand): command is ProviderAdd {
  return command.verb === 'provider' && command.action === 'add' && command.apiKey === undefined;
}

export function providerKeyView(state: ProviderFormState): types.ModalView {
  const { name, kind } = state.command;
  return {
    type: 'modal',
    callback_id: PROVIDER_FORM_CALLBACK_ID,
    private_metadata: JSON.stringify(state),
    title: { type: 'plain_text', text: 'Add a model provider' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: plain(`${name} (${kind}): paste its API key.`) },
      },
      {
        type: 'input',
        block_id: KEY_BLOCK,
        label: { type: 'plain_text', text: 'API key' },
        hint: {
          type: 'plain_text',
          text: 'Stored encrypted; only its last 4 characters are ever shown. Slack has no password field: the key is visible while you type it, so check who sees your screen.',
        },
        element: { type: 'plain_text_input', action_id: 'value', max_length: 500 },
      },
    ],
  };
}

function parseState(raw: string | undefined): ProviderFormState | undefined {
  try {
    const value = JSON.parse(raw ?? '') as Partial<ProviderFormState>;
    const command = value.command;
    if (command?.verb !== 'provider' || command.action !== 'add' || typeof value.teamId !== 'string')
      return undefined;
    return value as ProviderFormState;
  } catch {
    return undefined;
  }
}

type Run = (
  actor: { id: string; name: string },
  place: Omit<CommandContext, 'platform' | 'actor'>,
  command: AgentCommand,
) => Promise<CommandReply>;

export function registerProviderForm(app: App, run: Run): void {
  app.view(PROVIDER_FORM_CALLBACK_ID, async ({ ack, body, view }) => {
    const state = parseState(view.private_metadata);
    if (!state) {
      await ack();
      return;
    }
    const apiKey = view.state.values[KEY_BLOCK]?.value?.value?.trim() ?? '';
    if (apiKey === '') {
      await ack({ response_action: 'errors', errors: { [KEY_BLOCK]: 'Paste the API key.' } });
      return;
    }
    const place = {
      workspaceExternalId: body.team?.id ?? state.teamId,
      ...(state.channelId && { channelId: state.channelId }),
      isDirect: state.isDirect,
    };
    const reply = await run({ id: body.user.id, name: body.user.name }, place, { ...state.command, apiKey });
    if (!reply.ok) await ack({ response_action: 'errors', errors: { [KEY_BLOCK]: reply.text } });
    else await ack({ response_action: 'update', view: resultView(reply) });
  });
}
