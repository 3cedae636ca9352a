/**
 * `/agent` on Slack: the slash command answers ephemerally within the ack budget (later through
 * response_url), `/agent create` alone and `/agent edit NAME` alone open a form, and the form's
 * submission is validated by the same parser as the typed command, field by field.
 */
import type { App, SlashCommand, webApi } from '@slack/bolt';
import type {
  AgentCommand,
  AgentField,
  AgentFieldValues,
  CommandContext,
  CommandReply,
} from '../../commands/command.ts';
import { AGENT_FIELDS } from '../../commands/command.ts';
import type { Logger } from '../../logger.ts';
import type { AdapterHooks } from '../hooks.ts';
import {
  agentFormView,
  FORM_CALLBACK_ID,
  type FormState,
  parseFormState,
  renderCommandReply,
  resultView,
} from './blocks.ts';
import type { UserDirectory } from './directory.ts';
import { decodeEntities } from './format.ts';
import { isProviderAdd, providerKeyView, registerProviderForm } from './provider-form.ts';
import { withinBudget } from './receiver.ts';
import { slackError } from './typing.ts';

export const AGENT_COMMAND = '/agent';
const FAILED: CommandReply = {
  ok: false,
  text: 'Something went wrong running that command. Try again in a moment.',
};
const WORKING: CommandReply = { ok: true, text: 'Working on it…' };

export interface CommandDeps {
  hooks: AdapterHooks;
  directory: UserDirectory;
  /** Opens forms: Slack's trigger_id expires in 3 s, so no retries. */
  formClient: webApi.WebClient;
  ackBudgetMs: number;
  logger: Logger;
}

type FormValues = Partial<Record<'name' | AgentField, string>>;

export function registerCommands(app: App, deps: CommandDeps): void {
  const { hooks, logger } = deps;

  /** Never rejects: a failure is logged and answered with FAILED. */
  async function run(
    actor: { id: string; name: string },
    place: Omit<CommandContext, 'platform' | 'actor'>,
    command: AgentCommand,
  ) {
    try {
      const user = await deps.directory.lookup(actor.id);
      const context: CommandContext = {
        platform: 'slack',
        ...place,
        actor: {
          platformUserId: actor.id,
          displayName: user.displayName === actor.id ? actor.name || actor.id : user.displayName,
          isPlatformAdmin: user.isAdmin,
        },
      };
      return await hooks.onCommand(context, command);
    } catch (error) {
      logger.error({ err: error, verb: command.verb }, 'slack /agent command failed');
      return FAILED;
    }
  }

  app.command(AGENT_COMMAND, async ({ command, ack, respond }) => {
    const place = placeOf(command);
    // Slack escapes &, < and > in the command text, as in messages.
    const text = decodeEntities(command.text);
    const form = await formFor(text, command.team_id, place);
    if (form) {
      try {
        await deps.formClient.views.open({
          trigger_id: command.trigger_id,
          view: agentFormView(form.state, form.prefill),
        });
        await ack();
      } catch (error) {
        logger.warn({ err: error }, 'slack views.open failed');
        const why = slackError(error) ?? 'no answer';
        await ack(
          renderCommandReply({
            ok: false,
            text: `Could not open the form (${why}): type ${formHint(form.state)} instead.`,
          }),
        );
      }
      return;
    }
    const parsed = hooks.parseCommand(text);
    if (!parsed.ok) {
      await ack(renderCommandReply({ ok: false, text: parsed.error }));
      return;
    }
    if (isProviderAdd(parsed.command)) {
      await openProviderForm(command, place, parsed.command, ack);
      return;
    }
    const work = run({ id: command.user_id, name: command.user_name }, place, parsed.command);
    const answer = await withinBudget(work, deps.ackBudgetMs, () => {});
    if (answer.done) {
      await ack(renderCommandReply(answer.value));
      return;
    }
    await ack(renderCommandReply(WORKING));
    void work
      .then((reply) => respond({ ...renderCommandReply(reply), replace_original: true }))
      .catch((error: unknown) => logger.warn({ err: error }, 'slack response_url answer failed'));
  });

  app.view(FORM_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const state = parseFormState(view.private_metadata);
    if (!state) {
      await ack();
      return;
    }
    const values = readForm(view.state.values);
    const errors = formErrors(state, values, hooks.parseCommand);
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    const parsed = hooks.parseCommand(formCommandText(state, values));
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: { [firstInput(state)]: parsed.error } });
      return;
    }
    const place = {
      workspaceExternalId: body.team?.id ?? state.teamId,
      ...(state.channelId && { channelId: state.channelId }),
      isDirect: state.isDirect,
    };
    const work = run({ id: body.user.id, name: body.user.name }, place, parsed.command);
    const answer = await withinBudget(work, deps.ackBudgetMs, () => {});
    if (answer.done) {
      const reply = answer.value;
      // A refused create (name taken, not allowed) keeps the form open with the reason on the name,
      // or on the field it is about (a model ALLOWED_MODELS leaves out), when the form has it.
      if (!reply.ok && (state.verb === 'create' || refusedInput(reply, values) !== 'name'))
        await ack({ response_action: 'errors', errors: { [refusedInput(reply, values)]: reply.text } });
      else await ack({ response_action: 'update', view: resultView(reply) });
      return;
    }
    await ack();
    void work
      .then((reply) => {
        const { text, blocks } = renderCommandReply(reply);
        return client.chat.postMessage({ channel: body.user.id, text, blocks });
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'slack form answer failed'));
  });

  registerProviderForm(app, run);

  /** Checks all but the key first, so a refusal comes before anyone pastes a key. */
  async function openProviderForm(
    command: SlashCommand,
    place: ReturnType<typeof placeOf>,
    add: Parameters<typeof isProviderAdd>[0] & { verb: 'provider'; action: 'add' },
    ack: (reply?: ReturnType<typeof renderCommandReply>) => Promise<void>,
  ) {
    const checked = await run({ id: command.user_id, name: command.user_name }, place, {
      ...add,
      dryRun: true,
    });
    if (!checked.ok) {
      await ack(renderCommandReply(checked));
      return;
    }
    try {
      await deps.formClient.views.open({
        trigger_id: command.trigger_id,
        view: providerKeyView({
          command: add,
          teamId: command.team_id,
          isDirect: place.isDirect,
          ...(place.channelId && { channelId: place.channelId }),
        }),
      });
      await ack();
    } catch (error) {
      logger.warn({ err: error }, 'slack views.open failed');
      await ack(
        renderCommandReply({
          ok: false,
          text: `Could not open the key form (${slackError(error) ?? 'no answer'}): try again.`,
        }),
      );
    }
  }

  async function formFor(text: string, teamId: string, place: ReturnType<typeof placeOf>) {
    const base = {
      teamId,
      isDirect: place.isDirect,
      ...(place.channelId && { channelId: place.channelId }),
    };
    if (/^\s*create\s*$/i.test(text))
      return { state: { verb: 'create', ...base } satisfies FormState, prefill: {} };
    const parsed = hooks.parseCommand(text);
    if (!parsed.ok || parsed.command.verb !== 'edit' || Object.keys(parsed.command.fields).length > 0)
      return undefined;
    const name = parsed.command.name;
    const agents = await hooks.listAgents('slack', teamId).catch(() => []);
    const agent = agents.find((a) => a.name.toLowerCase() === name.toLowerCase());
    // An unknown name goes to the handlers, which say so the usual way.
    if (!agent) return undefined;
    const state: FormState = { verb: 'edit', name: agent.name, ...base };
    return { state, prefill: agent.role ? { role: agent.role } : {} };
  }
}

