// A school's head approves a subscriber, as from chat: in tests of events and the API, a service gets a school's
// data only once the school said yes.
import type { Db } from 'mongodb';
import { decideSharing } from '../../src/sync/sharing.js';

export async function approvedAt(db: Db, subscriberId: string, dfeNumbers: readonly string[]): Promise<void> {
  for (const dfeNumber of dfeNumbers)
    await decideSharing(db, {
      dfeNumber,
      subscriberId,
      decision: 'approved',
      by: `slack:T1:UHEAD${dfeNumber}`,
      byName: `Head of ${dfeNumber}`,
      via: 'chat',
    });
}
