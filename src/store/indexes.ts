// Every collection's indexes, in one place, created at start-up when missing, so it is safe to run on every start
// and from several processes. Only missing indexes (by name) are sent: FerretDB 1.24 panics ("slice bounds out of
// range") on a createIndexes of several indexes that already exist once it has been restarted on its files.
import type { Db, IndexDescription } from 'mongodb';
import type { StoreKind } from './kind.js';

export const collectionNames = [
  'schools',
  'accounts',
  'exports',
  'runs',
  'matches',
  'exclusions',
  'audit',
  'outbox',
  'webhookEvents',
  'chatLinks',
  'chatInstallations',
  'leases',
  'contacts',
  'groups',
  'attendance',
  'linkCodes',
  'exportChunks',
  'globals',
  'runOutcomes',
  'chatAdmins',
  'teamsConversations',
  'rosters',
  'identities',
  'lookalikes',
  'deliveries',
  'sharing',
  'webSessions',
  'webLogins',
  'teamsUsers',
] as const;
export type CollectionName = (typeof collectionNames)[number];

export const indexSpecs: Record<CollectionName, IndexDescription[]> = {
  webSessions: [],
  webLogins: [],
  teamsUsers: [],
  schools: [{ key: { laCode: 1 }, name: 'laCode' }],
  accounts: [
    { key: { schools: 1 }, name: 'schools' },
    { key: { blockKeys: 1 }, name: 'block_keys' },
    { key: { status: 1 }, name: 'status' },
    { key: { 'lastChange.runId': 1 }, name: 'last_change_run' },
  ],
  exports: [{ key: { dfeNumber: 1, seq: -1 }, name: 'school_seq', unique: true }],
  exportChunks: [{ key: { exportId: 1, report: 1, index: 1 }, name: 'export_report_index', unique: true }],
  globals: [],
  runOutcomes: [],
  chatAdmins: [],
  teamsConversations: [],
  rosters: [],
  identities: [],
  lookalikes: [],
  sharing: [
    { key: { dfeNumber: 1 }, name: 'school' },
    { key: { state: 1 }, name: 'state' },
  ],
  deliveries: [
    { key: { subscriberId: 1, doneAt: 1 }, name: 'subscriber_open' },
    { key: { doneAt: 1 }, name: 'done' },
    { key: { 'events.data.account.username': 1 }, name: 'about_account' },
  ],
  runs: [
    { key: { dfeNumber: 1, startedAt: -1 }, name: 'school_started' },
    { key: { runKey: 1 }, name: 'run_key', unique: true, sparse: true },
  ],
  matches: [
    { key: { dfeNumber: 1, misPersonId: 1, kind: 1 }, name: 'school_person', unique: true },
    { key: { dfeNumber: 1, status: 1 }, name: 'school_status' },
  ],
  // `_id` is the school and the name key (store/exclusions.ts)
  exclusions: [],
  audit: [
    { key: { dfeNumber: 1, at: -1 }, name: 'school_at' },
    { key: { username: 1, at: -1 }, name: 'username_at' },
    { key: { runId: 1 }, name: 'run' },
  ],
  outbox: [{ key: { status: 1, nextAttemptAt: 1 }, name: 'due' }],
  webhookEvents: [{ key: { expiresAt: 1 }, name: 'expires' }],
  chatLinks: [{ key: { dfeNumber: 1 }, name: 'school' }],
  chatInstallations: [],
  leases: [],
  contacts: [],
  groups: [],
  attendance: [],
  linkCodes: [{ key: { expiresAt: 1 }, name: 'expires' }],
};

/**
 * The indexes a store of this kind is given. The embedded FerretDB 1.24 (SQLite) looks documents up by `_id` alone and
 * reads the whole collection for any other filter, so there a non-unique index is never read and only slows every
 * write: it gets the unique ones, which keep their constraint.
 */
export function indexesFor(name: CollectionName, kind: StoreKind): IndexDescription[] {
  return kind === 'mongodb' ? indexSpecs[name] : indexSpecs[name].filter((spec) => spec.unique);
}

export async function ensureIndexes(db: Db, kind: StoreKind): Promise<void> {
  const existing = new Set(
    await db
      .listCollections({}, { nameOnly: true })
      .toArray()
      .then((cs) => cs.map((c) => c.name)),
  );
  for (const name of collectionNames) {
    if (!existing.has(name)) await db.createCollection(name).catch(ignoreAlreadyExists);
    const have = new Set((await db.collection(name).listIndexes().toArray()).map((i) => i.name as string));
    const wanted = indexesFor(name, kind);
    const missing = wanted.filter((spec) => !have.has(spec.name!));
    if (missing.length > 0) await db.collection(name).createIndexes(missing);
    // an embedded store made by an earlier version has the non-unique ones: they go, one at a time
    for (const spec of indexSpecs[name])
      if (have.has(spec.name!) && !wanted.includes(spec)) await db.collection(name).dropIndex(spec.name!);
  }
}

function ignoreAlreadyExists(err: { code?: number }): void {
  if (err.code !== 48) throw err;
}
