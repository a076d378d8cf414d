// Teams conversations from activities: which tenant and conversation an activity is in, and the reference kept in
// the store for each (for proactive messages: run summaries, and the LA digest in a personal chat). References hold no
// user details.
import type { Activity, ConversationReference } from 'botbuilder';
import type { Db } from 'mongodb';
import {
  conversationReferenceOf,
  conversationsOfTeam,
  forgetConversationReferences,
  saveConversationReference,
  type StoredReference,
} from '../../store/chatConversations.js';

const teamOf = (activity: Partial<Activity>): string | undefined =>
  (activity.channelData as { team?: { id?: string } } | undefined)?.team?.id;

export const tenantOf = (activity: Partial<Activity>): string =>
  activity.conversation?.tenantId ??
  (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ??
  'unknown';

/** A channel message in a thread arrives as `19:…@thread.tacv2;messageid=…`; the channel itself is the part before. */
export const conversationOf = (activity: Partial<Activity>): string =>
  (activity.conversation?.id ?? '').split(';messageid=')[0]!;

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
  await saveConversationReference(
    db,
    {
      tenant,
      conversation,
      ...(activity.conversation?.conversationType === 'personal' && activity.from?.id
        ? { personalUserId: activity.from.id }
        : {}),
      ...(teamOf(activity) ? { teamId: teamOf(activity)! } : {}),
    },
    reference as StoredReference,
  );
}

export async function conversationReference(
  db: Db,
  tenant: string,
  conversation: string,
): Promise<Partial<ConversationReference> | undefined> {
  return (await conversationReferenceOf(db, tenant, conversation)) as Partial<ConversationReference> | undefined;
}

/**
 * The bot left the activity's conversation (a chat, or a whole team with its channels): forgets them and returns
 * their ids, so their links to schools can be removed too.
 */
export async function forgetConversations(db: Db, activity: Partial<Activity>): Promise<string[]> {
  const tenant = tenantOf(activity);
  const teamId = teamOf(activity);
  const inTeam = teamId ? await conversationsOfTeam(db, teamId) : [];
  const conversations = [...new Set([conversationOf(activity), ...inTeam].filter(Boolean))];
  await forgetConversationReferences(db, tenant, conversations);
  return conversations;
}
