/**
 * 👍/👎 under every agent reply: Slack's `feedback_buttons` in a `context_actions` block on the
 * reply's last message. A click (block_actions) is stored against the reply by the hooks (one
 * vote per person, a second click changes it) and acknowledged once, within the ack budget:
 * storing that takes longer carries on after the acknowledgement.
 */
import type { App, BlockFeedbackButtonsAction, types } from '@slack/bolt';
import type { Logger } from '../../logger.ts';
import type { Vote } from '../../store/feedback.ts';
import type { AdapterHooks } from '../hooks.ts';
import { withinBudget } from './receiver.ts';

export const FEEDBACK_ACTION_ID = 'agent_feedback';
/** block_id = prefix + the reply's delivery key (`reply-42`): the click names its reply. */
const BLOCK_PREFIX = 'agent_feedback:';

const VOTE_VALUES: Record<Vote, string> = { up: 'positive_feedback', down: 'negative_feedback' };

/** The block to append to the last message of a reply (also the final message of a stream). */
export function feedbackBlock(replyKey: string): types.ContextActionsBlock {
  return {
    type: 'context_actions',
    block_id: `${BLOCK_PREFIX}${replyKey}`,
    elements: [
      {
        type: 'feedback_buttons',
        action_id: FEEDBACK_ACTION_ID,
        positive_button: {
          text: { type: 'plain_text', text: '👍' },
          accessibility_label: 'Good answer',
          value: VOTE_VALUES.up,
        },
        negative_button: {
          text: { type: 'plain_text', text: '👎' },
          accessibility_label: 'Bad answer',
          value: VOTE_VALUES.down,
        },
      },
    ],
  };
}

/** The reply key and vote of a click on our buttons, if it is one. Pure. */
export function parseFeedbackClick(action: {
  block_id?: string;
  value?: string;
}): { replyKey: string; vote: Vote } | undefined {
  const blockId = action.block_id ?? '';
  if (!blockId.startsWith(BLOCK_PREFIX)) return undefined;
  const replyKey = blockId.slice(BLOCK_PREFIX.length);
  const vote =
    action.value === VOTE_VALUES.up ? 'up' : action.value === VOTE_VALUES.down ? 'down' : undefined;
  return replyKey && vote ? { replyKey, vote } : undefined;
}

export interface FeedbackDeps {
  hooks: AdapterHooks;
  ackBudgetMs: number;
  logger: Logger;
}

export function registerFeedback(app: App, deps: FeedbackDeps): void {
  const { hooks, logger } = deps;
  app.action<BlockFeedbackButtonsAction>(FEEDBACK_ACTION_ID, async ({ ack, body, action }) => {
    const click = parseFeedbackClick(action);
    const userId = body.user?.id;
    if (!click || !userId || !hooks.onFeedback) {
      await ack();
      return;
    }
    const work = hooks.onFeedback({ platform: 'slack', replyKey: click.replyKey, userId, vote: click.vote });
    const onError = (error: unknown) =>
      logger.warn({ err: error, reply: click.replyKey }, 'slack feedback not stored');
    try {
      const stored = await withinBudget(work, deps.ackBudgetMs, onError);
      if (stored.done) logger.debug({ reply: click.replyKey, outcome: stored.value }, 'slack feedback');
    } catch (error) {
      onError(error);
    }
    await ack();
  });
}
