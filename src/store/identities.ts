// The LA's identity claims: one document per identity key (domain/identity.ts), `_id` the key, naming the account
// that holds it. A run creating an account claims its keys after inserting it; the store's unique `_id` lets one
// claimer win, on MongoDB and on the embedded store alike, however many runs, workers or processes go at once.
// Keys are claimed in rounds, each claimer's keys in the one global order, and a claimer stops at its first loss:
// so two claimers never each hold a key the other needs. A claim is kept only while its account still carries the
// key: a claim whose account has gone, or changed its UPN or names since, is taken over (from exactly that holder).
import type { Db } from 'mongodb';
import { insertUnlessPresent } from './write-errors.js';

export interface IdentityDoc {
  _id: string;
  username: string;
  at: Date;
}

const coll = (db: Db) => db.collection<IdentityDoc>('identities');

/** Claims per insert command (an insert is one statement on the embedded store, whatever it carries). */
const CLAIM_BATCH = 1000;

export interface Claimant {
  /** The caller's name for the claimant (a MIS person id). */
  ref: string;
  username: string;
  /** Identity keys, in `identityKeys` order. */
  keys: readonly string[];
}

export interface LostClaim {
  key: string;
  /** The account that holds the key. */
  holder: string;
  /** The keys this claimant won before it lost (to be let go or handed on by the caller). */
  won: string[];
}

/**
 * Claims each claimant's keys for its account. Returns the claimants that lost a key to another account that still
 * carries it (`stillCarries` says), with what they had won; the others hold all their keys.
 */
export async function claimIdentities(
  db: Db,
  claimants: readonly Claimant[],
  stillCarries: (username: string, key: string) => Promise<boolean>,
): Promise<Map<string, LostClaim>> {
  const lost = new Map<string, LostClaim>();
  const won = new Map<string, string[]>();
  const rounds = Math.max(0, ...claimants.map((c) => c.keys.length));
  for (let round = 0; round < rounds; round++) {
    const batch = claimants.filter((c) => c.keys[round] !== undefined && !lost.has(c.ref));
    for (let i = 0; i < batch.length; i += CLAIM_BATCH) {
      const part = batch.slice(i, i + CLAIM_BATCH);
      const at = new Date();
      const inserted = new Set(
        await insertUnlessPresent(
          coll(db),
          part.map((c) => ({ _id: c.keys[round]!, username: c.username, at })),
        ),
      );
      for (const [index, c] of part.entries()) {
        const key = c.keys[round]!;
        const holder = inserted.has(index) ? c.username : await settleTaken(db, key, c.username, stillCarries);
        if (holder === c.username) won.set(c.ref, [...(won.get(c.ref) ?? []), key]);
        else lost.set(c.ref, { key, holder, won: won.get(c.ref) ?? [] });
      }
    }
  }
  return lost;
}

/** Who holds a key found taken: the claimant itself (a repeat, or a stale claim it took over), or another account. */
async function settleTaken(
  db: Db,
  key: string,
  username: string,
  stillCarries: (username: string, key: string) => Promise<boolean>,
): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const claim = await coll(db).findOne({ _id: key });
    if (!claim) {
      // let go meanwhile: claim it afresh
      const res = await coll(db).updateOne(
        { _id: key },
        { $setOnInsert: { username, at: new Date() } },
        { upsert: true },
      );
      if (res.upsertedCount === 1) return username;
      continue;
    }
    if (claim.username === username || (await stillCarries(claim.username, key))) return claim.username;
    const taken = await coll(db).updateOne(
      { _id: key, username: claim.username },
      { $set: { username, at: new Date() } },
    );
    if (taken.modifiedCount === 1) return username;
  }
  return (await coll(db).findOne({ _id: key }))?.username ?? username;
}

/**
 * Records that an account holds these keys where nobody else does (a link made by a run or a person): a key held
 * already is left as it is, whoever holds it (`uso doctor` finds two accounts carrying one identity).
 */
export async function noteIdentities(db: Db, username: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const at = new Date();
  await insertUnlessPresent(
    coll(db),
    keys.map((_id) => ({ _id, username, at })),
  );
}

/** Lets go of keys an account holds (it was deleted, erased or merged away); keys held by others are untouched. */
export async function releaseIdentities(db: Db, username: string, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((_id) => coll(db).deleteOne({ _id, username })));
}

/** Hands keys an account holds on to another (the person is linked to that account instead). */
export async function handOnIdentities(db: Db, from: string, to: string, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((_id) => coll(db).updateOne({ _id, username: from }, { $set: { username: to } })));
}
