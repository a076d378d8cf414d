// Where the bot can post without being spoken to: Teams needs a conversation reference (service URL, conversation,
// bot) for a proactive message, so one is kept for every conversation the bot is in, and for each user's personal
// chat with it (the LA digest goes there). References hold no user details.
import type { Activity, ConversationReference } from 'botbuilder';
import type { Db } from 'mongodb';

interface ConversationDoc {
  _id: string;
  reference: Partial<ConversationReference>;
  /** The team a channel belongs to: removing the bot from a team removes it from all its channels. */
  teamId?: string;
  updatedAt: Date;
}

const teamOf = (activity: Partial<Activity>): string | undefined =>
  (activity.channelData as { team?: { id?: string } } | undefined)?.team?.id;

const coll = (db: Db) => db.collection<ConversationDoc>('teamsConversations');

export const tenantOf = (activity: Partial<Activity>): string =>
  activity.conversation?.tenantId ??
  (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ??
  'unknown';

/** A channel message in a thread arrives as `19:…@thread.tacv2;messageid=…`; the channel itself is the part before. */
export const conversationOf = (activity: Partial<Activity>): string =>
  (activity.conversation?.id ?? '').split(';messageid=')[0]!;

const key = (tenant: string, conversation: string) => `${tenant}:${conversation}`;
const personalKey = (tenant: string, userId: string) => `${tenant}:user:${userId}`;

/** Stores (or refreshes) the reference for the activity's conversation; writes only when something changed. */
export async function rememberConversation(db: Db, activity: Partial<Activity>): Promise<void> {
  const tenant = tenantOf(activity);
  const conversation = conversationOf(activity);
  if (!activity.serviceUrl || !conversation || !activity.recipient) return;
  const reference: Partial<ConversationReference> = {
    channelId: activity.channelId ?? 'msteams',
    serviceUrl: activity.serviceUrl,
    bot: { id: activity.recipient.id, name: activity.recipient.name },
    conversation: {
      id: conversation,
      tenantId: tenant,
      isGroup: activity.conversation?.isGroup ?? false,
      conversationType: activity.conversation?.conversationType ?? '',
      name: '',
    },
  };
  const ids = [
    key(tenant, conversation),
    ...(activity.conversation?.conversationType === 'personal' && activity.from?.id
      ? [personalKey(tenant, activity.from.id)]
      : []),
  ];
  const teamId = teamOf(activity);
  for (const _id of ids) {
    const known = await coll(db).findOne({ _id });
    if (known && JSON.stringify(known.reference) === JSON.stringify(reference) && known.teamId === teamId) continue;
    await coll(db).replaceOne(
      { _id },
      { reference, ...(teamId ? { teamId } : {}), updatedAt: new Date() },
      { upsert: true },
    );
  }
}

export async function conversationReference(
  db: Db,
  tenant: string,
  conversation: string,
): Promise<Partial<ConversationReference> | undefined> {
  return (await coll(db).findOne({ _id: key(tenant, conversation) }))?.reference;
}

/** The user's personal chat with the bot, if they have ever opened it. */
export async function personalConversation(db: Db, tenant: string, userId: string): Promise<string | undefined> {
  return (await coll(db).findOne({ _id: personalKey(tenant, userId) }))?.reference.conversation?.id;
}

/**
 * The bot left the activity's conversation (a chat, or a whole team with its channels): forgets them and returns
 * their ids, so their links to schools can be removed too.
 */
export async function forgetConversations(db: Db, activity: Partial<Activity>): Promise<string[]> {
  const tenant = tenantOf(activity);
  const teamId = teamOf(activity);
  const inTeam = teamId ? await coll(db).find({ teamId }).toArray() : [];
  const conversations = [
    ...new Set([conversationOf(activity), ...inTeam.map((d) => d.reference.conversation?.id ?? '')].filter(Boolean)),
  ];
  await coll(db).deleteMany({ _id: { $in: conversations.map((c) => key(tenant, c)) } });
  return conversations;
}
