export interface PausedNoticeState {
  /** When this conversation last got the notice for this agent (`pausedNoticeAt`), if ever. */
  noticeSentAt: Date | null;
  /** When the agent was paused, if known: a notice from an earlier pause does not count. */
  pausedSince?: Date | null;
}

/** The paused notice goes out once per conversation and pause, not on every message. */
export function shouldSendPausedNotice(state: PausedNoticeState): boolean {
  if (state.noticeSentAt === null) return true;
  return state.pausedSince != null && state.noticeSentAt.getTime() < state.pausedSince.getTime();
}

export function pausedNoticeText(agentName: string): string {
  const nameArgument = /\s/u.test(agentName) ? `"${agentName}"` : agentName;
  return `${agentName} is paused. Ask its owner or an admin to run /agent resume ${nameArgument}.`;
}
