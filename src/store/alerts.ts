// What is wrong at a school right now and has been said: one document per school and kind of problem, so a problem
// is said once when it starts (inserting it is claiming it), not at every retry, and once when it ends.
import type { Db } from 'mongodb';

/** run_failed, no_export, grant_revoked, report_unshared:<report>, school_paused, service_paused */
export type AlertKind = string;

export interface AlertDoc {
  _id: string;
  dfeNumber: string;
  kind: AlertKind;
  openedAt: Date;
  /** A short coded reason (an error code, a report name); never personal data. */
  code?: string;
}

const coll = (db: Db) => db.collection<AlertDoc>('alerts');
const idOf = (dfeNumber: string, kind: AlertKind) => `${dfeNumber}|${kind}`;

/** Opens the alert; the stored alert if this call opened it, undefined if it was already open. */
export async function openAlert(
  db: Db,
  dfeNumber: string,
  kind: AlertKind,
  code?: string,
): Promise<AlertDoc | undefined> {
  const doc: AlertDoc = {
    _id: idOf(dfeNumber, kind),
    dfeNumber,
    kind,
    openedAt: new Date(),
    ...(code ? { code } : {}),
  };
  try {
    await coll(db).insertOne(doc);
    return doc;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return undefined;
    throw err;
  }
}

/** Closes the alert; the alert if this call closed it, undefined if it was not open. */
export async function closeAlert(db: Db, dfeNumber: string, kind: AlertKind): Promise<AlertDoc | undefined> {
  const open = await coll(db).findOne({ _id: idOf(dfeNumber, kind) });
  if (!open) return undefined;
  const res = await coll(db).deleteOne({ _id: open._id, openedAt: open.openedAt });
  return res.deletedCount === 1 ? open : undefined;
}

/** The open alerts of a school, or of every school. */
export async function openAlerts(db: Db, dfeNumber?: string): Promise<AlertDoc[]> {
  return coll(db)
    .find(dfeNumber ? { dfeNumber } : {})
    .sort({ openedAt: 1 })
    .toArray();
}
