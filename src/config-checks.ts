/**
 * What a parsed Config implies when the service starts: which platforms run (and what to set for
 * the others), which values are secrets to scrub from logs and errors, and whether the HTTP surface
 * would be exposed without a token. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { type Config, MIN_ADMIN_TOKEN_LENGTH } from './config.ts';
import { url } from './config-env.ts';

export interface PlatformStatus {
  configured: boolean;
  mode: 'http' | 'socket' | 'gateway' | 'off';
  /** When not configured: alternative sets of variables, any one of which enables the platform. */
  enableWith: string[][];
  /** One line for the start-up log. */
  summary: string;
}

/** Which platforms start, and what to set for the ones that do not. */
export function platformStatus(config: Config): { slack: PlatformStatus; discord: PlatformStatus } {
  const { mode } = config.slack;
  const slack: PlatformStatus =
    mode === 'off'
      ? {
          configured: false,
          mode,
          enableWith: [
            ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
            ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'],
          ],
          summary:
            'slack: off (set SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET, or SLACK_BOT_TOKEN + SLACK_APP_TOKEN for Socket Mode)',
        }
      : {
          configured: true,
          mode,
          enableWith: [],
          summary: mode === 'socket' ? 'slack: on (Socket Mode)' : 'slack: on (HTTP, POST /slack/events)',
        };
  const discord: PlatformStatus = config.discord.enabled
    ? {
        configured: true,
        mode: 'gateway',
        enableWith: [],
        summary: `discord: on (gateway${config.discord.guildId ? `, /agent in guild ${config.discord.guildId}` : ''})`,
      }
    : {
        configured: false,
        mode: 'off',
        enableWith: [['DISCORD_BOT_TOKEN']],
        summary: 'discord: off (set DISCORD_BOT_TOKEN)',
      };
  return { slack, discord };
}

/** Every secret value in the config (tokens, keys, URL passwords), for `redactSecrets`. */
export function configSecrets(config: Config): string[] {
  const secrets = [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.discord.botToken,
    config.google.apiKey,
    config.openaiCompatible.apiKey,
    config.adminToken,
    config.secretKey,
    ...config.previousSecretKeys,
  ];
  for (const u of [config.databaseUrl, config.redisUrl, config.openaiCompatible.baseUrl]) {
    const password = u
      ? url(u, ['postgresql:', 'postgres:', 'redis:', 'rediss:', 'http:', 'https:'])?.password
      : '';
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  return [...new Set(secrets.filter((s): s is string => Boolean(s)))];
}

/** 127.0.0.0/8, ::1 (also written in full or as IPv4-mapped 127.x) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (!isIPv6(h)) return false;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1];
  if (mapped) return mapped.startsWith('127.');
  const groups = h.split('::');
  const head = groups[0] ? groups[0].split(':') : [];
  const tail = groups[1] ? groups[1].split(':') : [];
  const all =
    groups.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail] : head;
  return all.length === 8 && all.slice(0, 7).every((g) => /^0+$/.test(g)) && /^0*1$/.test(all[7] ?? '');
}

/**
 * Why this config must not start serving, if it must not: the admin surface (Bull Board, /metrics)
 * would be reachable beyond this host with no token. One line: what is wrong and both fixes.
 */
export function exposureProblem(config: Pick<Config, 'host' | 'adminToken'>): string | undefined {
  if (config.adminToken || isLoopbackHost(config.host)) return undefined;
  return `ADMIN_TOKEN is required when HOST (${config.host}) is not a loopback address, or /admin/queues and /metrics are open to anyone who reaches this port: set ADMIN_TOKEN to ${MIN_ADMIN_TOKEN_LENGTH}+ random characters (e.g. ADMIN_TOKEN="$(openssl rand -base64 32)"), or HOST=127.0.0.1`;
}
