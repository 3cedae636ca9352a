import { describe, expect, it } from 'vitest';
import {
  ASSISTANT_VIEW_EVENTS,
  BOT_EVENTS,
  BOT_SCOPES,
  formatSlackManifest,
  slackManifest,
} from '../../../src/adapters/slack/manifest.ts';

describe('slackManifest', () => {
  it('points events, /agent and interactivity at <url>/slack/events over HTTP', () => {
    const manifest = slackManifest({ url: 'https://bridge.example.com/', socketMode: false }) as {
      features: { slash_commands: Array<Record<string, unknown>>; bot_user: unknown };
      oauth_config: { scopes: { bot: string[] } };
      settings: Record<string, Record<string, unknown> | boolean>;
    };
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({
        command: '/agent',
        url: 'https://bridge.example.com/slack/events',
        should_escape: false,
      }),
    ]);
    expect(manifest.features.bot_user).toEqual({ display_name: 'agent-bridge', always_online: true });
    expect(manifest.settings.event_subscriptions).toEqual({
      request_url: 'https://bridge.example.com/slack/events',
      bot_events: [...BOT_EVENTS],
    });
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: 'https://bridge.example.com/slack/events',
    });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining([...BOT_SCOPES]));
  });

  it('asks for every scope and event the adapter uses', () => {
    expect([...BOT_SCOPES].sort()).toEqual(
      [
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
      ].sort(),
    );
    expect([...BOT_EVENTS].sort()).toEqual(
      [
        'app_context_changed',
        'app_home_opened',
        'app_mention',
        'app_uninstalled',
        'message.channels',
        'message.groups',
        'message.im',
        'tokens_revoked',
      ].sort(),
    );
  });

  it('has no request URLs in Socket Mode, and does not double the path', () => {
    const socket = JSON.stringify(slackManifest({ socketMode: true }));
    expect(socket).not.toContain('request_url');
    expect(socket).not.toContain('"url"');
    expect(socket).toContain('"socket_mode_enabled":true');
    const given = JSON.stringify(slackManifest({ url: 'https://h.example/slack/events', socketMode: false }));
    expect(given).toContain('"https://h.example/slack/events"');
    expect(given).not.toContain('/slack/events/slack/events');
  });

  it('prints pretty JSON and equivalent YAML', () => {
    const manifest = slackManifest({ url: 'https://h.example', socketMode: false });
    const json = formatSlackManifest(manifest, 'json');
    expect(JSON.parse(json)).toEqual(manifest);
    expect(json).toContain('\n  "display_information": {');
    const yaml = formatSlackManifest(manifest, 'yaml');
    expect(yaml).toContain('display_information:\n  name: "agent-bridge"\n');
    expect(yaml).toContain(
      '  slash_commands:\n    - command: "/agent"\n      url: "https://h.example/slack/events"\n',
    );
    expect(yaml).toContain('    bot:\n      - "app_mentions:read"\n');
    expect(yaml).toContain('  socket_mode_enabled: false\n');
  });

  it("asks new apps for Slack's agent view: its description and events, no assistant pane", () => {
    const manifest = slackManifest({ socketMode: true }) as {
      features: Record<string, unknown>;
      settings: { event_subscriptions: { bot_events: string[] } };
    };
    expect(manifest.features.agent_view).toEqual({ agent_description: expect.stringContaining('agents') });
    expect(manifest.features).not.toHaveProperty('assistant_view');
    expect(manifest.features.app_home).toMatchObject({ messages_tab_enabled: true });
    const events = manifest.settings.event_subscriptions.bot_events;
    expect(events).toEqual(expect.arrayContaining(['app_home_opened', 'app_context_changed', 'message.im']));
    expect(events).not.toContain('assistant_thread_started');
  });

  it('keeps the assistant pane for existing apps with assistantView (--assistant-view)', () => {
    const manifest = slackManifest({ socketMode: true, assistantView: true }) as {
      features: Record<string, unknown>;
      settings: { event_subscriptions: { bot_events: string[] } };
    };
    expect(manifest.features.assistant_view).toEqual({
      assistant_description: expect.stringContaining('agents'),
    });
    expect(manifest.features).not.toHaveProperty('agent_view');
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual(
      [...ASSISTANT_VIEW_EVENTS].sort(),
    );
    expect(ASSISTANT_VIEW_EVENTS).toEqual(
      expect.arrayContaining(['assistant_thread_started', 'assistant_thread_context_changed', 'message.im']),
    );
  });
});
