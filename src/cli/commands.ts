// The CLI's commands, by group (src/cli/commands/).
export { commands } from './commands/index.js';
