// The Slack adapter: Bolt on the Hono app (with its outbox sender), and multi-workspace installs.
export { createSlack, type SlackOptions } from './app.js';
export { slackInstallRoutes } from './install.js';
