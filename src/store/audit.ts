// The audit trail: who changed what, and when, for every account change and admin action.
import { ObjectId, type Db } from 'mongodb';
import type { AuditAction } from '../domain/audit-actions.js';

export interface AuditEntry {
  at: Date;
  /** `sync` for the nightly engine; `cli:<user>`, `slack:<team>:<user>`, `teams:<tenant>:<user>` for people. */
  actor: string;
  action: AuditAction;
  dfeNumber?: string;
  username?: string;
  runId?: string;
  /** Field names or a short description; never personal data. */
  detail?: string;
}

export async function audit(db: Db, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries as AuditEntry];
  for (let i = 0; i < list.length; i += 1000)
    await db.collection<AuditEntry>('audit').insertMany(list.slice(i, i + 1000), { ordered: false });
}

export async function auditFor(
  db: Db,
  filter: { dfeNumber?: string; username?: string },
  limit = 50,
): Promise<AuditEntry[]> {
  return db.collection<AuditEntry>('audit').find(filter).sort({ at: -1 }).limit(limit).toArray();
}

/** The usernames with an `account.*` entry from the run: what a crashed run did get to audit. */
export async function auditedAccountsOfRun(db: Db, runId: string): Promise<Set<string>> {
  const docs = await db
    .collection<AuditEntry>('audit')
    .find({ runId, action: { $regex: '^account\\.' } })
    .project<{ username?: string }>({ username: 1 })
    .toArray();
  return new Set(docs.map((d) => d.username).filter((u): u is string => !!u));
}

/** Every (username, actor, run) the audit names: what a whole-store check compares accounts' last changes with. */
export async function auditedChanges(db: Db): Promise<Set<string>> {
  const seen = new Set<string>();
  const entries = db
    .collection<AuditEntry>('audit')
    .find({})
    .project<Pick<AuditEntry, 'username' | 'actor' | 'runId'>>({ username: 1, actor: 1, runId: 1 });
  for await (const e of entries) if (e.username) seen.add(auditedChangeKey(e.username, e.actor, e.runId));
  return seen;
}

export const auditedChangeKey = (username: string, actor: string, runId?: string) =>
  `${username}\u0000${actor}\u0000${runId ?? ''}`;

export interface AuditQuery {
  dfeNumber?: string;
  username?: string;
  actor?: string;
  /** One kind of entry (`account.restored`, ...). */
  action?: AuditAction;
  since?: Date;
  /** For the next page: entries strictly older than this. */
  before?: Date;
}

/** Audit entries matching the query, newest first, at most `limit`. */
export async function auditEntries(db: Db, query: AuditQuery, limit: number): Promise<AuditEntry[]> {
  const at = { ...(query.since ? { $gte: query.since } : {}), ...(query.before ? { $lt: query.before } : {}) };
  const filter = {
    ...(query.dfeNumber ? { dfeNumber: query.dfeNumber } : {}),
    ...(query.username ? { username: query.username } : {}),
    ...(query.actor ? { actor: query.actor } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(Object.keys(at).length ? { at } : {}),
  };
  return db
    .collection<AuditEntry>('audit')
    .find(filter, { projection: { _id: 0 } })
    .sort({ at: -1 })
    .limit(limit)
    .toArray();
}

/**
 * Entries that reached the store after the entry `after` (by `_id`, which the writer makes as it sends the insert, so
 * it follows the order entries arrive in) and before `until`, oldest first, at most `limit`, with their ids. The
 * outbound fan-out pages through the audit with it, never reading an entry twice.
 */
export async function auditAfter(
  db: Db,
  after: string | Date | undefined,
  until: Date,
  limit: number,
): Promise<(AuditEntry & { id: string })[]> {
  const from =
    after instanceof Date ? { $gte: ObjectId.createFromTime(Math.floor(after.getTime() / 1000)) } : undefined;
  const docs = await db
    .collection<AuditEntry & { _id: ObjectId }>('audit')
    .find({
      _id: {
        ...(typeof after === 'string' ? { $gt: new ObjectId(after) } : (from ?? {})),
        $lt: ObjectId.createFromTime(Math.ceil(until.getTime() / 1000)),
      },
    })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(({ _id, ...e }) => ({ ...e, id: _id.toHexString() }));
}
