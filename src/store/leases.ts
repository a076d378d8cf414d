// Per-school leases: two runs for one school never overlap, whichever process or worker starts them. A lease
// expires, so a crashed holder does not block the school for ever; long runs renew it. A lease also names its
// holder's host and process, so a holder on this host that died (kill -9) frees the school at once, not at expiry.
import { hostname } from 'node:os';
import type { Db } from 'mongodb';

export interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
  host?: string;
  pid?: number;
}

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

export async function acquireLease(
  db: Db,
  key: string,
  owner: string,
  ttlMs: number,
  now = new Date(),
): Promise<boolean> {
  const coll = db.collection<LeaseDoc>('leases');
  const mine = { owner, expiresAt: new Date(now.getTime() + ttlMs), host: hostname(), pid: process.pid };
  try {
    const res = await coll.findOneAndUpdate(
      { _id: key, $or: [{ expiresAt: { $lt: now } }, { owner }] },
      { $set: mine },
      { upsert: true, returnDocument: 'after' },
    );
    if (res?.owner === owner) return true;
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err; // 11000: held by someone else, the upsert collided
  }
  const held = await getLease(db, key);
  if (!held || !leaseIsDead(held, now)) return false;
  // the holder died: take the lease over from exactly that holder (a second taker finds the owner changed)
  const res = await coll.updateOne({ _id: key, owner: held.owner }, { $set: mine });
  return res.modifiedCount === 1;
}

export async function renewLease(db: Db, key: string, owner: string, ttlMs: number): Promise<boolean> {
  const res = await db
    .collection<LeaseDoc>('leases')
    .updateOne({ _id: key, owner }, { $set: { expiresAt: new Date(Date.now() + ttlMs) } });
  return res.matchedCount === 1;
}

export async function releaseLease(db: Db, key: string, owner: string): Promise<void> {
  await db.collection<LeaseDoc>('leases').deleteOne({ _id: key, owner });
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