function placeOf(command: SlashCommand): Omit<CommandContext, 'platform' | 'actor'> {
  return {
    workspaceExternalId: command.team_id,
    ...(command.team_domain && { workspaceName: command.team_domain }),
    channelId: command.channel_id,
    isDirect: command.channel_name === 'directmessage' || command.channel_id.startsWith('D'),
  };
}

function formHint(state: FormState): string {
  return state.verb === 'create' ? '/agent create NAME role="…"' : `/agent edit ${state.name} role="…"`;
}

function refusedInput(reply: CommandReply, values: FormValues): 'name' | AgentField {
  return reply.field && values[reply.field] !== undefined ? reply.field : 'name';
}

function firstInput(state: FormState): 'name' | AgentField {
  return state.verb === 'create' ? 'name' : 'role';
}

/** The form's non-empty values, trimmed. */
export function readForm(values: Record<string, Record<string, { value?: string | null }>>): FormValues {
  const out: FormValues = {};
  for (const key of ['name', ...AGENT_FIELDS] as const) {
    const value = values[key]?.value?.value?.trim();
    if (value) out[key] = value;
  }
  return out;
}

/** A value the command tokenizer reads back verbatim: quoted, quotes and backslashes escaped. */
export function quoteValue(value: string): string {
  return `"${value.replace(/[\\"“”„‟'‘’‚‛]/g, (c) => `\\${c}`)}"`;
}

/** The typed form of the submission: `create "Aria" role="…" …` / `edit "Aria" goal="…"`. */
export function formCommandText(
  state: FormState,
  values: FormValues,
  name = values.name ?? state.name ?? '',
): string {
  const fields = AGENT_FIELDS.filter((key) => values[key] !== undefined).map(
    (key) => `${key}=${quoteValue(values[key] ?? '')}`,
  );
  return [state.verb, quoteValue(name), ...fields].join(' ');
}

/**
 * One error per field, from the command parser itself: each field is parsed alone in a command
 * that is otherwise valid, so the message lands on the field it is about.
 */
export function formErrors(
  state: FormState,
  values: FormValues,
  parse: AdapterHooks['parseCommand'],
): Record<string, string> {
  const errors: Record<string, string> = {};
  let probeName = state.name ?? 'Agent';
  if (state.verb === 'create') {
    const checked = parse(`create ${quoteValue(values.name ?? '')}`);
    if (checked.ok) probeName = values.name ?? probeName;
    else errors.name = checked.error;
  }
  for (const key of AGENT_FIELDS) {
    const value = values[key];
    if (value === undefined) continue;
    const only: AgentFieldValues = { [key]: value };
    const checked = parse(formCommandText(state, only, probeName));
    if (!checked.ok) errors[key] = checked.error;
  }
  return errors;
}
