/**
 * The `/agent` slash command as Discord sees it (one subcommand per verb, typed options named as
 * the text form's keys), its registration (`agent-bridge discord register`, and at start), and the
 * invite URL with exactly the permissions the bot uses (`agent-bridge discord invite`).
 */
import {
  type APIApplication,
  InteractionContextType,
  OAuth2Scopes,
  PermissionFlagsBits,
  PermissionsBitField,
  REST,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  Routes,
  SlashCommandBuilder,
  type SlashCommandSubcommandBuilder,
} from 'discord.js';
import { AGENT_FIELDS, AGENT_VERBS, type AgentField, type AgentVerb } from '../../commands/command.ts';
import { BUDGET_KEY_NAMES, type BudgetKey } from '../../usage/budget-limits.ts';
import { addProviderGroup } from './provider-command.ts';

export const AGENT_COMMAND_NAME = 'agent';
export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

const VERB_DESCRIPTIONS: Record<AgentVerb, string> = {
  create: 'Create an agent (its prompt is written from role, goal and backstory unless you give one)',
  list: 'The agents here: status, model, channels',
  show: 'Every setting of an agent and the system prompt in effect',
  edit: 'Change an agent’s role, goal, backstory, prompt, model, avatar, working messages or streaming',
  delete: 'Delete an agent (its messages are kept)',
  join: 'The agent answers in this channel when addressed',
  leave: 'The agent stops answering in this channel',
  pause: 'The agent stops answering everywhere',
  resume: 'The agent answers again',
  use: 'The agent that answers in this DM',
  workspace: 'This server’s budget and usage; admins set budget_… limits',
  help: 'What /agent can do',
};

const BUDGET_DESCRIPTIONS: Record<BudgetKey, string> = {
  budget_daily_tokens: 'Admins: tokens per UTC day, e.g. 200k (0 removes it)',
  budget_monthly_tokens: 'Admins: tokens per UTC month, e.g. 5M (0 removes it)',
  budget_daily_usd: 'Admins: USD per UTC day, e.g. 2.50 (0 removes it)',
  budget_monthly_usd: 'Admins: USD per UTC month, e.g. 50 (0 removes it)',
};

const FIELD_DESCRIPTIONS: Record<AgentField, string> = {
  role: 'Who the agent is, e.g. Friendly TypeScript mentor',
  goal: 'What the agent tries to achieve',
  backstory: 'Background that shapes how the agent answers',
  prompt: 'An explicit system prompt (empty: write it from role, goal and backstory)',
  model: 'provider:model, e.g. google:gemini-2.5-flash or local:llama3.2',
  avatar: 'An https:// image URL shown as the agent’s picture',
  loading: 'Working messages shown while it answers, separated by |, e.g. Reading…|Thinking…',
  stream: 'on (default): replies show while the model writes; off: posted when done',
};

/** Verbs that take no agent name. */
const UNNAMED: ReadonlySet<AgentVerb> = new Set(['list', 'help', 'workspace']);
const WITH_FIELDS: ReadonlySet<AgentVerb> = new Set(['create', 'edit']);

function subcommand(verb: AgentVerb, sub: SlashCommandSubcommandBuilder): SlashCommandSubcommandBuilder {
  sub.setName(verb).setDescription(VERB_DESCRIPTIONS[verb]);
  if (!UNNAMED.has(verb)) {
    sub.addStringOption((option) =>
      option
        .setName('name')
        .setDescription(
          verb === 'create' ? 'The new agent’s name (1-32 letters, digits, - or _)' : 'The agent',
        )
        .setRequired(true)
        .setMaxLength(32)
        // A new name has nothing to complete from.
        .setAutocomplete(verb !== 'create'),
    );
  }
  if (WITH_FIELDS.has(verb)) {
    for (const field of AGENT_FIELDS) {
      sub.addStringOption((option) => option.setName(field).setDescription(FIELD_DESCRIPTIONS[field]));
    }
  }
  if (verb === 'edit' || verb === 'workspace') {
    for (const key of BUDGET_KEY_NAMES) {
      sub.addStringOption((option) => option.setName(key).setDescription(BUDGET_DESCRIPTIONS[key]));
    }
  }
  return sub;
}

/** The JSON body of the `/agent` command, usable in guilds and in DMs with the bot. */
export function agentSlashCommand(): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const builder = new SlashCommandBuilder()
    .setName(AGENT_COMMAND_NAME)
    .setDescription('Create, configure and use LLM agents')
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM);
  for (const verb of AGENT_VERBS) builder.addSubcommand((sub) => subcommand(verb, sub));
  addProviderGroup(builder);
  return builder.toJSON();
}

export interface RegisterOptions {
  /** A REST client with the bot token set; or give `token` (and `apiUrl`). */
  rest?: REST;
  token?: string;
  apiUrl?: string;
  /** Looked up from the token when not given. */
  applicationId?: string;
  /** Register in this guild only (available at once) instead of globally (may take up to an hour). */
  guildId?: string;
}

export interface Registration {
  applicationId: string;
  scope: 'guild' | 'global';
  guildId?: string;
  commands: string[];
}

/** Creates or replaces the `/agent` command (a bulk overwrite: idempotent). */
export async function registerCommands(opts: RegisterOptions): Promise<Registration> {
  const rest = opts.rest ?? restClient(opts);
  const applicationId = opts.applicationId ?? (await fetchApplicationId({ rest }));
  const route = opts.guildId
    ? Routes.applicationGuildCommands(applicationId, opts.guildId)
    : Routes.applicationCommands(applicationId);
  const saved = (await rest.put(route, { body: [agentSlashCommand()] })) as Array<{ name: string }>;
  return {
    applicationId,
    scope: opts.guildId ? 'guild' : 'global',
    ...(opts.guildId && { guildId: opts.guildId }),
    commands: saved.map((c) => c.name),
  };
}

/** The bot's application id (GET /applications/@me). */
export async function fetchApplicationId(
  opts: Pick<RegisterOptions, 'rest' | 'token' | 'apiUrl'>,
): Promise<string> {
  const rest = opts.rest ?? restClient(opts);
  const application = (await rest.get(Routes.currentApplication())) as APIApplication;
  return application.id;
}

function restClient(opts: Pick<RegisterOptions, 'token' | 'apiUrl'>): REST {
  if (!opts.token) throw new Error('DISCORD_BOT_TOKEN is not set');
  return new REST({ api: opts.apiUrl ?? DEFAULT_DISCORD_API_URL }).setToken(opts.token);
}

/** What the bot does in a channel: read, answer (also in threads), post as agents, react. */
export const BOT_PERMISSIONS = new PermissionsBitField([
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.SendMessagesInThreads,
  PermissionFlagsBits.ReadMessageHistory,
  PermissionFlagsBits.ManageWebhooks,
  PermissionFlagsBits.AddReactions,
]);

/** The URL that adds the bot to a server with those permissions and the `/agent` command. */
export function discordInviteUrl(applicationId: string): string {
  const params = new URLSearchParams({
    client_id: applicationId,
    permissions: BOT_PERMISSIONS.bitfield.toString(),
    scope: [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands].join(' '),
  });
  return `https://discord.com/oauth2/authorize?${params}`;
}
