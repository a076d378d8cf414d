// Each school's decision about each subscriber: approved, declined or revoked, with the receipt of every decision
// (who, when, through what, and exactly which reports and fields for which purpose). No document is a request not
// yet decided: nothing of the school goes to that subscriber.
import type { Db } from 'mongodb';
import type { ReportName } from '../domain/records.js';

export type SharingState = 'approved' | 'declined' | 'revoked';

export interface SharingReceipt {
  state: SharingState;
  /** Who decided (a chat user key, `cli:...`, or `la:pre-approved` for the LA's pre-approval). */
  by: string;
  byName: string;
  at: Date;
  /** chat, cli (the operator acting on the school's written request), or pre-approval by the LA. */
  via: 'chat' | 'cli' | 'pre-approval';
  /** What was approved (or refused): the subscriber's request as it stood. */
  subscriberName: string;
  purpose: string;
  reports: ReportName[];
  fields: string[];
  /** The school's written request the operator acted on (CLI). */
  note?: string;
}

export interface SharingDoc extends SharingReceipt {
  _id: string;
  dfeNumber: string;
  subscriberId: string;
  /** Every decision, oldest first (the latest is the document itself). */
  receipts: SharingReceipt[];
}

const coll = (db: Db) => db.collection<SharingDoc>('sharing');
const sharingId = (dfeNumber: string, subscriberId: string) => `${dfeNumber}|${subscriberId}`;

export async function getSharing(db: Db, dfeNumber: string, subscriberId: string): Promise<SharingDoc | undefined> {
  return (await coll(db).findOne({ _id: sharingId(dfeNumber, subscriberId) })) ?? undefined;
}

/** Records a decision, keeping every earlier receipt. */
export async function recordSharing(
  db: Db,
  dfeNumber: string,
  subscriberId: string,
  receipt: SharingReceipt,
): Promise<void> {
  const before = await getSharing(db, dfeNumber, subscriberId);
  await coll(db).replaceOne(
    { _id: sharingId(dfeNumber, subscriberId) },
    { dfeNumber, subscriberId, ...receipt, receipts: [...(before?.receipts ?? []), receipt] },
    { upsert: true },
  );
}

/**
 * Every approval in force, as `DFE|SUBSCRIBER` keys: read once per fan-out pass (one document per school and
 * subscriber decided, a few thousand in a large LA).
 */
export async function approvals(db: Db): Promise<Set<string>> {
  const docs = await coll(db).find({ state: 'approved' }).project<{ _id: string }>({ _id: 1 }).toArray();
  return new Set(docs.map((d) => d._id));
}

export const approvalKey = sharingId;

export async function isApproved(db: Db, dfeNumber: string, subscriberId: string): Promise<boolean> {
  return (await getSharing(db, dfeNumber, subscriberId))?.state === 'approved';
}

export async function sharingOfSchool(db: Db, dfeNumber: string): Promise<SharingDoc[]> {
  return coll(db).find({ dfeNumber }).toArray();
}
