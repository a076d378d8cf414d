// New accounts into the store: a run's new starters under usernames no other account holds (found in rounds,
// looked up by `_id`), an import's lines with what was refused, and the accounts a run made, for its summary.
import type { Db, MongoBulkWriteError } from 'mongodb';
import { writeErrorsOf } from './write-errors.js';
import { findByIds } from './by-id.js';
import { moveEpochs } from './rosters.js';
import { fileAccounts, indexChanges, takeOutGone } from './lookalikes.js';
import { scansEveryQuery } from './kind.js';
import type { Account } from '../domain/model.js';
import { candidateNumber, candidatePrefix, usernameCandidate } from '../domain/usernames.js';
import {
  INSERT_BATCH,
  type ChangeStamp,
  type AccountDoc,
  accountsByUsername,
  coll,
  escape,
  toDoc,
  schoolsOf,
  docSchools,
  type WriteOptions,
  moveUnlessCaller,
} from './accounts.js';

export interface NewAccountsResult {
  /** Key -> the username the account was created under. */
  assigned: Map<string, string>;
  /** Key -> why no account could be made (the rest are unaffected). */
  failed: Map<string, string>;
}

/** Rounds of tries before one person's create is given up as failed; each round skips every name known taken. */
export const MAX_ROUNDS = 25;

/**
 * Usernames already taken among the candidates of the given bases (one query for all of them). On the embedded
 * store a prefix query decodes every account there is, so there the candidates are looked up by `_id` instead, in
 * groups, until each base has as many free names as it has people waiting.
 */
export async function takenCandidates(db: Db, bases: readonly string[]): Promise<Set<string>> {
  if (bases.length === 0) return new Set();
  if (scansEveryQuery(db)) return takenByLookup(db, bases);
  const prefixes = [...new Set(bases.map(candidatePrefix))];
  const docs = await coll(db)
    .find({ $or: prefixes.map((p) => ({ _id: { $regex: `^${escape(p)}` } })) })
    .project<{ _id: string }>({ _id: 1 })
    .toArray();
  return new Set(docs.map((d) => d._id).filter((id) => bases.some((b) => candidateNumber(b, id) !== undefined)));
}

/** Names of a base looked up at once: most bases have none or one taken. */
export const LOOKUP_GROUP = 4;

export async function takenByLookup(db: Db, bases: readonly string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  const waiting = new Map<string, number>();
  for (const b of bases) waiting.set(b, (waiting.get(b) ?? 0) + 1);
  // every base still short of free names has its next group looked up, all bases together: first the base alone
  // (most are free), then LOOKUP_GROUP names at a time
  const free = new Map<string, number>();
  for (let n = 1, group = 1; waiting.size > 0; n += group, group = LOOKUP_GROUP) {
    const names = [...waiting.keys()].flatMap((base) =>
      Array.from({ length: group }, (_, i) => usernameCandidate(base, n + i)),
    );
    const found = new Set((await findByIds(coll(db), names, { _id: 1 })).map((d) => d._id));
    for (const [base, count] of waiting) {
      for (let i = 0; i < group; i++) {
        const name = usernameCandidate(base, n + i);
        if (found.has(name)) taken.add(name);
        else free.set(base, (free.get(base) ?? 0) + 1);
      }
      if ((free.get(base) ?? 0) >= count) waiting.delete(base);
    }
  }
  return taken;
}

/**
 * Inserts new accounts under the first free username from each one's base (base, base2, base3, ...), in the order
 * given, so the same store state gives the same usernames. The unique `_id` decides; after a collision the names
 * already taken for that base are read once and skipped, so a hundredth namesake costs one extra round, not a
 * hundred. A person whose account cannot be written is reported in `failed` and never stops the others.
 */
