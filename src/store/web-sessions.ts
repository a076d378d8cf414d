// The web console's sessions and sign-ins in progress, each found by its `_id` (a random token), so both stores look
// them up through their index. A session ends at its expiry or at sign-out (deleted: a stolen cookie stops working);
// a sign-in in progress is used once and lives ten minutes.
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';

/** Who is signed in, as chat knows them (the roles granted in chat apply). */
export interface WebIdentity {
  platform: 'slack' | 'teams';
  workspace: string;
  userId: string;
  displayName: string;
}

export interface WebSession {
  _id: string;
  identity: WebIdentity;
  /** Sent back with every form, checked on every POST. */
  csrf: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface WebLogin {
  _id: string;
  provider: 'slack' | 'entra';
  issuer: string;
  codeVerifier: string;
  nonce: string;
  expiresAt: Date;
}

const token = () => randomBytes(32).toString('base64url');
const sessions = (db: Db) => db.collection<WebSession>('webSessions');
const logins = (db: Db) => db.collection<WebLogin>('webLogins');

export async function createWebSession(
  db: Db,
  identity: WebIdentity,
  ttlMs: number,
  now = new Date(),
): Promise<WebSession> {
  const session = { _id: token(), identity, csrf: token(), createdAt: now, expiresAt: new Date(now.getTime() + ttlMs) };
  await sessions(db).insertOne(session);
  return session;
}

/** The session, unless it has expired (an expired one is deleted as it is found). */
export async function webSession(db: Db, id: string, now = new Date()): Promise<WebSession | undefined> {
  const s = await sessions(db).findOne({ _id: id });
  if (!s) return undefined;
  if (s.expiresAt <= now) {
    await sessions(db).deleteOne({ _id: id });
    return undefined;
  }
  return s;
}

export async function endWebSession(db: Db, id: string): Promise<void> {
  await sessions(db).deleteOne({ _id: id });
}

export async function saveWebLogin(
  db: Db,
  login: Omit<WebLogin, '_id' | 'expiresAt'>,
  now = new Date(),
): Promise<string> {
  const state = token();
  await logins(db).insertOne({ _id: state, ...login, expiresAt: new Date(now.getTime() + 10 * 60_000) });
  return state;
}

/** Takes a sign-in in progress by its state, once: a second callback with the same state finds nothing. */
export async function takeWebLogin(db: Db, state: string, now = new Date()): Promise<WebLogin | undefined> {
  const login = await logins(db).findOneAndDelete({ _id: state });
  return login && login.expiresAt > now ? login : undefined;
}

/**
 * A Teams user's directory object id (what Microsoft sign-in names them by) beside the id Teams gives them in
 * activities (what their chat roles are granted to). Recorded as they use the bot, and kept for
 * `TEAMS_USER_KEEP_DAYS` after they last did (the retention job removes it then: a member of staff who left stops
 * using the bot).
 */
export const TEAMS_USER_KEEP_DAYS = 400;

export async function recordTeamsUser(
  db: Db,
  tenant: string,
  aadObjectId: string,
  userId: string,
  now = new Date(),
): Promise<void> {
  const expiresAt = new Date(now.getTime() + TEAMS_USER_KEEP_DAYS * 86_400_000);
  await db
    .collection<{ _id: string; userId: string; expiresAt: Date }>('teamsUsers')
    .updateOne({ _id: `${tenant}:${aadObjectId}` }, { $set: { userId, expiresAt } }, { upsert: true });
}

export async function teamsUserId(db: Db, tenant: string, aadObjectId: string): Promise<string | undefined> {
  return (
    await db.collection<{ _id: string; userId: string }>('teamsUsers').findOne({ _id: `${tenant}:${aadObjectId}` })
  )?.userId;
}
