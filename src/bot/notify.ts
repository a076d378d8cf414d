// What the service tells schools in chat, on Slack and Teams alike: a summary after every run (one message per run
// and conversation) and the LA admins' morning digest (with each school's open alerts; alerts.ts says them).
// Messages go through the outbox.
import type { Db } from 'mongodb';
import { VIOLATION_WORDS, type IdentityViolation } from '../domain/invariants.js';
import { fanOutCursor, LAG_ALERT_SECONDS } from '../sync/outbound.js';
import { schoolStatus } from '../sync/status.js';
import type { RunSummary } from '../sync/process.js';
import { conversationsOfSchool } from './access.js';
import { runFactsOf, summaryOf } from './actions.js';
import type { View } from './view-model.js';
import { enqueue, outboxItem, type ChatMessage, type ChatSenders } from './outbox.js';
import type { Logger } from '../log.js';
import { lastSucceededRun } from '../store/runs.js';
import { laAdmins } from '../store/chat.js';
import { openAlerts } from '../store/alerts.js';
import { listSubscribers } from '../store/subscribers.js';
import { render } from './views/blocks.js';
import { renderCard } from './views/cards.js';
import { personalConversationOf } from '../store/chatConversations.js';

/** A view as each platform shows it: Block Kit on Slack, an Adaptive Card on Teams (the Slack text as its summary). */
export function messageFor(platform: 'slack' | 'teams', view: View): ChatMessage {
  const slack = render(view);
  return platform === 'slack'
    ? slack
    : { text: slack.text, card: renderCard(view) as unknown as Record<string, unknown> };
}

export async function notifyRun(db: Db, run: RunSummary): Promise<number> {
  const links = await conversationsOfSchool(db, run.dfeNumber);
  if (links.length === 0 || run.status === 'skipped') return 0;
  const view = await summaryOf(db, run);
  let queued = 0;
  for (const link of links) {
    if (
      await enqueue(
        db,
        `summary:${run.runId}:${link._id}`,
        { platform: link.platform, workspace: link.workspace, conversation: link.conversation },
        messageFor(link.platform, view),
      )
    )
      queued++;
  }
  return queued;
}

/** How the digest names each open alert. */
const ALERT_WORDS: Record<string, (detail?: string) => string> = {
  run_failed: () => 'runs failing',
  no_export: () => 'no export for 2+ school days',
  grant_revoked: (eraseOn) =>
    `Datashare access withdrawn${eraseOn ? ` (data erased on ${eraseOn} unless granted again)` : ''}`,
  report_unshared: (report) => `${report ?? 'a report'} no longer shared`,
  school_paused: () => 'paused',
  service_paused: () => '',
};

/**
 * The morning digest for each LA admin: the schools of their LA that need someone. One per admin per day, to their
 * Slack DM or their personal Teams chat with the bot (Teams can only start one the admin has opened).
 */
