// The chat core, used by the service and the CLI: roles and links, the admin actions, what is posted after runs, and
// the outbox. The platform adapters have their own entry points (./slack/index.js, ./teams/index.js) so that the CLI
// does not load their SDKs (teams-ai alone takes over a second to import).
export { createLinkCode, grantRole, type Actor } from './access.js';
export {
  approveHeldChanges,
  createNew,
  exclude,
  listHeld,
  listInvalid,
  listNewAccounts,
  match,
  rejectHeldChanges,
  restore,
  who,
} from './actions.js';
export { newAccountsCsv } from './csv.js';
export { notifyRun, queueLaDigests } from './notify.js';
export * as alerts from './alerts.js';
export { deliverDue, type ChatSenders } from './outbox.js';
