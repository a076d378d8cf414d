// Event ids seen from Integris webhooks and Slack retries, so a repeated delivery is answered without redoing the
// work. Ids expire; expired ones are cleared now and then as new ones arrive (FerretDB 1.x has no TTL indexes).
import type { Db } from 'mongodb';

/** Remembers an event id; false when it was seen before. */
export async function firstSighting(db: Db, id: string, keepMs: number, now = Date.now()): Promise<boolean> {
  const coll = db.collection<{ _id: string; expiresAt: Date }>('webhookEvents');
  try {
    await coll.insertOne({ _id: id, expiresAt: new Date(now + keepMs) });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
  if (Math.random() < 0.02) await coll.deleteMany({ expiresAt: { $lt: new Date(now) } });
  return true;
}

/** Forgets an event id whose work failed, so the sender's retry is taken as new. */
export async function forgetSighting(db: Db, id: string): Promise<void> {
  await db.collection<{ _id: string }>('webhookEvents').deleteOne({ _id: id });
}
