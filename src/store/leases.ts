// Per-school leases: two runs for one school never overlap, whichever process or worker starts them. A lease
// expires, so a crashed holder does not block the school for ever; long runs renew it.
import type { Db } from 'mongodb';

interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

export async function acquireLease(db: Db, key: string, owner: string, ttlMs: number, now = new Date()): Promise<boolean> {
  const coll = db.collection<LeaseDoc>('leases');
  try {
    const res = await coll.findOneAndUpdate(
      { _id: key, $or: [{ expiresAt: { $lt: now } }, { owner }] },
      { $set: { owner, expiresAt: new Date(now.getTime() + ttlMs) } },
      { upsert: true, returnDocument: 'after' },
    );
    return res?.owner === owner;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false; // held by someone else: the upsert collided
    throw err;
  }
}

export async function renewLease(db: Db, key: string, owner: string, ttlMs: number): Promise<boolean> {
  const res = await db.collection<LeaseDoc>('leases').updateOne({ _id: key, owner }, { $set: { expiresAt: new Date(Date.now() + ttlMs) } });
  return res.matchedCount === 1;
}

export async function releaseLease(db: Db, key: string, owner: string): Promise<void> {
  await db.collection<LeaseDoc>('leases').deleteOne({ _id: key, owner });
}

/**
 * A once-only claim (a unique insert), for work that must happen once even where the store's findAndModify is not
 * atomic across connections. A claim older than `staleMs` whose work is not `done` is a dead worker's, taken over.
 */
export async function claimOnce(db: Db, key: string, staleMs: number, done: () => Promise<boolean>, now = new Date()): Promise<boolean> {
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
