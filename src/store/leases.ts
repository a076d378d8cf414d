// Per-school leases: two runs for one school never overlap, whichever process or worker starts them. A lease
// expires, so a crashed holder does not block the school for ever; long runs renew it. A lease also names its
// holder's host and process, so a holder on this host that died (kill -9) frees the school at once, not at expiry.
//
// A lease also says whether the holder before left anything to recover. A holder that finishes cleanly deletes it;
// one that dies leaves it as it was; one whose run stopped and was settled leaves it let go, with a time until
// which writes it had sent may still land. Whoever takes the lease next learns which, so a school's run looks for
// runs to recover only when there may be one, instead of reading the school's run history every time.
import { hostname } from 'node:os';
import type { Db } from 'mongodb';

export interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
  host?: string;
  pid?: number;
  /** The last holder let go (a lease held by no one is left only when there is something to look for). */
  released?: boolean;
  /** Until then, whoever holds the lease looks for late writes of a run that stopped. */
  recoverUntil?: Date;
}

/** A lease held, and what the holder before it left to recover. */
export interface Lease {
  key: string;
  owner: string;
  /** The holder before did not finish cleanly (it died, or its run stopped lately): look for runs to recover. */
  recover: boolean;
}

/** How a holder lets go: it finished cleanly, its run stopped and was settled, or the next holder must look. */
export type LetGo = 'clean' | { stopped: { recheckMs: number } } | 'recover';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lease's holder can no longer be renewing it: it expired, or its process on this host is gone. */
export function leaseIsDead(lease: LeaseDoc, now = new Date()): boolean {
  if (lease.expiresAt < now) return true;
  return lease.host === hostname() && lease.pid !== undefined && lease.pid !== process.pid && !processAlive(lease.pid);
}

export async function getLease(db: Db, key: string): Promise<LeaseDoc | undefined> {
  return (await db.collection<LeaseDoc>('leases').findOne({ _id: key })) ?? undefined;
}

/** Takes the lease if it is free (or its holder is dead); undefined if someone else holds it. */
export async function takeLease(
  db: Db,
  key: string,
  owner: string,
  ttlMs: number,
  now = new Date(),
): Promise<Lease | undefined> {
  const coll = db.collection<LeaseDoc>('leases');
  const mine = { owner, expiresAt: new Date(now.getTime() + ttlMs), host: hostname(), pid: process.pid };
  const taken = (before: LeaseDoc | null): Lease => ({
    key,
    owner,
    recover: before !== null && (!before.released || (before.recoverUntil ?? new Date(0)) > now),
  });
  try {
    // no lease, or one expired: an upsert on an `_id` held by someone else fails as a duplicate
    const before = await coll.findOneAndUpdate(
      { _id: key, $or: [{ expiresAt: { $lt: now } }, { owner }] },
      { $set: mine, $unset: { released: '' } },
      { upsert: true, returnDocument: 'before' },
    );
    return taken(before);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err; // 11000: held by someone else, the upsert collided
  }
  const held = await getLease(db, key);
  if (!held || !leaseIsDead(held, now)) return undefined;
  // the holder died: take the lease over from exactly that holder (a second taker finds the owner changed)
  const res = await coll.updateOne({ _id: key, owner: held.owner }, { $set: mine, $unset: { released: '' } });
  return res.modifiedCount === 1 ? taken(held) : undefined;
}

/** Lets the lease go, saying what the next holder should look for. */
export async function letGo(db: Db, lease: Lease, how: LetGo, now = new Date()): Promise<void> {
  const coll = db.collection<LeaseDoc>('leases');
  const mine = { _id: lease.key, owner: lease.owner };
  if (how === 'recover') {
    await coll.updateOne(mine, { $set: { expiresAt: new Date(0) } });
  } else if (how !== 'clean') {
    await coll.updateOne(mine, {
      $set: { expiresAt: new Date(0), released: true, recoverUntil: new Date(now.getTime() + how.stopped.recheckMs) },
    });
  } else {
    const gone = await coll.deleteOne({
      ...mine,
      $or: [{ recoverUntil: { $exists: false } }, { recoverUntil: { $lte: now } }],
    });
    // a stopped run's late writes may still land: the time to look for them is kept
    if (gone.deletedCount === 0) await coll.updateOne(mine, { $set: { expiresAt: new Date(0), released: true } });
  }
}

export async function renewLease(db: Db, key: string, owner: string, ttlMs: number): Promise<boolean> {
  const res = await db
    .collection<LeaseDoc>('leases')
    .updateOne({ _id: key, owner }, { $set: { expiresAt: new Date(Date.now() + ttlMs) } });
  return res.matchedCount === 1;
}

/**
 * A once-only claim (a unique insert), for work that must happen once even where the store's findAndModify is not
 * atomic across connections. A claim older than `staleMs` whose work is not `done` is a dead worker's, taken over.
 */
export async function claimOnce(
  db: Db,
  key: string,
  staleMs: number,
  done: () => Promise<boolean>,
  now = new Date(),
): Promise<boolean> {
  const claims = db.collection<{ _id: string; at: Date }>('leases');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await claims.insertOne({ _id: key, at: now });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const claim = await claims.findOne({ _id: key });
    if (!claim || (await done()) || now.getTime() - claim.at.getTime() < staleMs) return false;
    await claims.deleteOne({ _id: key, at: claim.at });
  }
  return false;
}

export async function releaseClaim(db: Db, key: string): Promise<void> {
  await db.collection<{ _id: string }>('leases').deleteOne({ _id: key });
}

/**
 * Takes a lease by a unique insert (one winner however many take it at once, on either store), or from a holder that
 * died (its lease expired, or its process on this host is gone); false while a live holder has it.
 */
export async function takeExclusive(
  db: Db,
  key: string,
  owner: string,
  ttlMs: number,
  now = new Date(),
): Promise<boolean> {
  const coll = db.collection<LeaseDoc>('leases');
  const mine = { _id: key, owner, expiresAt: new Date(now.getTime() + ttlMs), host: hostname(), pid: process.pid };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await coll.insertOne(mine);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const held = await getLease(db, key);
    if (held && !leaseIsDead(held, now)) return false;
    // the holder died: its lease goes (exactly that holder's: a second taker deletes nothing), then one insert wins
    if (held) await coll.deleteOne({ _id: key, owner: held.owner });
  }
  return false;
}

export async function releaseExclusive(db: Db, key: string, owner: string): Promise<void> {
  await db.collection<LeaseDoc>('leases').deleteOne({ _id: key, owner });
}

/** The schools whose run is in progress now: a run lease (`run:DFE`) held, and its holder alive. */
export async function runsInProgress(db: Db): Promise<string[]> {
  const leases = await db.collection<LeaseDoc>('leases').find({}).toArray();
  return leases.filter((l) => l._id.startsWith('run:') && !l.released && !leaseIsDead(l)).map((l) => l._id.slice(4));
}
