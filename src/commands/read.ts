/**
 * The verbs that only read: list, show, help. Channels are raw platform ids (`C123`, `1234…`):
 * each renderer links them its own way (`<#C123>` on Slack and Discord).
 */

import { effectiveSystemPrompt } from '../core/system-prompt.ts';
import type { Platform } from '../core/types.ts';
import { auditTrail, listAgents } from '../store/agents.ts';
import { AGENT_NAME_RULE } from './agent-args.ts';
import type { CommandReply } from './command.ts';
import { findAgent, modelLabel, type Session, statusLabel, succeeded } from './session.ts';
import { createExample, helpLines } from './usage.ts';

export async function listVerb(s: Session): Promise<CommandReply> {
  const agents = await listAgents(s.db, s.workspaceId);
  if (agents.length === 0) {
    return succeeded(`No agents here yet: create one with ${createExample(s.ctx.platform, 'Aria')}`);
  }
  const rows = agents.map((agent) => {
    const channelIds = agent.channels.map((c) => c.channelId).sort();
    return {
      name: agent.name,
      status: statusLabel(agent.status),
      model: modelLabel(agent.modelConfig, s.config.defaultModel),
      channels: channelIds.join(', '),
      channelIds,
      role: agent.role,
    };
  });
  const count = agents.length === 1 ? '1 agent' : `${agents.length} agents`;
  return succeeded(`${count} here.`, { title: 'Agents', rows });
}

export async function showVerb(s: Session, name: string): Promise<CommandReply> {
  const found = await findAgent(s, name);
  if (!found.agent) return found.reply;
  const { agent } = found;
  const [created, channels] = await Promise.all([
    createdBy(s, agent.id, agent.createdAt),
    s.db.channelAgent.findMany({ where: { agentId: agent.id }, orderBy: { channelId: 'asc' } }),
  ]);
  const channelIds = channels.map((c) => c.channelId);
  const none = '(none)';
  return succeeded(`Created by ${created}.`, {
    title: agent.name,
    channelIds,
    fields: [
      { label: 'Status', value: statusLabel(agent.status) },
      { label: 'Role', value: agent.role || none },
      { label: 'Goal', value: agent.goal || none },
      { label: 'Backstory', value: agent.backstory || none },
      { label: 'Model', value: modelLabel(agent.modelConfig, s.config.defaultModel) },
      { label: 'Avatar', value: agent.avatarUrl ?? none },
      { label: 'Channels', value: channelIds.join(', ') || none },
      {
        label: 'Prompt',
        value: agent.systemPrompt?.trim()
          ? 'set with prompt= (prompt="" goes back to the generated one)'
          : 'generated from role, goal and backstory',
      },
      { label: 'System prompt', value: effectiveSystemPrompt(agent) },
      { label: 'Replies', value: String(agent.totalResponses) },
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
  const user = creation?.actorId
    ? await s.db.platformUser.findUnique({ where: { id: creation.actorId } })
    : undefined;
  const who = user?.displayName || creation?.actorLabel || 'unknown';
  return `${who} on ${(creation?.createdAt ?? fallback).toISOString().slice(0, 10)}`;
}
