/**
 * Where the worker may fetch a file from, and with what credentials. URLs come from platform
 * events, so they are checked before any request: a Slack file only from Slack's own file host
 * (the bot token goes there and nowhere else), a Discord attachment only from Discord's CDN (no
 * credentials). Anything else is named to the model, never fetched.
 */
import type { Platform } from '../../core/types.ts';

export interface FileHostSettings {
  /** SLACK_API_URL: its origin and `files.<its host>` serve Slack files. */
  slackApiUrl: string;
  slackBotToken?: string | undefined;
  /** DISCORD_API_URL: its origin (a local fake in tests) serves attachments besides the CDN. */
  discordApiUrl: string;
}

export type FetchPlan = { ok: true; headers: Record<string, string> } | { ok: false; reason: string };

const DISCORD_CDN_ORIGINS = ['https://cdn.discordapp.com', 'https://media.discordapp.net'];

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** The origins Slack files may be fetched from (with the bot token). */
export function slackFileOrigins(apiUrl: string): string[] {
  const api = parse(apiUrl);
  if (!api) return [];
  return [api.origin, `${api.protocol}//files.${api.host}`];
}

export function discordFileOrigins(apiUrl: string): string[] {
  const api = parse(apiUrl);
  return api ? [...DISCORD_CDN_ORIGINS, api.origin] : DISCORD_CDN_ORIGINS;
}

/** How to fetch `url` for a message of `platform`, or why not to. Pure. */
export function planFetch(platform: Platform, url: string, settings: FileHostSettings): FetchPlan {
  const target = parse(url);
  if (!target || (target.protocol !== 'https:' && target.protocol !== 'http:') || target.username) {
    return { ok: false, reason: 'not a downloadable link' };
  }
  if (platform === 'slack') {
    if (!slackFileOrigins(settings.slackApiUrl).includes(target.origin)) {
      return { ok: false, reason: "not on Slack's file host" };
    }
    if (!settings.slackBotToken) return { ok: false, reason: 'no Slack bot token' };
    return { ok: true, headers: { authorization: `Bearer ${settings.slackBotToken}` } };
  }
  if (platform === 'discord') {
    return discordFileOrigins(settings.discordApiUrl).includes(target.origin)
      ? { ok: true, headers: {} }
      : { ok: false, reason: "not on Discord's CDN" };
  }
  return { ok: false, reason: 'files are not fetched on this platform' };
}
