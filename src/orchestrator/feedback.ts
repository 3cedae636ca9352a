/** A 👍/👎 click from any platform: stored against its reply, counted on the bus when it counts. */

import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import type { FeedbackClickEvent } from '../core/types.ts';
import type { Db } from '../store/database.ts';
import { type FeedbackOutcome, recordFeedback, replyIdOf } from '../store/feedback.ts';

export async function handleFeedback(
  db: Db,
  bus: EventBus<AgentBridgeEvents>,
  click: FeedbackClickEvent,
): Promise<FeedbackOutcome> {
  const replyId = replyIdOf(click.replyKey);
  if (replyId === undefined) return 'unknown';
  const outcome = await recordFeedback(db, { ...click, replyId });
  if (outcome === 'new' || outcome === 'changed') {
    bus.emit('feedback.recorded', { platform: click.platform, vote: click.vote, outcome });
  }
  return outcome;
}
