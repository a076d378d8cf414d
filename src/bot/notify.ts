// What the service tells schools in chat: a summary after every run (one message per run and conversation) and a
// notice when a school withdraws its Datashare grant. Messages go through the outbox.
import type { Db } from 'mongodb';
import { openMatches } from '../store/matches.js';
import { getSchool } from '../store/schools.js';
import { schoolStatus } from '../sync/status.js';
import type { RunSummary } from '../sync/process.js';
import { conversationsOfSchool } from './access.js';
import type { View } from './actions.js';
import { enqueue, outboxItem } from './outbox.js';
import { lastSucceededRun } from '../store/runs.js';
import { render } from './views/blocks.js';

type RunFacts = Pick<RunSummary, 'runId' | 'dfeNumber' | 'status' | 'note'> & { counts: Partial<Record<string, number>>; heldState?: string; heldDecidedBy?: string };

export async function summaryOf(db: Db, run: RunFacts): Promise<View> {
  const school = await getSchool(db, run.dfeNumber);
  const counts = Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n)) as Record<string, number>;
  const decided = run.heldState === 'approved' || run.heldState === 'rejected';
  return {
    kind: 'summary',
    dfeNumber: run.dfeNumber,
    schoolName: school?.name ?? run.dfeNumber,
    runId: run.runId,
    status: run.status,
    counts,
    ...(run.note || decided ? { note: [run.note, decided && `held changes ${run.heldState}${run.heldDecidedBy ? ` by ${run.heldDecidedBy}` : ''}`].filter(Boolean).join('; ') } : {}),
    held: decided ? 0 : (counts.held_unallocation ?? 0) + (counts.held_update ?? 0),
    openMatches: (await openMatches(db, run.dfeNumber)).length,
  };
}

export async function notifyRun(db: Db, run: RunSummary): Promise<number> {
  const links = await conversationsOfSchool(db, run.dfeNumber);
  if (links.length === 0 || run.status === 'skipped') return 0;
  const message = render(await summaryOf(db, run));
  let queued = 0;
  for (const link of links) {
    if (link.platform !== 'slack') continue; // Teams renders its own cards (see the Teams adapter)
    if (await enqueue(db, `summary:${run.runId}:${link._id}`, { platform: 'slack', workspace: link.workspace, conversation: link.conversation }, message)) queued++;
  }
  return queued;
}

export async function notifyRevoked(db: Db, dfeNumber: string): Promise<void> {
  for (const link of await conversationsOfSchool(db, dfeNumber)) {
    if (link.platform !== 'slack') continue;
    const text = `School ${dfeNumber} withdrew Integris Datashare access, so its nightly runs have stopped. Accounts are unchanged. Runs resume when the school grants access again.`;
    await enqueue(db, `revoked:${dfeNumber}:${link._id}:${new Date().toISOString().slice(0, 13)}`, { platform: 'slack', workspace: link.workspace, conversation: link.conversation }, { text });
  }
}

/** The morning digest for each Slack LA admin: the schools of their LA that need someone. One per admin per day. */
export async function queueLaDigests(db: Db, today: string): Promise<number> {
  const admins = await db.collection<{ actor: string; role: string; laCode?: string }>('chatAdmins').find({ role: 'la' }).toArray();
  let queued = 0;
  for (const admin of admins) {
    const [platform, workspace, userId] = admin.actor.split(':');
    if (platform !== 'slack' || !workspace || !userId || !admin.laCode) continue;
    const lines: string[] = [];
    for (const s of (await schoolStatus(db)).schools.filter((x) => x.dfeNumber.startsWith(admin.laCode!))) {
      const held = s.heldChanges.reduce((n, h) => n + h.count, 0);
      const failed = s.lastRun?.status === 'failed';
      if (!s.openMatches && !held && !failed) continue;
      lines.push(`• *${s.name}* (${s.dfeNumber}): ${[s.openMatches ? `${s.openMatches} to match` : '', held ? `${held} held change(s)` : '', failed ? `last run failed (${s.lastRun?.error ?? 'see uso status'})` : ''].filter(Boolean).join(', ')}`);
    }
    if (lines.length === 0) continue;
    const text = `Good morning. ${lines.length} school(s) in LA ${admin.laCode} need someone:\n${lines.slice(0, 40).join('\n')}${lines.length > 40 ? `\n…and ${lines.length - 40} more` : ''}`;
    if (await enqueue(db, `digest:${today}:${admin.actor}`, { platform: 'slack', workspace, conversation: userId }, { text })) queued++;
  }
  return queued;
}

/**
 * The summary messages already posted for the school's latest run, re-rendered with what people have done since
 * (matches decided, held changes approved), so one message per run stays current.
 */
export async function currentSummaries(db: Db, dfeNumber: string): Promise<{ conversation: string; workspace: string; messageId: string; message: ReturnType<typeof render> }[]> {
  const run = await lastSucceededRun(db, dfeNumber);
  if (!run) return [];
  const message = render(await summaryOf(db, { runId: run._id, dfeNumber, status: run.status, counts: run.counts ?? {}, ...(run.note ? { note: run.note } : {}), ...(run.heldState ? { heldState: run.heldState } : {}), ...(run.heldDecidedBy ? { heldDecidedBy: run.heldDecidedBy } : {}) }));
  const out = [];
  for (const link of await conversationsOfSchool(db, dfeNumber)) {
    const item = await outboxItem(db, `summary:${run._id}:${link._id}`);
    if (item?.messageId) out.push({ conversation: item.conversation, workspace: item.workspace, messageId: item.messageId, message });
  }
  return out;
}
