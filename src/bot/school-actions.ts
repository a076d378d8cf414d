// Chat-agnostic actions by which a school puts mistakes right and runs itself from chat: undo a decision, keep its
// exclusion list, match a held person to any account of its LA, ask for an account before the MIS has the person,
// review accounts the MIS does not know, and change its own settings. Each is authorised against the school it
// touches, audited by the operation it calls, and answers with a view model for the renderers.
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { accountsForSchool, getAccount } from '../store/accounts.js';
import { personNameKey } from '../domain/names.js';
import { addExclusion, listExclusions, removeExclusionKey } from '../store/exclusions.js';
import { getMatch } from '../store/matches.js';
import { getSchool } from '../store/schools.js';
import { audit } from '../store/audit.js';
import { getRun } from '../store/runs.js';
import {
  unapproveHeld,
  uncreatePerson,
  unexcludePerson,
  unmatchPerson,
  unrestoreAccount,
} from '../sync/corrections.js';
import { searchLaAccounts } from '../sync/people.js';
import {
  changeSchoolSettings,
  keepNonMis,
  REPORT_USES,
  requestAccount,
  retireNonMis,
  type AccountRequest,
  type SettingsChange,
} from '../sync/school-admin.js';
import type { IsoDate } from '../domain/dates.js';
import type { ReportName } from '../domain/records.js';
import { actorKey, authorise, conversationsOfSchool, type Actor } from './access.js';
import { chatChoiceRule, listMatches, listUnallocated } from './actions.js';
import { listHeld } from './held-actions.js';
import { type ActionContext } from './action-base.js';
import type { ButtonData } from './chat-actions.js';
import { messageFor } from './notify.js';
import { enqueue } from './outbox.js';
import * as alerts from './alerts.js';
import { maskDob, nameOf, type View } from './view-model.js';

/** What an Undo button undoes. */
export type UndoKind = 'match' | 'create' | 'exclude' | 'restore' | 'approve';

/** Undoes a decision taken in the last week, when nothing has changed the account since. */
export async function undo(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; kind: UndoKind; personId?: string; username?: string; runId?: string },
): Promise<View> {
  const { db } = ctx;
  const who = actorKey(actor);
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new UsoError('usage', `the undo names no ${what}`);
    return v;
  };
  let text: string;
  switch (input.kind) {
    case 'match': {
      await authorise(db, actor, input.dfeNumber, 'contact');
      const username = await unmatchPerson(db, input.dfeNumber, need(input.personId, 'person'), who);
      text = `The match of MIS person ${input.personId} to ${username} was undone: they are held for matching again.`;
      break;
    }
    case 'create': {
      await authorise(db, actor, input.dfeNumber, 'contact');
      const username = await uncreatePerson(db, input.dfeNumber, need(input.personId, 'person'), who);
      text = `The new account ${username} was removed: MIS person ${input.personId} is held for matching again.`;
      break;
    }
    case 'exclude':
      await authorise(db, actor, input.dfeNumber, 'contact');
      await unexcludePerson(db, input.dfeNumber, need(input.personId, 'person'), who);
      text = `MIS person ${input.personId} is no longer excluded: they are held for matching again.`;
      break;
    case 'restore':
      await authorise(db, actor, input.dfeNumber, 'contact');
      await unrestoreAccount(db, need(input.username, 'account'), input.dfeNumber, who);
      text = `The restore of ${input.username} was undone: it is unallocated again.`;
      break;
    case 'approve': {
      const run = await getRun(db, need(input.runId, 'run'));
      if (!run || run.dfeNumber !== input.dfeNumber)
        throw new UsoError('not_found', `run ${input.runId} does not exist at ${input.dfeNumber}`);
      await authorise(db, actor, input.dfeNumber, 'head');
      await unapproveHeld(db, run._id, need(input.username, 'account'), who);
      text = `The approved change of ${input.username} was undone: the account is as it was, and the change is held again.`;
      break;
    }
  }
  return { kind: 'undone', dfeNumber: input.dfeNumber, text, by: actor.displayName };
}

/** An Undo button pressed: what was undone, and the list it goes back to (the people to match, the unallocated, the held). */
export async function undoFromChat(
  ctx: ActionContext,
  actor: Actor,
  d: ButtonData,
): Promise<{ done: View; list: View }> {
  const done = await undo(ctx, actor, {
    dfeNumber: d.d,
    kind: d.k ?? 'match',
    ...(d.p ? { personId: d.p } : {}),
    ...(d.u ? { username: d.u } : {}),
    ...(d.r ? { runId: d.r } : {}),
  });
  const list =
    d.k === 'restore'
      ? await listUnallocated(ctx, actor, d.d)
      : d.k === 'approve'
        ? await listHeld(ctx, actor, { dfeNumber: d.d, runId: d.r ?? '' })
        : await listMatches(ctx, actor, d.d);
  return { done, list };
}

