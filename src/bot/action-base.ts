// What every chat action is given (the store and the scheduler), and the rows of accounts the lists show.
import type { Db } from 'mongodb';
import type { Account } from '../domain/model.js';
import { maskDob, nameOf, type AccountRowView, type KindFilter } from './view-model.js';

export interface ActionContext {
  db: Db;
  /** Days before a refused report's data is erased (said when a head refuses one). */
  revokeGraceDays?: number;
  scheduler?: { runNow(dfeNumber: string): Promise<void> };
}

/** A pupil's year and registration group, or a staff member's first role, at the school. */
export function groupAt(a: Account, dfeNumber: string): string | undefined {
  const here =
    a.associations.find((x) => x.dfeNumber === dfeNumber && x.status === 'active') ??
    a.associations.filter((x) => x.dfeNumber === dfeNumber).at(-1);
  if (!here) return undefined;
  if (here.role === 'staff') return here.roles?.[0];
  return [here.yearGroup && `Year ${here.yearGroup}`, here.registrationGroup].filter(Boolean).join(', ') || undefined;
}

export function accountRow(a: Account, dfeNumber: string): AccountRowView {
  const here = a.associations.filter((x) => x.dfeNumber === dfeNumber).at(-1);
  const group = groupAt(a, dfeNumber);
  const dob = maskDob(a.dateOfBirth);
  const elsewhere = [
    ...new Set(
      a.associations.filter((x) => x.dfeNumber !== dfeNumber && x.status === 'active').map((x) => x.dfeNumber),
    ),
  ];
  return {
    username: a.username,
    name: nameOf(a),
    role: here?.role ?? a.kind,
    ...(dob ? { maskedDob: dob } : {}),
    ...(group ? { group } : {}),
    ...(here?.until ? { until: here.until } : {}),
    ...(here?.since ? { since: here.since } : {}),
    ...(here?.status === 'ended' && elsewhere.length ? { activeElsewhere: elsewhere } : {}),
  };
}

export const byRole = <T extends { role: string }>(rows: T[], filter: KindFilter) =>
  filter ? rows.filter((r) => r.role === filter) : rows;
