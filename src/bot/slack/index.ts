// The Slack adapter: Bolt on the Hono app, the outbox sender, and multi-workspace installs.
export { createSlack, type SlackOptions } from './app.js';
export { installationFor, slackInstallRoutes } from './install.js';
export { slackSender } from './sender.js';