/** The school's exclusion list, a page at a time in chat. */
export async function exclusions(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  return {
    kind: 'exclusions',
    dfeNumber,
    items: (await listExclusions(ctx.db, dfeNumber)).map((e) => ({
      key: e.nameKey,
      name: e.name,
      ...(e.dateOfBirth ? { maskedDob: maskDob(e.dateOfBirth)! } : {}),
      addedBy: e.addedBy,
      addedAt: e.addedAt.toISOString().slice(0, 10),
    })),
  };
}

/** Adds a name the school never wants an account for, before it ever reaches a run. */
export async function addExclusionFor(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; forename: string; surname: string; dateOfBirth?: IsoDate },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  const added = await addExclusion(
    ctx.db,
    input.dfeNumber,
    input.forename,
    input.surname,
    actorKey(actor),
    input.dateOfBirth,
  );
  await audit(ctx.db, { at: new Date(), actor: actorKey(actor), action: 'exclusion.add', dfeNumber: input.dfeNumber });
  // the list stops new accounts only: someone who has one already keeps it, and is told so with what to do (names
  // compared as the list compares them)
  const already = (await accountsForSchool(ctx.db, input.dfeNumber)).filter(
    (a) =>
      a.associations.some((x) => x.dfeNumber === input.dfeNumber && x.status === 'active') &&
      personNameKey(a.legalForename, a.legalSurname) === personNameKey(input.forename, input.surname) &&
      (!input.dateOfBirth || !a.dateOfBirth || a.dateOfBirth === input.dateOfBirth),
  );
  const byHand = (a: (typeof already)[number]) =>
    a.associations.some((x) => x.dfeNumber === input.dfeNumber && x.status === 'active' && x.source === 'manual');
  const has = already.map((a) =>
    byHand(a)
      ? `\`${a.username}\` already has an account here, kept by hand: the list does not take it away; unallocate it from \`non-mis\` if they should have no access.`
      : `\`${a.username}\` already has an account here from the MIS: the list does not take it away; they keep it until the MIS no longer lists them.`,
  );
  const said = added
    ? `${input.forename} ${input.surname}${input.dateOfBirth ? ` (born ${maskDob(input.dateOfBirth)})` : ''} is on the exclusion list: no account will be made for them.`
    : `${input.forename} ${input.surname} was already on the exclusion list.`;
  return {
    kind: 'undone',
    dfeNumber: input.dfeNumber,
    text: [said, ...has].join(' '),
    by: actor.displayName,
  };
}

/** Removes a name from the exclusion list: the next run plans that person again. */
export async function removeExclusionFor(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; key: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  const removed = await removeExclusionKey(ctx.db, input.dfeNumber, input.key);
  if (!removed) throw new UsoError('stale_action', 'that name is no longer on the exclusion list');
  await audit(ctx.db, {
    at: new Date(),
    actor: actorKey(actor),
    action: 'exclusion.remove',
    dfeNumber: input.dfeNumber,
  });
  return {
    kind: 'undone',
    dfeNumber: input.dfeNumber,
    text: `${removed.name} is no longer excluded: the next run plans them again (or use Run now).`,
    by: actor.displayName,
  };
}

/** Accounts of the school's LA that TEXT names, for "Another account...": label and username, at most 20. */
export async function searchAccounts(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; text: string },
): Promise<{ username: string; label: string }[]> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  const school = await getSchool(ctx.db, input.dfeNumber);
  if (!school || input.text.trim().length < 2) return [];
  // only accounts the actor may choose (unallocated in the LA, or held only at schools they act for; an LA admin's
  // whole LA): a contact finds nobody who is at another school, so a child cannot be located by name
  const mayChoose = chatChoiceRule(ctx, actor);
  const found = [];
  for (const a of await searchLaAccounts(ctx.db, school.laCode, input.text))
    if (await mayChoose(a, school)) found.push(a);
  return found.map((a) => {
    const active = [...new Set(a.associations.filter((x) => x.status === 'active').map((x) => x.dfeNumber))];
    return {
      username: a.username,
      label: `${nameOf(a)} (${a.username}) · born ${maskDob(a.dateOfBirth) ?? '?'} · ${active.length ? active.join(', ') : 'unallocated'}`,
    };
  });
}

