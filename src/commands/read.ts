/**
 * The verbs that only read: list, show, help. Channels are raw platform ids (`C123`, `1234…`):
 * each renderer links them its own way (`<#C123>` on Slack and Discord).
 */

import { AGENT_NAME_RULE } from '../core/agent-name.ts';
import { effectiveSystemPrompt } from '../core/system-prompt.ts';
import type { Platform } from '../core/types.ts';
import { agentChannelIds, auditTrail, countReplies, listAgents } from '../store/agents.ts';
import { SATISFACTION_WINDOW_DAYS, satisfactionOf, satisfactionText } from '../store/feedback.ts';
import { loadingOf, streamsOf } from '../store/hot/values.ts';
import { findUser } from '../store/identities.ts';
import { statsFields } from './agent-stats.ts';
import type { CommandReply } from './command.ts';
import { maySeePrompt } from './permissions.ts';
import {
  agentsInReach,
  findReachable,
  IN_SHARED_SERVERS,
  noAgentsInReach,
  type ReachableAgent,
  reachesServers,
} from './reach.ts';
import { creatorOf, modelLabel, rules, type Session, statusLabel, succeeded } from './session.ts';
import { createExample, helpLines } from './usage.ts';

type Row = NonNullable<CommandReply['rows']>[number];

export async function listVerb(s: Session): Promise<CommandReply> {
  if (reachesServers(s)) return listInReach(s);
  const agents = await listAgents(s.db, s.workspaceId);
  if (agents.length === 0) {
    return succeeded(`No agents here yet: create one with ${createExample(s.ctx.platform, 'Aria')}`);
  }
  const rows = agents.map((agent) => rowOf(s, agent));
  return succeeded(`${countOf(agents.length)} here.`, { title: 'Agents', rows });
}

/** A Discord DM: the agents of the servers shared with the bot, marked with their server when several. */
async function listInReach(s: Session): Promise<CommandReply> {
  const reached = await agentsInReach(s);
  if (reached.length === 0) return succeeded(`No agents: ${noAgentsInReach(s, 'Aria')}`);
  const several = new Set(reached.map(({ where }) => where)).size > 1;
  const rows = reached
    .map(({ agent, where }) => rowOf(s, agent, several ? `${agent.name} (${where})` : agent.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  return succeeded(`${countOf(reached.length)} ${IN_SHARED_SERVERS}.`, { title: 'Agents', rows });
}

function rowOf(s: Session, agent: ReachableAgent, name = agent.name): Row {
  const channelIds = agent.channels.map((c) => c.channelId).sort();
  return {
    name,
    status: statusLabel(agent.status),
    model: modelLabel(agent.modelConfig, s.config),
    channels: channelIds.join(', '),
    channelIds,
    role: agent.role,
  };
}

function countOf(n: number): string {
  return n === 1 ? '1 agent' : `${n} agents`;
}

export async function showVerb(s: Session, name: string): Promise<CommandReply> {
  const found = await findReachable(s, name);
  if (!found.agent) return found.reply;
  const { agent } = found;
  const server = found.where ? [{ label: 'Server', value: found.where }] : [];
  const [created, channelIds, replies, creator, stats, satisfaction] = await Promise.all([
    createdBy(s, agent.id, agent.createdAt),
    agentChannelIds(s.db, agent.id),
    countReplies(s.db, agent.id),
    creatorOf(s, agent),
    statsFields(s, agent),
    satisfactionOf(s.db, agent.id, new Date(Date.now() - SATISFACTION_WINDOW_DAYS * 86_400_000)),
  ]);
  const none = '(none)';
  const visible = maySeePrompt({ ...rules(s.config, s.ctx), agent: { name: agent.name, creator } });
  const who = creator
    ? `${creator.displayName || creator.platformUserId} (the creator) or an admin`
    : 'an admin';
  const hidden = `hidden, with the goal and backstory it is written from: only ${who} can see them`;
  const promptFields = visible
    ? [
        {
          label: 'Prompt',
          value: agent.systemPrompt?.trim()
            ? 'set with prompt= (prompt="" goes back to the generated one)'
            : 'generated from role, goal and backstory',
        },
        { label: 'System prompt', value: effectiveSystemPrompt(agent) },
      ]
    : [{ label: 'System prompt', value: hidden }];
  const profile = visible
    ? [
        { label: 'Goal', value: agent.goal || none },
        { label: 'Backstory', value: agent.backstory || none },
      ]
    : [];
  return succeeded(`Created by ${created}.`, {
    title: agent.name,
    channelIds,
    fields: [
      ...server,
      { label: 'Status', value: statusLabel(agent.status) },
      { label: 'Role', value: agent.role || none },
      ...profile,
      { label: 'Model', value: modelLabel(agent.modelConfig, s.config) },
      { label: 'Avatar', value: agent.avatarUrl ?? none },
      { label: 'Streaming', value: streamsOf(agent.modelConfig) ? 'on' : 'off' },
      { label: 'Channels', value: channelIds.join(', ') || none },
      ...promptFields,
      { label: 'Working messages', value: loadingOf(agent.modelConfig)?.join(' | ') ?? 'the default' },
      { label: 'Replies', value: String(replies) },
      ...stats,
      { label: 'Satisfaction', value: satisfactionText(satisfaction) },
    ],
  });
}

export function helpVerb(platform?: Platform): CommandReply {
  return succeeded(
    `Set up agents where you chat. Names: ${AGENT_NAME_RULE}, unique here regardless of case.`,
    {
      title: '/agent',
      fields: helpLines(platform),
    },
  );
}

/** `Ana on 2026-11-24`, from the audit trail (the creator's current name when they are a user). */
async function createdBy(s: Session, agentId: string, fallback: Date): Promise<string> {
  const creation = (await auditTrail(s.db, agentId)).find((entry) => entry.action === 'create');
  const user = creation?.actorId ? await findUser(s.db, creation.actorId) : undefined;
  const who = user?.displayName || creation?.actorLabel || 'unknown';
  return `${who} on ${(creation?.createdAt ?? fallback).toISOString().slice(0, 10)}`;
}
