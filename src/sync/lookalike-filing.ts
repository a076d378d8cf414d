// Files the accounts that runs making many at once (a school's first sync) left for after them (store/lookalikes.ts,
// "pending"): each pending school whose run is over has its accounts, as its roster holds them, filed in the
// look-alike index, and is taken off the list unless a later run has listed it again. Until then a search reads its
// roster whole, so nothing is missed meanwhile; once filed, a school costs a search only its newcomers' keys. The
// service does it in its sweep every few minutes, `uso doctor --fix` on demand.
import type { Db } from 'mongodb';
import { accountsForSchool } from '../store/accounts.js';
import { allPending, clearPending, fileAccounts } from '../store/lookalikes.js';
import { getRun } from '../store/runs.js';
import { RECHECK_MS } from './recovery.js';

/** Accounts filed per round. */
const FILE_BATCH = 500;

export interface Filed {
  schools: number;
  accounts: number;
  /** Pending schools left for later: their run is going, or stopped so lately that a last write may still land. */
  waiting: number;
}

export async function filePending(db: Db, now = new Date()): Promise<Filed> {
  const filed: Filed = { schools: 0, accounts: 0, waiting: 0 };
  for (const p of await allPending(db)) {
    const run = await getRun(db, p.runId);
    const stoppedLately =
      run?.status === 'failed' && (!run.finishedAt || now.getTime() - run.finishedAt.getTime() < RECHECK_MS);
    if (run?.status === 'running' || stoppedLately) {
      filed.waiting++;
      continue;
    }
    const accounts = await accountsForSchool(db, p.dfeNumber);
    for (let i = 0; i < accounts.length; i += FILE_BATCH) await fileAccounts(db, accounts.slice(i, i + FILE_BATCH));
    if (await clearPending(db, p.laCode, p.dfeNumber, p.runId)) {
      filed.schools++;
      filed.accounts += accounts.length;
    } else filed.waiting++;
  }
  return filed;
}
