// The LA's identity, checked over the whole store: what `uso doctor` lists, the nightly digest reports and the
// LA-night checker asserts. It reads every account once (streamed) and the audit once.
import type { Db } from 'mongodb';
import { allAccounts } from '../store/accounts.js';
import { auditedChangeKey, auditedChanges } from '../store/audit.js';
import { IdentityCheck, type IdentityViolation } from '../domain/invariants.js';

export interface StoreCheck {
  accounts: number;
  violations: IdentityViolation[];
  /** Accounts whose last change has no audit entry naming it (who, which run). */
  unaudited: string[];
}

export async function checkStore(db: Db): Promise<StoreCheck> {
  const audited = await auditedChanges(db);
  const check = new IdentityCheck();
  const unaudited: string[] = [];
  for await (const { account, lastChange } of allAccounts(db)) {
    check.add(account);
    if (lastChange && !audited.has(auditedChangeKey(account.username, lastChange.actor, lastChange.runId)))
      unaudited.push(account.username);
  }
  return { accounts: check.accounts, violations: check.violations(), unaudited };
}
