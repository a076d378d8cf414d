// Who speaks for which school in chat: the chat admins and their roles, one-time link codes, and the links from a
// Slack channel or Teams conversation to a school. Ids are built here only; the chat layer passes plain values.
import type { Db } from 'mongodb';

export type ChatPlatform = 'slack' | 'teams';
export type ChatRole = 'head' | 'contact' | 'la';

export interface ChatAdminDoc {
  _id: string;
  /** `slack:TEAM:USER`, `teams:TENANT:USER` (or `cli:...`). */
  actor: string;
  role: ChatRole;
  dfeNumber?: string;
  laCode?: string;
  grantedBy: string;
  grantedAt: Date;
}

export interface LinkCodeDoc {
  _id: string;
  dfeNumber: string;
  createdBy: string;
  expiresAt: Date;
}

export interface ChatLinkDoc {
  _id: string;
  dfeNumber: string;
  platform: ChatPlatform;
  workspace: string;
  conversation: string;
  linkedBy: string;
  linkedAt: Date;
}

export interface ConversationAddress {
  platform: ChatPlatform;
  workspace: string;
  conversation: string;
}

const admins = (db: Db) => db.collection<ChatAdminDoc>('chatAdmins');
const codes = (db: Db) => db.collection<LinkCodeDoc>('linkCodes');
const links = (db: Db) => db.collection<ChatLinkDoc>('chatLinks');

const schoolAdminId = (dfeNumber: string, actor: string) => `${dfeNumber}|${actor}`;
const laAdminId = (laCode: string, actor: string) => `la:${laCode}|${actor}`;
export const linkId = (c: ConversationAddress) => `${c.platform}:${c.workspace}:${c.conversation}`;

/** The actor's role at a school, or as an admin of the school's LA. */
export async function storedRoleAt(db: Db, actor: string, dfeNumber: string): Promise<ChatRole | undefined> {
  const here = await admins(db).findOne({ _id: schoolAdminId(dfeNumber, actor) });
  if (here) return here.role;
  return (await admins(db).findOne({ _id: laAdminId(dfeNumber.slice(0, 3), actor) })) ? 'la' : undefined;
}

/** Gives the actor a role at a school, or (la) at every school of an LA; replaces what they had there. */
export async function saveRole(
  db: Db,
  grant: { actor: string; role: ChatRole; dfeNumber?: string; laCode?: string; grantedBy: string },
): Promise<void> {
  const id = grant.role === 'la' ? laAdminId(grant.laCode!, grant.actor) : schoolAdminId(grant.dfeNumber!, grant.actor);
  const { actor, role, grantedBy } = grant;
  await admins(db).replaceOne(
    { _id: id },
    {
      actor,
      role,
      ...(role === 'la' ? { laCode: grant.laCode! } : { dfeNumber: grant.dfeNumber! }),
      grantedBy,
      grantedAt: new Date(),
    },
    { upsert: true },
  );
}

/** Every role the actor holds. */
export async function rolesOf(db: Db, actor: string): Promise<ChatAdminDoc[]> {
  return admins(db).find({ actor }).toArray();
}

/** Every local-authority admin. */
export async function laAdmins(db: Db): Promise<ChatAdminDoc[]> {
  return admins(db).find({ role: 'la' }).toArray();
}

export async function saveLinkCode(db: Db, code: LinkCodeDoc): Promise<void> {
  await codes(db).insertOne(code);
}

/** Takes a link code once: the first to take it gets it; an unknown, used or expired code gives undefined. */
export async function takeLinkCode(db: Db, code: string, now = new Date()): Promise<LinkCodeDoc | 'taken' | undefined> {
  const found = await codes(db).findOne({ _id: code });
  if (!found || found.expiresAt < now) return undefined;
  return (await codes(db).deleteOne({ _id: found._id })).deletedCount === 1 ? found : 'taken';
}

export async function saveChatLink(
  db: Db,
  where: ConversationAddress,
  dfeNumber: string,
  linkedBy: string,
): Promise<void> {
  await links(db).replaceOne(
    { _id: linkId(where) },
    { dfeNumber, ...where, linkedBy, linkedAt: new Date() },
    { upsert: true },
  );
}

export async function chatLinkOf(db: Db, where: ConversationAddress): Promise<ChatLinkDoc | undefined> {
  return (await links(db).findOne({ _id: linkId(where) })) ?? undefined;
}

export async function deleteChatLink(db: Db, where: ConversationAddress): Promise<void> {
  await links(db).deleteOne({ _id: linkId(where) });
}

export async function chatLinksOfSchool(db: Db, dfeNumber: string): Promise<ChatLinkDoc[]> {
  return links(db).find({ dfeNumber }).toArray();
}
