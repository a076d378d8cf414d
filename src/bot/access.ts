// Who may act for which school from chat. A school is linked to a Slack channel or Teams conversation with a
// one-time code; the code's redeemer becomes the school's head in chat and grants roles. Roles mirror the account
// store's: head (approves held changes, sets thresholds), contact (matches, creates, restores, excludes) and la
// (acts for every school of its local authority). The CLI is the operator's and may do everything.
import { randomInt } from 'node:crypto';
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { audit } from '../store/audit.js';
import { getSchool, schoolIdsOfLa } from '../store/schools.js';
import {
  chatLinkOf,
  chatLinksOfSchool,
  deleteChatLink,
  linkId,
  rolesOf,
  saveChatLink,
  saveLinkCode,
  saveRole,
  storedRoleAt,
  takeLinkCode,
  type ChatLinkDoc,
} from '../store/chat.js';

export type Platform = 'slack' | 'teams' | 'cli';
export type Role = 'head' | 'contact' | 'la';

export interface Actor {
  platform: Platform;
  /** Slack: team id; Teams: tenant id. */
  workspace?: string;
  userId: string;
  displayName: string;
}

/** What an action needs: `read` to look, `contact` to decide people, `head` to approve and configure. */
export type Need = 'read' | 'contact' | 'head';

export const actorKey = (a: Actor) => `${a.platform}:${a.workspace ? `${a.workspace}:` : ''}${a.userId}`;

const rank: Record<Need, number> = { read: 0, contact: 1, head: 2 };
const grants: Record<Role, number> = { contact: 1, head: 2, la: 2 };

export async function roleAt(db: Db, actor: Actor, dfeNumber: string): Promise<Role | undefined> {
  return storedRoleAt(db, actorKey(actor), dfeNumber);
}

/**
 * Throws `forbidden` with the reason unless the actor may do what is needed at the school; returns the role found
 * (none for the service's operator at the CLI, who may do anything).
 */
export async function authorise(db: Db, actor: Actor, dfeNumber: string, need: Need): Promise<Role | undefined> {
  if (actor.platform === 'cli') return undefined;
  const role = await roleAt(db, actor, dfeNumber);
  if (!role)
    throw new UsoError(
      'forbidden',
      `${actor.displayName} is not an admin of school ${dfeNumber}; its head can grant a role with /uso grant`,
    );
  if (grants[role] < rank[need])
    throw new UsoError(
      'forbidden',
      `only the school's head or a local-authority admin can do that; ${actor.displayName} is a ${role}`,
    );
  return role;
}

export async function grantRole(
  db: Db,
  by: Actor,
  dfeNumber: string,
  target: Actor | string,
  role: Role,
): Promise<void> {
  const school = await getSchool(db, dfeNumber);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  await authorise(db, by, dfeNumber, 'head');
  const key = typeof target === 'string' ? target : actorKey(target);
  if (role === 'la' && by.platform !== 'cli')
    throw new UsoError('forbidden', 'local-authority admins are added by the service operator (uso admins add)');
  await saveRole(db, { actor: key, role, dfeNumber, laCode: school.laCode, grantedBy: actorKey(by) });
  await audit(db, {
    at: new Date(),
    actor: actorKey(by),
    action: 'chat.role_granted',
    dfeNumber,
    detail: `${role} to ${key}`,
  });
}

/** A one-time code, valid for a day, that links the chat conversation it is typed in to the school. */
export async function createLinkCode(db: Db, dfeNumber: string, by: Actor): Promise<string> {
  if (!(await getSchool(db, dfeNumber))) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  await authorise(db, by, dfeNumber, 'head');
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const code = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
  await saveLinkCode(db, {
    _id: code,
    dfeNumber,
    createdBy: actorKey(by),
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  return code;
}

/** Redeems a link code in a conversation: links it to the school and makes the redeemer the school's head. */
export async function redeemLinkCode(
  db: Db,
  code: string,
  actor: Actor,
  conversation: { platform: Exclude<Platform, 'cli'>; workspace: string; conversation: string },
): Promise<string> {
  const found = await takeLinkCode(db, code.trim().toUpperCase());
  if (found === 'taken') throw new UsoError('stale_action', 'that link code was just used');
  if (!found)
    throw new UsoError(
      'not_found',
      'that link code is not valid (unknown, used or expired): ask for a new one with `uso link-code DFE`',
    );
  const id = linkId(conversation);
  await saveChatLink(db, conversation, found.dfeNumber, actorKey(actor));
  await saveRole(db, { actor: actorKey(actor), role: 'head', dfeNumber: found.dfeNumber, grantedBy: 'link-code' });
  await audit(db, {
    at: new Date(),
    actor: actorKey(actor),
    action: 'chat.linked',
    dfeNumber: found.dfeNumber,
    detail: `${id} with a code from ${found.createdBy}; head in chat`,
  });
  return found.dfeNumber;
}

/** The bot was removed from a conversation: it no longer speaks for any school there. */
export async function unlinkConversation(
  db: Db,
  platform: Exclude<Platform, 'cli'>,
  workspace: string,
  conversation: string,
): Promise<string | undefined> {
  const where = { platform, workspace, conversation };
  const id = linkId(where);
  const link = await chatLinkOf(db, where);
  if (!link) return undefined;
  await deleteChatLink(db, where);
  await audit(db, {
    at: new Date(),
    actor: `${platform}:${workspace}`,
    action: 'chat.unlinked',
    dfeNumber: link.dfeNumber,
    detail: `${id}: the bot was removed`,
  });
  return link.dfeNumber;
}

/** The school a conversation speaks for, if it is linked. */
export async function schoolOfConversation(
  db: Db,
  platform: Exclude<Platform, 'cli'>,
  workspace: string,
  conversation: string,
): Promise<string | undefined> {
  return (await chatLinkOf(db, { platform, workspace, conversation }))?.dfeNumber;
}

export async function conversationsOfSchool(db: Db, dfeNumber: string): Promise<ChatLinkDoc[]> {
  return chatLinksOfSchool(db, dfeNumber);
}

/** Every school the actor may act for: its own roles, and each school of an LA it administers. */
export async function schoolsOf(db: Db, actor: Actor): Promise<{ dfeNumber: string; role: Role }[]> {
  const mine = await rolesOf(db, actorKey(actor));
  const out = new Map<string, Role>();
  for (const a of mine) {
    if (a.dfeNumber) out.set(a.dfeNumber, a.role);
    if (a.laCode) {
      const inLa = await schoolIdsOfLa(db, a.laCode);
      for (const id of inLa) if (!out.has(id)) out.set(id, 'la');
    }
  }
  return [...out]
    .map(([dfeNumber, role]) => ({ dfeNumber, role }))
    .sort((a, b) => a.dfeNumber.localeCompare(b.dfeNumber));
}

/** The school an actor means when none is named or implied: their only one, if they act for exactly one. */
export async function onlySchoolOf(db: Db, actor: Actor): Promise<string | undefined> {
  const mine = await schoolsOf(db, actor);
  return mine.length === 1 ? mine[0]!.dfeNumber : undefined;
}
