/** Where Slack sends events and slash commands in HTTP mode. Apart so the manifest needs no Bolt. */
export const SLACK_EVENTS_PATH = '/slack/events';
