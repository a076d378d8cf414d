// The store's schema version: what it is, what this build would change, and applying it ahead of a start.
import type { Command } from '../command.js';
import { createLogger } from '../../log.js';
import { migrate, migrationStatus } from '../../store/migrations.js';
import { table } from '../table.js';

export const migrateCommands: Record<string, Command> = {
  'migrate status': {
    usage: 'migrate status',
    summary: "The store's schema version, the migrations applied, and what this build would apply (nothing is changed)",
    async run(ctx) {
      const { db } = await ctx.store({ migrations: 'check' });
      const status = await migrationStatus(db);
      const lines = [
        `Store schema version ${status.version}; this build: ${status.buildVersion}.`,
        status.pending.length
          ? `To apply (uso migrate run, or at the service's start):\n${table([['version', 'migration', 'what it changes'], ...status.pending.map((m) => [String(m.version), m.name, m.what])])}`
          : 'Nothing to apply.',
        ...(status.applied.length
          ? [
              `Applied:\n${table([['version', 'migration', 'at', 'documents changed'], ...status.applied.map((m) => [String(m.version), m.name, new Date(m.at).toISOString(), String(m.changed)])])}`,
            ]
          : []),
      ];
      return { human: lines.join('\n'), json: status };
    },
  },
  'migrate run': {
    usage: 'migrate run',
    summary:
      "Bring the store to this build's schema version now (the service also does it at start, one worker at a time)",
    async run(ctx) {
      const { db } = await ctx.store({ migrations: 'check' });
      const done = await migrate(db, createLogger({ level: 'silent', pretty: false }));
      const status = await migrationStatus(db);
      return {
        human: done.length
          ? `Applied ${done.map((m) => `${m.version} ${m.name}`).join(', ')}; the store is at schema version ${status.version}.`
          : `Nothing to apply: the store is at schema version ${status.version}.`,
        json: { applied: done.map((m) => ({ version: m.version, name: m.name })), version: status.version },
      };
    },
  },
};
