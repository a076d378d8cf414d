// A copy of the whole store to a file, taken while the service runs, and a restore from one.
import { z } from 'zod';
import type { Command } from '../command.js';
import { UsoError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { backupStore, readBackupHeader, restoreStore } from '../../store/backup.js';
import { SCHEMA_VERSION, migrationStatus } from '../../store/migrations.js';
import { runsInProgress } from '../../store/leases.js';
import { globalPause, setGlobalPause } from '../../store/schools.js';
import { prepareStore } from '../../store/index.js';
import { audit } from '../../store/audit.js';
import { SERVICE_VERSION } from '../../version.js';
import { table } from '../table.js';

const BACKUP_PAUSE = 'a backup is being taken';

export const backupCommands: Record<string, Command> = {
  'store backup': {
    usage: 'store backup FILE [--wait SECONDS]',
    summary:
      'Copy the whole store to FILE (gzipped Extended JSON) while the service runs: runs are held off and the ones in progress finish first',
    options: { wait: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const v = z
        .object({
          file: z.string({ error: 'a file to write is required' }).min(1),
          wait: z.coerce.number().int().min(0).max(86_400).default(600),
        })
        .parse({ file: positionals[0], wait: values.wait });
      const { db } = await ctx.store();
      const before = await globalPause(db);
      // runs started from now on are skipped, so accounts, rosters and runs are copied at rest
      if (!before.paused) await setGlobalPause(db, true, BACKUP_PAUSE);
      try {
        const deadline = Date.now() + v.wait * 1000;
        for (let busy = await runsInProgress(db); busy.length; busy = await runsInProgress(db)) {
          if (Date.now() > deadline)
            throw new UsoError(
              'run_in_progress',
              `runs still in progress after ${v.wait} s (${busy.join(', ')}): try again later, or with a longer --wait`,
            );
          ctx.signal.throwIfAborted();
          await new Promise((r) => setTimeout(r, 1000));
        }
        const { version } = await migrationStatus(db);
        const counts = await backupStore(
          db,
          v.file,
          { schemaVersion: version, serviceVersion: SERVICE_VERSION },
          // the copy keeps the service as it was before the backup paused it
          (collection, doc) =>
            collection === 'globals' && doc._id === 'service'
              ? { _id: 'service', paused: before.paused, ...(before.reason ? { pausedReason: before.reason } : {}) }
              : doc,
        );
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        return {
          human: `Backed up ${total} documents of ${Object.keys(counts).length} collections (schema version ${version}) to ${v.file}.`,
          json: { file: v.file, schemaVersion: version, counts },
        };
      } finally {
        if (!before.paused) await setGlobalPause(db, false);
      }
    },
  },
  'store restore': {
    usage: 'store restore FILE [--replace]',
    summary:
      'Restore a backup into an empty store (--replace: over this one, dropping what it holds); stop the service first',
    options: { replace: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const v = z
        .object({ file: z.string({ error: 'a backup file is required' }).min(1), replace: z.boolean().optional() })
        .parse({ file: positionals[0], replace: values.replace });
      const header = await readBackupHeader(v.file);
      if (header.schemaVersion > SCHEMA_VERSION)
        throw new UsoError(
          'store_too_new',
          `the backup is of schema version ${header.schemaVersion}, newer than this build's ${SCHEMA_VERSION}: restore it with the build that took it or a later one`,
        );
      const store = await ctx.store();
      const counts = await restoreStore(store.db, v.file, { replace: v.replace });
      // a backup of an earlier version is brought to this one, as a start would
      await prepareStore(store.db, store.kind, createLogger({ level: 'silent', pretty: false }));
      await audit(store.db, { at: new Date(), actor: ctx.actor, action: 'store.restored' });
      const rows = Object.entries(counts).map(([name, n]) => [name, String(n)]);
      return {
        human: `Restored ${v.file} (taken ${header.takenAt}, version ${header.serviceVersion}, schema ${header.schemaVersion}):\n${table([['collection', 'documents'], ...rows])}`,
        json: { file: v.file, takenAt: header.takenAt, schemaVersion: header.schemaVersion, counts },
      };
    },
  },
};
