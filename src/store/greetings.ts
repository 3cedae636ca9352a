/** Slack's agent view greets a person once per workspace: the first claim wins, even across restarts. */
import type { Db } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export async function claimGreeting(
  db: Db,
  platform: string,
  workspaceId: string,
  userId: string,
): Promise<boolean> {
  try {
    await db.agentViewGreeting.create({ data: { platform, workspaceId, userId } });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
