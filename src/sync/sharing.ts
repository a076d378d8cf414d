// Schools approve the services that get their data. A subscriber asks for reports and fields for a stated purpose;
// each school in its scope approves or declines it, and may revoke an approval at any time. Nothing of a school is
// queued for a subscriber, or answered to its API key, until that school approved it; a decline or revoke also
// withdraws what was queued and not yet sent. The LA may add a subscriber as pre-approved: it counts as approved at
// each school whose settings allow that, and those schools are told and can decline it. Every decision is audited
// and kept as a receipt: who, when, through what, and exactly what.
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { audit } from '../store/audit.js';
import { deletePendingAboutSchool } from '../store/deliveries.js';
import { getSchool, listSchools, updateSchool } from '../store/schools.js';
import {
  getSharing,
  recordSharing,
  sharingOfSchool,
  type SharingReceipt,
  type SharingState,
} from '../store/sharing.js';
import { fieldsOf, getSubscriber, listSubscribers, type SubscriberDoc } from '../store/subscribers.js';
import { inScope } from './outbound.js';

/** A subscriber as a school sees it: what it asks for and why, and the school's decision so far. */
export interface SharingRequest {
  subscriberId: string;
  name: string;
  purpose: string;
  reports: string[];
  fields: string[];
  events: string[];
  /** `requested`: the school has not decided (nothing of it goes to the subscriber). */
  state: 'requested' | SharingState;
  decided?: SharingReceipt;
  receipts: SharingReceipt[];
}

const NO_PURPOSE = '(no purpose given)';

/** The subscribers in the school's scope (not revoked by the operator), each with the school's decision. */
export async function sharingRequests(db: Db, dfeNumber: string): Promise<SharingRequest[]> {
  const decided = new Map((await sharingOfSchool(db, dfeNumber)).map((d) => [d.subscriberId, d]));
  return (await listSubscribers(db))
    .filter((s) => !s.revokedAt && inScope(s, dfeNumber))
    .map((s) => {
      const d = decided.get(s._id);
      return {
        subscriberId: s._id,
        name: s.name,
        purpose: s.purpose ?? NO_PURPOSE,
        reports: s.reports,
        fields: [...fieldsOf(s)],
        events: s.events,
        state: d?.state ?? 'requested',
        ...(d ? { decided: receiptOf(d) } : {}),
        receipts: d?.receipts ?? [],
      };
    });
}

const receiptOf = (d: SharingReceipt): SharingReceipt => ({
  state: d.state,
  by: d.by,
  byName: d.byName,
  at: d.at,
  via: d.via,
  subscriberName: d.subscriberName,
  purpose: d.purpose,
  reports: d.reports,
  fields: d.fields,
  ...(d.note ? { note: d.note } : {}),
});

export interface SharingDecision {
  dfeNumber: string;
  subscriberId: string;
  decision: SharingState;
  by: string;
  byName: string;
  via: SharingReceipt['via'];
  note?: string;
}

/**
 * Records a school's decision about a subscriber and returns its receipt. A subscriber outside the school's scope
 * (or revoked, or unknown) is `not_found`, whatever the reason. Deciding what is already decided changes nothing.
 */
export async function decideSharing(
  db: Db,
  input: SharingDecision,
): Promise<{ receipt: SharingReceipt; changed: boolean }> {
  const sub = await getSubscriber(db, input.subscriberId);
  if (!sub || sub.revokedAt || !inScope(sub, input.dfeNumber))
    throw new UsoError('not_found', `no service ${input.subscriberId} asks for data of school ${input.dfeNumber}`);
  const before = await getSharing(db, input.dfeNumber, sub._id);
  if (input.decision === 'revoked' && before?.state !== 'approved')
    throw new UsoError('stale_action', `${sub.name} is not approved at ${input.dfeNumber}: there is nothing to revoke`);
  if (before?.state === input.decision) return { receipt: receiptOf(before), changed: false };
  const receipt: SharingReceipt = {
    state: input.decision,
    by: input.by,
    byName: input.byName,
    at: new Date(),
    via: input.via,
    subscriberName: sub.name,
    purpose: sub.purpose ?? NO_PURPOSE,
    reports: sub.reports,
    fields: [...fieldsOf(sub)],
    ...(input.note ? { note: input.note } : {}),
  };
  await recordSharing(db, input.dfeNumber, sub._id, receipt);
  // what was queued and not sent goes too: a revoke stops events at once, not after the queue drains
  const withdrawn =
    input.decision === 'approved'
      ? 0
      : await deletePendingAboutSchool(db, input.dfeNumber, { subscriberId: sub._id, why: 'sharing_stopped' });
  await audit(db, {
    at: receipt.at,
    actor: input.by,
    action: `sharing.${input.decision}`,
    dfeNumber: input.dfeNumber,
    detail: `${sub._id} ${sub.name}: ${describeShare(receipt)}${input.via === 'cli' && input.note ? `; on the school's request ${input.note}` : ''}${withdrawn ? `; ${withdrawn} queued event(s) withdrawn` : ''}`,
  });
  return { receipt, changed: true };
}

/** What a receipt covers, in words: reports and fields, and why. */
export const describeShare = (r: { reports: readonly string[]; fields: readonly string[]; purpose: string }) =>
  `reports ${r.reports.join(', ') || 'none'}; fields ${['names', 'username', ...r.fields].join(', ')}; for ${r.purpose}`;

/**
 * A pre-approved subscriber counts as approved at each school in its scope that allows the LA to pre-approve and has
 * not decided about it; returns those schools (each is to be told).
 */
export async function preApprove(db: Db, sub: SubscriberDoc, by: string): Promise<string[]> {
  const schools = (await listSchools(db)).filter(
    (s) => inScope(sub, s.dfeNumber) && s.settings.laPreApproval !== false,
  );
  const approved: string[] = [];
  for (const school of schools) {
    if (await getSharing(db, school.dfeNumber, sub._id)) continue;
    await decideSharing(db, {
      dfeNumber: school.dfeNumber,
      subscriberId: sub._id,
      decision: 'approved',
      by: 'la:pre-approved',
      byName: `the LA (pre-approved by ${by})`,
      via: 'pre-approval',
    });
    approved.push(school.dfeNumber);
  }
  return approved;
}

/** A head allows or refuses the LA's pre-approval for the school (services already approved stay until revoked). */
export async function setPreApproval(db: Db, dfeNumber: string, allowed: boolean, by: string): Promise<boolean> {
  const school = await getSchool(db, dfeNumber);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  if ((school.settings.laPreApproval !== false) === allowed) return false;
  await updateSchool(db, dfeNumber, { settings: { ...school.settings, laPreApproval: allowed } });
  await audit(db, {
    at: new Date(),
    actor: by,
    action: 'school.settings',
    dfeNumber,
    detail: allowed ? 'the LA may pre-approve services' : 'the LA may not pre-approve services',
  });
  return true;
}
