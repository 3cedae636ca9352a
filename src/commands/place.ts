/**
 * The verbs about where an agent answers: join and leave this channel (the creator, an admin or
 * whoever runs the channel, see permissions.ts), use in this DM (anyone).
 */
import { joinChannel, leaveChannel, useAgentInDm } from '../store/agents.ts';
import { ensureConversation } from '../store/conversations.ts';
import type { CommandReply } from './command.ts';
import { excerpt } from './fields.ts';
import { checkPermission } from './permissions.ts';
import { findReachable } from './reach.ts';
import { actorOf, creatorOf, failed, findAgent, rules, type Session, succeeded } from './session.ts';
import { usage } from './usage.ts';

export async function joinVerb(s: Session, name: string, join: boolean): Promise<CommandReply> {
  const verb = join ? 'join' : 'leave';
  const { channelId } = s.ctx;
  if (s.ctx.isDirect || !channelId) {
    const where = join ? 'where it should answer' : 'it should leave';
    return failed(
      `Agents ${verb} channels, not DMs: type ${usage(verb, s.ctx.platform, excerpt(name))} in the channel ${where}.`,
    );
  }
  const found = await findAgent(s, name);
  if (!found.agent) return found.reply;
  const { agent } = found;
  const permission = checkPermission({
    verb,
    ...rules(s.config, s.ctx),
    agent: { name: agent.name, creator: await creatorOf(s, agent) },
    inChannel: true,
  });
  if (!permission.allowed) return failed(permission.reason);
  const actor = await actorOf(s);
  if (join) {
    const { joined } = await joinChannel(s.db, agent.id, s.ctx.platform, channelId, actor);
    return succeeded(
      joined
        ? `${agent.name} joined this channel: mention the bot with ${agent.name}'s name to talk to it.`
        : `${agent.name} is already in this channel.`,
    );
  }
  const { left } = await leaveChannel(s.db, agent.id, channelId, actor);
  return succeeded(left ? `${agent.name} left this channel.` : `${agent.name} is not in this channel.`);
}

export async function useVerb(s: Session, name: string): Promise<CommandReply> {
  const { channelId } = s.ctx;
  if (!s.ctx.isDirect || !channelId) {
    return failed(
      `/agent use picks who answers in a DM with the bot: in a channel, address the agent by name (@bot ${excerpt(name)} …).`,
    );
  }
  // The DM's conversation stays in its own workspace, whichever server the agent lives in.
  const found = await findReachable(s, name);
  if (!found.agent) return found.reply;
  const { agent } = found;
  const key = { platform: s.ctx.platform, workspaceId: s.workspaceId, channelId };
  const conversation = await ensureConversation(s.db, key, 'dm');
  const paused =
    agent.status === 'inactive'
      ? ` It is paused: ${usage('resume', s.ctx.platform, agent.name)} to wake it.`
      : '';
  if (conversation.activeAgentId === agent.id)
    return succeeded(`${agent.name} already answers in this DM.${paused}`);
  const actor = await actorOf(s);
  await useAgentInDm(s.db, agent.id, conversation.id, channelId, actor);
  return succeeded(`${agent.name} answers in this DM now.${paused}`);
}
