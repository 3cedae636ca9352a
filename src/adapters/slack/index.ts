export {
  createSlackAdapter,
  DEFAULT_RETRY_CONFIG,
  type SlackAdapter,
  type SlackAdapterOptions,
} from './adapter.ts';
export { formatForSlack, SLACK_TEXT_LIMIT } from './format.ts';
export { formatSlackManifest, type SlackManifestOptions, slackManifest } from './manifest.ts';
export { SLACK_EVENTS_PATH } from './receiver.ts';
