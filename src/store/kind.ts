// Which server a database lives on, for the few reads whose best plan differs: MongoDB answers indexed queries from
// its indexes, while FerretDB 1.24 decodes every document of a collection for any query but an `_id` lookup.
import type { Db } from 'mongodb';

export type StoreKind = 'mongodb' | 'ferretdb';

const kinds = new WeakMap<Db, StoreKind>();

export function setStoreKind(db: Db, kind: StoreKind): void {
  kinds.set(db, kind);
}

/** True when every query but an `_id` lookup reads the whole collection (the embedded store). */
export const scansEveryQuery = (db: Db) => kinds.get(db) === 'ferretdb';

/**
 * Statements per write command. FerretDB 1.24 (SQLite) holds one pooled connection per statement of a command until
 * the command ends, from a pool of 100, so a command of 100 or more statements never finishes and wedges the server.
 */
export const WRITE_BATCH = 50;
