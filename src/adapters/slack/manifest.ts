/**
 * The Slack app manifest for "Create an app → From a manifest": the bot user, every scope and
 * event this adapter uses, `/agent`, and either request URLs (HTTP) or Socket Mode. New apps get
 * Slack's agent messaging experience (`features.agent_view`: conversations in the app's Messages
 * tab); `assistantView` keeps the older assistant pane (`assistant_view`) for existing apps.
 */
import { SLACK_EVENTS_PATH } from './paths.ts';

export interface SlackManifestOptions {
  /** Public base URL of the service, e.g. https://bridge.example.com (HTTP mode). */
  url?: string;
  socketMode: boolean;
  /** App and bot display name [agent-bridge]. */
  name?: string;
  /** The older assistant pane instead of the agent view (existing apps that have not moved yet). */
  assistantView?: boolean;
}

/**
 * The *:history scopes also let a retried delivery look for a reply part posted before a crash
 * (conversations.history / .replies with include_all_metadata): DMs, public and private channels,
 * group DMs. Message metadata needs no scope of its own beyond chat:write.
 */
export const BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'chat:write',
  'chat:write.customize',
  'commands',
  'files:read',
  'groups:history',
  'im:history',
  'im:read',
  'im:write',
  'mpim:history',
  'reactions:write',
  'users:read',
] as const;

const COMMON_EVENTS = [
  'app_mention',
  'app_uninstalled',
  'message.channels',
  'message.groups',
  'message.im',
  'tokens_revoked',
] as const;

/** The agent view: `app_home_opened` (tab "messages") starts a conversation, `app_context_changed` says what the user looks at. */
export const BOT_EVENTS = [...COMMON_EVENTS, 'app_context_changed', 'app_home_opened'] as const;

/** The assistant pane (`--assistant-view`). */
export const ASSISTANT_VIEW_EVENTS = [
  ...COMMON_EVENTS,
  'assistant_thread_context_changed',
  'assistant_thread_started',
] as const;

const DESCRIPTION = 'Talk to the agents of this workspace. Start a message with a name to pick one.';

const PLACEHOLDER_URL = 'https://YOUR-HOST';

/** The request URL Slack posts events, commands and form submissions to. */
export function slackRequestUrl(base: string | undefined): string {
  const trimmed = (base?.trim() || PLACEHOLDER_URL).replace(/\/+$/, '');
  return trimmed.endsWith(SLACK_EVENTS_PATH) ? trimmed : `${trimmed}${SLACK_EVENTS_PATH}`;
}

export function slackManifest(options: SlackManifestOptions): Record<string, unknown> {
  const name = options.name ?? 'agent-bridge';
  const requestUrl = options.socketMode ? undefined : slackRequestUrl(options.url);
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: 'LLM agents you can DM, mention in channels and manage with /agent.',
      background_color: '#2c2d30',
    },
    features: {
      app_home: {
        home_tab_enabled: false,
        messages_tab_enabled: true,
        messages_tab_read_only_enabled: false,
      },
      bot_user: { display_name: name, always_online: true },
      ...(options.assistantView
        ? { assistant_view: { assistant_description: DESCRIPTION } }
        : { agent_view: { agent_description: DESCRIPTION } }),
      slash_commands: [
        {
          command: '/agent',
          ...(requestUrl && { url: requestUrl }),
          description: 'Create, list and manage agents',
          usage_hint: 'create NAME role="…" | list | join NAME | use NAME | help',
          should_escape: false,
        },
      ],
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: {
        ...(requestUrl && { request_url: requestUrl }),
        bot_events: [...(options.assistantView ? ASSISTANT_VIEW_EVENTS : BOT_EVENTS)],
      },
      interactivity: { is_enabled: true, ...(requestUrl && { request_url: requestUrl }) },
      org_deploy_enabled: false,
      socket_mode_enabled: options.socketMode,
      token_rotation_enabled: false,
    },
  };
}

/** Pretty JSON (what Slack's manifest editor shows first) or YAML. */
export function formatSlackManifest(
  manifest: Record<string, unknown>,
  format: 'json' | 'yaml' = 'json',
): string {
  if (format === 'json') return `${JSON.stringify(manifest, null, 2)}\n`;
  return `${toYaml(manifest as Yaml, 0).join('\n')}\n`;
}

type Yaml = string | number | boolean | null | undefined | Yaml[] | { [key: string]: Yaml };

/** Enough YAML for a manifest: maps, lists, scalars; strings always double-quoted (valid YAML). */
function toYaml(value: Yaml, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (isScalar(item)) return [`${pad}- ${scalar(item)}`];
      const [first = '', ...rest] = toYaml(item, indent + 2);
      return [`${pad}- ${first.trimStart()}`, ...rest];
    });
  }
  if (isScalar(value)) return [`${pad}${scalar(value)}`];
  return Object.entries(value).flatMap(([key, item]) => {
    if (item === undefined) return [];
    if (isScalar(item)) return [`${pad}${key}: ${scalar(item)}`];
    if (Array.isArray(item) && item.length === 0) return [`${pad}${key}: []`];
    return [`${pad}${key}:`, ...toYaml(item, indent + 2)];
  });
}

function isScalar(value: Yaml): value is string | number | boolean | null | undefined {
  return value === null || value === undefined || typeof value !== 'object';
}

function scalar(value: string | number | boolean | null | undefined): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value ?? null);
}
