// What the service tells schools in chat: a summary after every run (one message per run and conversation) and a
// notice when a school withdraws its Datashare grant. Messages go through the outbox.
import type { Db } from 'mongodb';
import { openMatches } from '../store/matches.js';
import { getSchool } from '../store/schools.js';
import type { RunSummary } from '../sync/process.js';
import { conversationsOfSchool } from './access.js';
import type { View } from './actions.js';
import { enqueue } from './outbox.js';
import { render } from './views/blocks.js';

export async function summaryOf(db: Db, run: RunSummary): Promise<View> {
  const school = await getSchool(db, run.dfeNumber);
  const counts = Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n)) as Record<string, number>;
  return {
    kind: 'summary',
    dfeNumber: run.dfeNumber,
    schoolName: school?.name ?? run.dfeNumber,
    runId: run.runId,
    status: run.status,
    counts,
    ...(run.note ? { note: run.note } : {}),
    held: (counts.held_unallocation ?? 0) + (counts.held_update ?? 0),
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
