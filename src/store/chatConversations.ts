// Where the bot can post without being spoken to. Teams needs a conversation reference (service URL, conversation,
// bot) for a proactive message: one is kept for every conversation the bot is in, and for each user's personal chat
// with it (the LA digest goes there). References hold no user details. Slack workspaces installed through OAuth keep
// their bot token here too. The reference is stored as the chat layer gives it; only ids are built here.
import type { Db } from 'mongodb';

/** A Bot Framework conversation reference, as the Teams adapter builds it (opaque to the store). */
export type StoredReference = { conversation?: { id?: string } } & Record<string, unknown>;

interface ConversationDoc {
  _id: string;
  reference: StoredReference;
  /** The team a channel belongs to: removing the bot from a team removes it from all its channels. */
  teamId?: string;
  updatedAt: Date;
}

const conversations = (db: Db) => db.collection<ConversationDoc>('teamsConversations');
const conversationId = (tenant: string, conversation: string) => `${tenant}:${conversation}`;
const personalId = (tenant: string, userId: string) => `${tenant}:user:${userId}`;

/**
 * Keeps the reference for a conversation (and, for a personal chat, under the user too); writes only when something
 * changed, so every message does not cost a write.
 */
export async function saveConversationReference(
  db: Db,
  where: { tenant: string; conversation: string; personalUserId?: string; teamId?: string },
  reference: StoredReference,
): Promise<void> {
  const ids = [
    conversationId(where.tenant, where.conversation),
    ...(where.personalUserId ? [personalId(where.tenant, where.personalUserId)] : []),
  ];
  for (const _id of ids) {
    const known = await conversations(db).findOne({ _id });
    if (known && JSON.stringify(known.reference) === JSON.stringify(reference) && known.teamId === where.teamId)
      continue;
    await conversations(db).replaceOne(
      { _id },
      { reference, ...(where.teamId ? { teamId: where.teamId } : {}), updatedAt: new Date() },
      { upsert: true },
    );
  }
}

export async function conversationReferenceOf(
  db: Db,
  tenant: string,
  conversation: string,
): Promise<StoredReference | undefined> {
  return (await conversations(db).findOne({ _id: conversationId(tenant, conversation) }))?.reference;
}

/** The user's personal chat with the bot, if they have ever opened it. */
export async function personalConversationOf(db: Db, tenant: string, userId: string): Promise<string | undefined> {
  return (await conversations(db).findOne({ _id: personalId(tenant, userId) }))?.reference.conversation?.id;
}

/** The conversations kept for the channels of a team. */
export async function conversationsOfTeam(db: Db, teamId: string): Promise<string[]> {
  const docs = await conversations(db).find({ teamId }).toArray();
  return docs.map((d) => d.reference.conversation?.id ?? '').filter(Boolean);
}

export async function forgetConversationReferences(db: Db, tenant: string, ids: readonly string[]): Promise<void> {
  await conversations(db).deleteMany({ _id: { $in: ids.map((c) => conversationId(tenant, c)) } });
}

export interface SlackInstallation {
  _id: string;
  teamId: string;
  teamName?: string;
  botToken: string;
  botId?: string;
  botUserId?: string;
  scopes: string[];
  installedBy?: string;
  installedAt: Date;
}

const installations = (db: Db) => db.collection<SlackInstallation>('chatInstallations');

export async function slackInstallationOf(db: Db, teamId: string): Promise<SlackInstallation | undefined> {
  return (await installations(db).findOne({ _id: `slack:${teamId}` })) ?? undefined;
}

export async function saveSlackInstallation(db: Db, installation: Omit<SlackInstallation, '_id'>): Promise<void> {
  await installations(db).replaceOne({ _id: `slack:${installation.teamId}` }, installation, { upsert: true });
}
