// People held for matching: the MIS person, the candidate accounts with scores and reasons, and how it ended.
import type { Db } from 'mongodb';
import type { Candidate } from '../domain/blocking.js';
import type { Account, PersonFields } from '../domain/model.js';
import type { HeldMatch } from '../domain/outcomes.js';
import { bulkWriteInBatches } from './bulk.js';
import { schoolDocsById } from './by-id.js';

export interface MatchDoc {
  _id: string;
  dfeNumber: string;
  misPersonId: string;
  /** The MIS report the person came from (stored under this name; the view model calls it a role). */
  kind: 'students' | 'staff';
  person: PersonFields;
  startDate: string;
  candidates: Candidate[];
  status: 'open' | 'matched' | 'created' | 'excluded' | 'gone';
  heldAt: Date;
  runId: string;
  resolvedBy?: string;
  resolvedAt?: Date;
  username?: string;
  /** For undo: the account as it was before the decision, and its version right after it. */
  undo?: { before?: Account; afterVersion: number };
  /** An admin undid a match of this person: the plan holds them for a person to decide, never links them itself. */
  keepHeld?: boolean;
}

const coll = (db: Db) => db.collection<MatchDoc>('matches');
const idOf = (dfe: string, personId: string) => `${dfe}:${personId}`;

/** The school's matches, decided ones included (their ids start with its DfE number). */
const schoolMatches = (db: Db, dfeNumber: string) => schoolDocsById(coll(db), dfeNumber);
const isOpen = (d: MatchDoc) => d.status === 'open';

/** Records this run's held people (refreshing candidates of ones still open) and closes open ones no longer held. */
export async function saveHeldMatches(
  db: Db,
  dfeNumber: string,
  runId: string,
  held: readonly HeldMatch[],
  stillPresent: ReadonlySet<string>,
  /** The school's open matches, when the run has read them already (`matchesForRun`). */
  openRead?: readonly MatchDoc[],
): Promise<void> {
  const open = openRead ?? (await schoolMatches(db, dfeNumber)).filter(isOpen);
  const heldIds = new Set(held.map((h) => h.personId));
  for (const h of held) {
    const prior = open.find((o) => o.misPersonId === h.personId);
    if (prior && JSON.stringify(prior.candidates) === JSON.stringify(h.candidates)) continue;
    await coll(db).replaceOne(
      { _id: idOf(dfeNumber, h.personId) },
      {
        dfeNumber,
        misPersonId: h.personId,
        kind: h.report,
        person: h.person,
        startDate: h.startDate,
        candidates: h.candidates,
        status: 'open',
        heldAt: prior?.heldAt ?? new Date(),
        runId,
        ...(prior?.keepHeld ? { keepHeld: true } : {}),
      },
      { upsert: true },
    );
  }
  for (const o of open) {
    if (!heldIds.has(o.misPersonId) && !stillPresent.has(o.misPersonId)) {
      await coll(db).updateOne(
        { _id: o._id, status: 'open' },
        { $set: { status: 'gone', resolvedAt: new Date(), resolvedBy: 'sync' } },
      );
    }
  }
}

export async function openMatches(db: Db, dfeNumber: string): Promise<MatchDoc[]> {
  return (await schoolMatches(db, dfeNumber))
    .filter(isOpen)
    .sort((a, b) => a.heldAt.getTime() - b.heldAt.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}

export async function getMatch(db: Db, dfeNumber: string, personId: string): Promise<MatchDoc | undefined> {
  return (await coll(db).findOne({ _id: idOf(dfeNumber, personId) })) ?? undefined;
}

/** Closes an open match once; a second admin acting on the same person finds it already closed. */
export async function resolveMatch(
  db: Db,
  dfeNumber: string,
  personId: string,
  status: MatchDoc['status'],
  by: string,
  username?: string,
): Promise<boolean> {
  const res = await coll(db).updateOne(
    { _id: idOf(dfeNumber, personId), status: 'open' },
    { $set: { status, resolvedBy: by, resolvedAt: new Date(), ...(username ? { username } : {}) } },
  );
  return res.modifiedCount === 1;
}

/** Records the account made for a person an admin chose to create. */
export async function setMatchUsername(db: Db, dfeNumber: string, personId: string, username: string): Promise<void> {
  await coll(db).updateOne({ _id: idOf(dfeNumber, personId), status: 'created' }, { $set: { username } });
}

/**
 * What a run reads of a school's matches, in one range of `_id`s: those still open (to refresh or close), and the people an
 * admin chose to create whose account was not made (the action stopped half way), whom the next plan creates.
 */
export async function matchesForRun(
  db: Db,
  dfeNumber: string,
): Promise<{ open: MatchDoc[]; createAnyway: Set<string>; keepHeld: Set<string> }> {
  const docs = (await schoolMatches(db, dfeNumber)).filter(
    (d) => d.status === 'open' || (d.status === 'created' && d.username === undefined),
  );
  return {
    open: docs.filter((d) => d.status === 'open'),
    createAnyway: new Set(docs.filter((d) => d.status === 'created').map((d) => d.misPersonId)),
    keepHeld: new Set(docs.filter((d) => d.status === 'open' && d.keepHeld).map((d) => d.misPersonId)),
  };
}

/** Keeps what undoing a decision needs: the account before it and its version after it. */
export async function setMatchUndo(
  db: Db,
  dfeNumber: string,
  personId: string,
  undo: NonNullable<MatchDoc['undo']>,
): Promise<void> {
  await coll(db).updateOne({ _id: idOf(dfeNumber, personId) }, { $set: { undo } });
}

/** Opens a decided match again (an undo); false when it is no longer in the state the undo was for. */
export async function reopenMatch(
  db: Db,
  dfeNumber: string,
  personId: string,
  from: MatchDoc['status'],
): Promise<boolean> {
  const res = await coll(db).updateOne(
    { _id: idOf(dfeNumber, personId), status: from },
    // held until a person decides: the plan never links them itself again (it may have, if the match was automatic)
    { $set: { status: 'open', keepHeld: true }, $unset: { resolvedBy: '', resolvedAt: '', username: '', undo: '' } },
  );
  return res.modifiedCount === 1;
}

/**
 * Keeps the newcomers a run linked by itself as decided matches (by `sync`), with what undoing one needs: the account
 * before the run and its version after it. `uso unmatch` then undoes an automatic link as it does a person's.
 */
export async function recordAutoLinks(
  db: Db,
  dfeNumber: string,
  runId: string,
  links: readonly (HeldMatch & { username: string; before: Account })[],
  at: Date,
): Promise<void> {
  await bulkWriteInBatches(
    coll(db),
    links.map((l) => ({
      replaceOne: {
        filter: { _id: idOf(dfeNumber, l.personId) },
        replacement: {
          dfeNumber,
          misPersonId: l.personId,
          kind: l.report,
          person: l.person,
          startDate: l.startDate,
          candidates: l.candidates,
          status: 'matched' as const,
          heldAt: at,
          runId,
          resolvedBy: 'sync',
          resolvedAt: at,
          username: l.username,
          undo: { before: l.before, afterVersion: l.before.version + 1 },
        },
        upsert: true,
      },
    })),
  );
}