/** The account chosen for a held person, shown with its schools and masked birth date before the match is confirmed. */
export async function confirmMatch(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; personId: string; username: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  const match = await getMatch(ctx.db, input.dfeNumber, input.personId);
  if (!match || match.status !== 'open')
    throw new UsoError('stale_action', `MIS person ${input.personId} is no longer waiting to be matched`);
  const account = await getAccount(ctx.db, input.username);
  const school = await getSchool(ctx.db, input.dfeNumber);
  // an offered candidate, or an account the actor may choose; anything else is refused the same way whether or not
  // it exists, so a forged choice learns nothing
  const offered = match.candidates.some((c) => c.username === input.username);
  if (!account || !school || !(offered || (await chatChoiceRule(ctx, actor)(account, school))))
    throw new UsoError('forbidden', 'you may not choose that account for this person');
  return {
    kind: 'confirm_match',
    dfeNumber: input.dfeNumber,
    personId: input.personId,
    personName: nameOf(match.person),
    ...(maskDob(match.person.dateOfBirth) ? { personDob: maskDob(match.person.dateOfBirth)! } : {}),
    account: {
      username: account.username,
      name: nameOf(account),
      ...(maskDob(account.dateOfBirth) ? { maskedDob: maskDob(account.dateOfBirth)! } : {}),
      schools: account.associations.map(
        (x) => `${x.dfeNumber} ${x.role} ${x.status}${x.until ? ` (left ${x.until})` : ''}`,
      ),
    },
  };
}

/** An account asked for before the MIS has the person; the run links it when the MIS exports them. */
export async function request(
  ctx: ActionContext,
  actor: Actor,
  input: AccountRequest & { dfeNumber: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  const { dfeNumber, ...req } = input;
  const username = await requestAccount(ctx.db, dfeNumber, req, actorKey(actor));
  return {
    kind: 'undone',
    dfeNumber,
    text: `Account ${username} was made for ${req.legalForename} ${req.legalSurname} (${req.kind}, from ${req.startDate}), kept by hand until the MIS lists them; the nightly run then links it.`,
    by: actor.displayName,
  };
}

export async function keep(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; username: string; reason: string; reviewOn: IsoDate },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  await keepNonMis(
    ctx.db,
    input.dfeNumber,
    input.username,
    { reason: input.reason, reviewOn: input.reviewOn },
    actorKey(actor),
  );
  return {
    kind: 'undone',
    dfeNumber: input.dfeNumber,
    text: `${input.username} is kept until ${input.reviewOn}, then listed for review again.`,
    by: actor.displayName,
  };
}

export async function retire(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; username: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  await retireNonMis(ctx.db, input.dfeNumber, input.username, actorKey(actor));
  return {
    kind: 'undone',
    dfeNumber: input.dfeNumber,
    text: `${input.username} was retired: it is in the unallocated pool, like a leaver.`,
    by: actor.displayName,
  };
}

/** The school's own settings, as its admins see them (heads may change them). */
export async function settings(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const school = await getSchool(ctx.db, dfeNumber);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  const shared = new Set(school.grant.permissions ?? school.acceptedReports);
  return {
    kind: 'settings',
    dfeNumber,
    schoolName: school.name,
    reports: (Object.keys(REPORT_USES) as ReportName[]).map((r) => ({
      report: r,
      uses: REPORT_USES[r],
      shared: shared.has(r),
      accepted: school.acceptedReports.includes(r),
    })),
    graceDays: school.settings.graceDays,
    unallocationThresholdPercent: school.settings.unallocationThresholdPercent,
    updateThresholdPercent: school.settings.updateThresholdPercent,
    preProvisionDays: school.settings.preProvisionDays,
    paused: school.settings.paused,
    mis: school.mis,
  };
}

/** A head changes the school's settings: applied, audited, and said to every conversation of the school. */
export async function changeSettings(
  ctx: ActionContext,
  actor: Actor,
  dfeNumber: string,
  change: SettingsChange,
): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'head');
  const { school, said } = await changeSchoolSettings(ctx.db, dfeNumber, change, actorKey(actor), {
    revokeGraceDays: ctx.revokeGraceDays ?? 14,
  });
  if (said.length) await announce(ctx.db, dfeNumber, `Settings changed by ${actor.displayName}: ${said.join('; ')}.`);
  if (school.acceptedReports.length) await alerts.reportsAccepted(ctx.db, dfeNumber);
  return settings(ctx, actor, dfeNumber);
}

/** Posts a line to every conversation of the school, once per change. */
export async function announce(
  db: Db,
  dfeNumber: string,
  text: string,
  topic: { key: string; title: string } = { key: 'settings', title: 'settings changed' },
): Promise<void> {
  const school = await getSchool(db, dfeNumber);
  const view: View = {
    kind: 'notice',
    dfeNumber,
    schoolName: school?.name ?? dfeNumber,
    tone: 'info',
    title: topic.title,
    detail: text,
  };
  const at = Date.now();
  for (const link of await conversationsOfSchool(db, dfeNumber))
    await enqueue(
      db,
      `${topic.key}:${dfeNumber}:${at}:${link._id}`,
      { platform: link.platform, workspace: link.workspace, conversation: link.conversation },
      messageFor(link.platform, view),
    );
}
