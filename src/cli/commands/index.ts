// Every CLI command, by group; `uso help` lists them in this order.
import type { Command } from '../command.js';
import { schoolsCommands } from './schools.js';
import { peopleCommands } from './people.js';
import { runsCommands } from './runs.js';
import { dataCommands } from './data.js';
import { subscribersCommands } from './subscribers.js';
import { sharingCommands } from '../sharing-commands.js';
import { migrateCommands } from './migrate.js';
import { backupCommands } from './backup.js';

export const commands: Record<string, Command> = {
  ...schoolsCommands,
  ...peopleCommands,
  ...runsCommands,
  ...dataCommands,
  ...subscribersCommands,
  ...sharingCommands,
  ...migrateCommands,
  ...backupCommands,
};
