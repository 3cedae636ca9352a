/**
 * What a platform adapter may ask of the rest of the service. app.ts binds these to the
 * orchestrator and the command core, so adapters never import either (and stay translators).
 */
import type { AgentCommand, CommandContext, CommandReply, ParsedCommand } from '../commands/command.ts';
import type { FeedbackClickEvent, InboundMessage, Platform } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import type { InboundOutcome, MessageChange } from '../orchestrator/orchestrator.ts';
import type { CatchUpPoint, CatchUpWindow } from '../store/catch-up.ts';
import type { FeedbackOutcome } from '../store/feedback.ts';

export type { CatchUpPoint, CatchUpWindow };

export interface AdapterHooks {
  /**
   * Stores, decides and schedules; resolves once the message and its reply intent are stored and
   * its job is scheduled (acknowledge after this, never before). Rejects when that could not be
   * done (overload, the database or Redis down): refuse the event so the platform redelivers it.
   */
  onInbound(message: InboundMessage): Promise<InboundOutcome>;
  /** An edit or deletion of a platform message. */
  onChange(change: MessageChange): Promise<unknown>;
  /** A person's display name, learnt after their message was stored (kept for the next turns). */
  onUserName(platform: Platform, externalId: string, displayName: string): Promise<unknown>;
  /** Runs an `/agent` command (already parsed or built from typed options). */
  onCommand(context: CommandContext, command: AgentCommand): Promise<CommandReply>;
  /** Parses the text form `verb name key=value …` (Slack, CLI); never throws. */
  parseCommand(text: string): ParsedCommand;
  /** Live agents of a workspace, for addressing by name, autocomplete and suggested prompts. */
  listAgents(
    platform: Platform,
    workspaceExternalId: string,
  ): Promise<Array<{ id: string; name: string; role: string }>>;
  /**
   * Where the stored history of each channel worth watching ends (joined channels, their recent
   * threads, recent DMs): a gateway that was away reads what it missed from there. Optional: an
   * adapter without it does not catch up.
   */
  catchUpPoints?(platform: Platform, window: CatchUpWindow): Promise<CatchUpPoint[]>;
  /**
   * The app was removed from a workspace (Slack `app_uninstalled` / `tokens_revoked`, Discord
   * guild removal): what waits there ends and nothing more is posted there.
   */
  onWorkspaceRemoved?(platform: Platform, externalId: string, reason: string): Promise<void>;
  /**
   * Slack's agent view: true the first time this person opens the app's Messages tab in this
   * workspace (persisted), so the greeting goes out once. Optional: without it nobody is greeted.
   */
  claimGreeting?(platform: Platform, workspaceExternalId: string, userId: string): Promise<boolean>;
  /** A 👍/👎 click on a reply (`replyKey` = its delivery key, `reply-<id>`); stored once per person. */
  onFeedback?(click: FeedbackClickEvent): Promise<FeedbackOutcome>;
  /** A platform notice worth counting (Slack `app_rate_limited`, a request nothing handled). */
  onNotice?(notice: PlatformNotice): void;
  /**
   * The platform removed a channel: the agents joined to it leave it as `/agent leave` would, the
   * audit naming `actorLabel` (e.g. `discord:channel-deleted`). Resolves to how many left.
   */
  onChannelRemoved?(platform: Platform, channelId: string, actorLabel: string): Promise<number>;
  logger: Logger;
}

export interface PlatformNotice {
  platform: Platform;
  /** `app_rate_limited`, `unhandled`, `uninstalled`, ... */
  kind: string;
}
