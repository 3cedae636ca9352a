/**
 * Which agents may answer in which conversations: an agent answers in its own workspace only, with
 * one exception the product models on purpose. Discord DMs have no guild: they live in the
 * workspace `@dm`, and a user's DM may reach the agents of the guilds they share with the bot (the
 * orchestrator checks the shared guilds when it schedules the job).
 */
import type { Platform } from './types.ts';

/** The workspace of every Discord DM conversation (its external id). */
export const DISCORD_DM_WORKSPACE = '@dm';

export interface ReachFacts {
  conversationWorkspaceId: string;
  conversationWorkspaceExternalId: string;
  conversationPlatform: Platform;
  agentWorkspaceId: string;
  agentPlatform: Platform;
}

/** May this agent answer in this conversation? Unknown facts (a missing row) mean no. */
export function mayReach(facts: ReachFacts | undefined): boolean {
  if (!facts) return false;
  if (facts.conversationWorkspaceId === facts.agentWorkspaceId) return true;
  return (
    facts.conversationPlatform === 'discord' &&
    facts.conversationWorkspaceExternalId === DISCORD_DM_WORKSPACE &&
    facts.agentPlatform === 'discord'
  );
}