export async function queueLaDigests(
  db: Db,
  today: string,
  /** What the night's identity check found, per LA (`identityProblemsByLa`). */
  identity: ReadonlyMap<string, ReadonlyMap<IdentityViolation['kind'], number>> = new Map(),
): Promise<number> {
  const admins = await laAdmins(db);
  const lagSeconds = admins.length ? ((await fanOutCursor(db))?.lagSeconds ?? 0) : 0;
  const statuses = admins.length ? (await schoolStatus(db)).schools : [];
  const paused = admins.length ? (await listSubscribers(db)).filter((s) => s.pausedAt && !s.revokedAt) : [];
  const alertsBySchool = new Map<string, string[]>();
  for (const a of admins.length ? await openAlerts(db) : [])
    alertsBySchool.set(a.dfeNumber, [
      ...(alertsBySchool.get(a.dfeNumber) ?? []),
      a.kind === 'grant_revoked' && a.code ? `${a.kind}:${a.code}` : a.kind,
    ]);
  let queued = 0;
  for (const admin of admins) {
    const [platform, workspace, ...rest] = admin.actor.split(':');
    const userId = rest.join(':'); // Teams user ids contain a colon
    if ((platform !== 'slack' && platform !== 'teams') || !workspace || !userId || !admin.laCode) continue;
    const conversation = platform === 'slack' ? userId : await personalConversationOf(db, workspace, userId);
    if (!conversation) continue;
    const bold = (s: string) => (platform === 'slack' ? `*${s}*` : `**${s}**`);
    const lines: string[] = [];
    for (const s of statuses.filter((x) => x.dfeNumber.startsWith(admin.laCode!))) {
      const held = s.heldChanges.reduce((n, h) => n + h.count, 0);
      const failed = s.lastRun?.status === 'failed';
      const problems = (alertsBySchool.get(s.dfeNumber) ?? []).filter((k) => k !== 'run_failed' || !failed);
      if (!s.openMatches && !held && !failed && !problems.length) continue;
      lines.push(
        `• ${bold(s.name)} (${s.dfeNumber}): ${[s.openMatches ? `${s.openMatches} to match` : '', held ? `${held} held change(s)` : '', failed ? `last run failed (${s.lastRun?.error ?? 'see uso status'})` : '', ...problems.map((k) => ALERT_WORDS[k.split(':')[0]!]?.(k.split(':')[1]) ?? k)].filter(Boolean).join(', ')}`,
      );
    }
    for (const sub of paused)
      if (sub.scope.laCode === admin.laCode || sub.scope.schools?.some((d) => d.startsWith(admin.laCode!)))
        lines.push(
          `• event subscriber ${bold(sub.name)} is paused: ${sub.pauseReason ?? 'deliveries kept failing'} (the operator resumes it with \`uso subscribers resume\`)`,
        );
    if (lagSeconds > LAG_ALERT_SECONDS)
      lines.push(
        `• events to the services that trust USO are ${Math.round(lagSeconds / 360) / 10} h behind the changes (see \`uso_events_fanout_lag_seconds\`)`,
      );
    const problems = identity.get(admin.laCode);
    if (problems?.size)
      lines.push(
        `• ${bold('one person, one account')}: ${[...problems].map(([kind, n]) => `${VIOLATION_WORDS[kind]}: ${n}`).join(', ')} (the operator lists them with \`uso doctor\` and repairs them with \`uso doctor --fix\`)`,
      );
    if (lines.length === 0) continue;
    const text = `Good morning. ${lines.length} school(s) in LA ${admin.laCode} need someone:\n${lines.slice(0, 40).join('\n')}${lines.length > 40 ? `\n…and ${lines.length - 40} more` : ''}`;
    if (await enqueue(db, `digest:${today}:${admin.actor}`, { platform, workspace, conversation }, { text })) queued++;
  }
  return queued;
}

/**
 * The summary messages already posted for the school's latest run, with the summary as it stands now (matches
 * decided, held changes approved since), so each platform can keep one message per run current.
 */
export async function currentSummaries(
  db: Db,
  dfeNumber: string,
): Promise<{ platform: 'slack' | 'teams'; conversation: string; workspace: string; messageId: string; view: View }[]> {
  const run = await lastSucceededRun(db, dfeNumber);
  if (!run) return [];
  const view = await summaryOf(db, runFactsOf(run));
  const out = [];
  for (const link of await conversationsOfSchool(db, dfeNumber)) {
    const item = await outboxItem(db, `summary:${run._id}:${link._id}`);
    if (item?.messageId)
      out.push({
        platform: link.platform,
        conversation: item.conversation,
        workspace: item.workspace,
        messageId: item.messageId,
        view,
      });
  }
  return out;
}

/**
 * Replaces every posted summary of the school's latest run with the summary as it stands now, on every platform a
 * sender is given for, except the message that was clicked: its adapter answers that one itself, with the summary
 * returned here when the clicked message is one of them. A failed update is logged, not retried: the next decision
 * refreshes again.
 */
export async function refreshSummaries(
  db: Db,
  dfeNumber: string,
  senders: ChatSenders,
  logger: Logger,
  clicked: { platform: 'slack' | 'teams'; conversation?: string; messageId?: string },
): Promise<View | undefined> {
  let clickedSummary: View | undefined;
  for (const s of await currentSummaries(db, dfeNumber)) {
    if (
      s.platform === clicked.platform &&
      s.conversation === clicked.conversation &&
      s.messageId === clicked.messageId
    ) {
      clickedSummary = s.view;
      continue;
    }
    await senders[s.platform]
      ?.update(s, s.messageId, messageFor(s.platform, s.view))
      .catch((err: Error) =>
        logger.warn({ dfeNumber, platform: s.platform, err: { message: err.message } }, 'run summary refresh failed'),
      );
  }
  return clickedSummary;
}