export async function insertNewAccounts(
  db: Db,
  items: readonly { key: string; base: string; account: Omit<Account, 'username'> }[],
  options: Omit<WriteOptions, 'afterBatch'> & {
    afterBatch?: (written: { key: string; username: string }[]) => Promise<void>;
    /** False when the caller has listed the school as pending, to be filed after the run (`markPending`). */
    file?: boolean;
  },
): Promise<NewAccountsResult> {
  const assigned = new Map<string, string>();
  const failed = new Map<string, string>();
  const next = new Map(items.map((p) => [p.key, 1]));
  // on the embedded store the names already taken are looked up first (by `_id`): a batch with a duplicate in it is
  // inserted again there one document at a time; MongoDB answers the duplicates and inserts the rest
  const taken = scansEveryQuery(db)
    ? await takenCandidates(
        db,
        items.map((p) => p.base),
      )
    : new Set<string>();
  let pending = [...items];
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    const used = new Set<string>();
    const chosen: { item: (typeof items)[number]; username: string }[] = [];
    for (const p of pending) {
      let n = next.get(p.key)!;
      while (taken.has(usernameCandidate(p.base, n)) || used.has(usernameCandidate(p.base, n))) n++;
      const username = usernameCandidate(p.base, n);
      next.set(p.key, n);
      used.add(username);
      chosen.push({ item: p, username });
    }
    const retry: typeof pending = [];
    for (let i = 0; i < chosen.length; i += INSERT_BATCH) {
      options.signal?.throwIfAborted();
      const batch = chosen.slice(i, i + INSERT_BATCH);
      const errors = new Map<number, { code?: number; errmsg?: string }>();
      const schools = batch.flatMap((c) => schoolsOf(c.item.account));
      await moveUnlessCaller(db, schools, options);
      const accounts = batch.map((c) => ({ ...c.item.account, username: c.username }));
      if (options.file !== false) await fileAccounts(db, accounts);
      try {
        await coll(db).insertMany(
          accounts.map((a) => ({ ...toDoc(a), lastChange: options.stamp })),
          { ordered: false },
        );
      } catch (err) {
        // only per-document write errors are answered here; a failed command (a timeout, a lost connection) is not
        const list = writeErrorsOf(err);
        if (list.length === 0) throw err;
        for (const e of list) errors.set(e.index, { code: e.code, errmsg: e.errmsg });
      }
      await moveUnlessCaller(db, schools, options);
      if (options.file !== false)
        await refileUnwritten(
          db,
          accounts.filter((_, index) => errors.has(index)),
        );
      const written: { key: string; username: string }[] = [];
      batch.forEach((c, index) => {
        const error = errors.get(index);
        if (!error) {
          assigned.set(c.item.key, c.username);
          written.push({ key: c.item.key, username: c.username });
        } else if (error.code === 11000) {
          taken.add(c.username);
          retry.push(c.item);
        } else failed.set(c.item.key, `the account could not be stored: ${error.errmsg ?? `error ${error.code}`}`);
      });
      if (written.length) await options.afterBatch?.(written);
    }
    if (retry.length)
      for (const u of await takenCandidates(
        db,
        retry.map((p) => p.base),
      ))
        taken.add(u);
    pending = retry;
  }
  for (const p of pending)
    failed.set(p.key, `no free username from ${p.base} after ${MAX_ROUNDS} tries (others took each one first)`);
  return { assigned, failed };
}

/**
 * Takes the entries filed for accounts that were not written out of the look-alike index, and files the accounts that
 * hold those usernames as they are (one that took a username first may have been filed under it just the same).
 */
async function refileUnwritten(db: Db, unwritten: readonly Account[]): Promise<void> {
  if (unwritten.length === 0) return;
  await takeOutGone(db, indexChanges(unwritten.map((before) => ({ before }))), (usernames) =>
    accountsByUsername(db, usernames),
  );
}

/** Accounts whose latest change was made by the run: what a crashed run wrote. */
export async function accountsChangedByRun(
  db: Db,
  runId: string,
): Promise<{ username: string; created: boolean; at: Date; schools: string[] }[]> {
  const docs = await coll(db)
    .find({ 'lastChange.runId': runId })
    .project<Pick<AccountDoc, '_id' | 'version' | 'assoc'> & { lastChange: ChangeStamp }>({
      _id: 1,
      version: 1,
      lastChange: 1,
      assoc: 1,
    })
    .toArray();
  // a new account is inserted at version 0; every update bumps it
  return docs.map((d) => ({
    username: d._id,
    created: d.version === 0,
    at: d.lastChange.at,
    schools: docSchools(d),
  }));
}

/**
 * Inserts accounts batch by batch, carrying on past a batch with errors, and says exactly what was stored: the
 * count inserted and, for each account that was not, its index and why.
 */
export async function insertAccountsReporting(
  db: Db,
  accounts: readonly Account[],
): Promise<{ inserted: number; failed: { index: number; reason: string }[] }> {
  let inserted = 0;
  const failed: { index: number; reason: string }[] = [];
  for (let i = 0; i < accounts.length; i += 1000) {
    const batch = accounts.slice(i, i + 1000);
    const schools = batch.flatMap(schoolsOf);
    await moveEpochs(db, schools);
    await fileAccounts(db, batch);
    const failedBefore = failed.length;
    try {
      inserted += (await coll(db).insertMany(batch.map(toDoc), { ordered: false })).insertedCount;
    } catch (err) {
      const list = writeErrorsOf(err);
      if (list.length === 0) {
        // the whole command failed: read back which of the batch did land, so the count stays exact
        const landed = new Set(
          (
            await coll(db)
              .find({ _id: { $in: batch.map((a) => a.username) } })
              .project<{ _id: string }>({ _id: 1 })
              .toArray()
          ).map((d) => d._id),
        );
        batch.forEach((a, j) =>
          landed.has(a.username)
            ? inserted++
            : failed.push({ index: i + j, reason: `not stored: ${(err as Error).message}` }),
        );
        continue;
      }
      inserted += (err as MongoBulkWriteError).insertedCount;
      for (const e of list)
        failed.push({
          index: i + e.index,
          reason: e.code === 11000 ? 'username already exists' : `write failed (${e.errmsg ?? e.code})`,
        });
    } finally {
      await moveEpochs(db, schools);
      await refileUnwritten(
        db,
        failed.slice(failedBefore).map((f) => accounts[f.index]!),
      );
    }
  }
  return { inserted, failed };
}

export async function insertAccounts(db: Db, accounts: readonly Account[]): Promise<void> {
  for (let i = 0; i < accounts.length; i += 1000) {
    const batch = accounts.slice(i, i + 1000);
    await moveEpochs(db, batch.flatMap(schoolsOf));
    await fileAccounts(db, batch);
    try {
      await coll(db).insertMany(batch.map(toDoc), { ordered: false });
    } finally {
      await moveEpochs(db, batch.flatMap(schoolsOf));
    }
  }
}
