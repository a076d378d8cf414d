// The Teams adapter: the teams-ai bot on the Hono app, with its outbox sender.
export { createTeams, type TeamsOptions } from './app.js';
