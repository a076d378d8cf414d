// Every chat button's behaviour, defined once for both platforms: who may press it, whether it asks first, and what it
// does, as views to show and effects (a decision refreshes the school's posted summaries; an outcome for everyone
// replaces the clicked message, else only the clicker sees it). The Slack and Teams adapters look an action up here,
// run it, and only render and acknowledge what it returns; its ids and data are in chat-actions.ts.
import { authorise, type Actor, type Need } from './access.js';
import * as actions from './actions.js';
import { chatActions, type ButtonData, type ChatAction } from './chat-actions.js';
import { formFor } from './forms.js';
import * as school from './school-actions.js';
import { decideSharingFor, setPreApprovalFor, sharing } from './sharing-actions.js';
import type { Form, View } from './view-model.js';

/** What pressing a button comes to. */
export type ActionEffect =
  | {
      kind: 'views';
      /** Top first: what was just done, then the list it was done on as it stands now. */
      views: View[];
      /** The page of the last view (a list). */
      page?: number;
      /** A decision: the school's posted run summaries are refreshed, the clicked one included. */
      decision: boolean;
      /** Replaces the clicked message for everyone in the conversation; else shown to the clicker only. */
      forEveryone: boolean;
    }
  /** The new accounts to print: a CSV file in Slack, a table card in Teams (to the clicker). */
  | { kind: 'file'; view: Extract<View, { kind: 'new_accounts' }>; page: number }
  /** A form to fill in: a modal in Slack, an input card in Teams (to the clicker). */
  | { kind: 'form'; form: Form }
  /** "Another account...": the search to pick from (Teams opens a search card; Slack's is a menu on the person). */
  | { kind: 'search'; dfeNumber: string; personId: string };

export interface ChatActionDef {
  ids: (typeof chatActions)[ChatAction];
  /** The least role that may press it (each action checks again for what it touches). */
  need: Need;
  /** Asks before acting: Slack with a confirm dialog on the button, Teams with a card to the clicker. */
  confirm?: { subject: (d: ButtonData) => string };
  run(ctx: actions.ActionContext, actor: Actor, d: ButtonData): Promise<ActionEffect>;
}

type Run = ChatActionDef['run'];

/** A list, shown to whoever asked for it. */
const list =
  (read: (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => Promise<View>): Run =>
  async (ctx, actor, d) => ({
    kind: 'views',
    views: [await read(ctx, actor, d)],
    page: d.page ?? 0,
    decision: false,
    forEveryone: false,
  });

/** A decision: what was done, above the list it was done on as it stands now, for everyone; summaries refreshed. */
const decided =
  (
    decide: (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => Promise<View>,
    listAfter?: (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => Promise<View>,
    options: { refresh?: boolean } = {},
  ): Run =>
  async (ctx, actor, d) => {
    const done = await decide(ctx, actor, d);
    return {
      kind: 'views',
      views: listAfter ? [done, await listAfter(ctx, actor, d)] : [done],
      page: d.page ?? 0,
      decision: options.refresh ?? true,
      forEveryone: true,
    };
  };

const matchesOf = (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => actions.listMatches(ctx, actor, d.d);
const heldOf = (ctx: actions.ActionContext, actor: Actor, d: ButtonData) =>
  actions.listHeld(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}), filter: d.f });
const unallocatedOf = (ctx: actions.ActionContext, actor: Actor, d: ButtonData) =>
  actions.listUnallocated(ctx, actor, d.d, d.f);
const nonMisOf = (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => actions.listNonMis(ctx, actor, d.d, d.f);
const exclusionsOf = (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => school.exclusions(ctx, actor, d.d);
/** One person's held change decided, from the list. */
const oneHeld = (decision: 'approved' | 'rejected') => (ctx: actions.ActionContext, actor: Actor, d: ButtonData) =>
  actions.decideOneHeld(ctx, actor, { dfeNumber: d.d, runId: d.r ?? '', username: d.u ?? '', decision });
const selected = (d: ButtonData) => (d.sel ?? '').split(',').filter(Boolean);
const sharingDecision =
  (decision: 'approved' | 'declined' | 'revoked'): Run =>
  async (ctx, actor, d) => ({
    kind: 'views',
    views: [await decideSharingFor(ctx, actor, { dfeNumber: d.d, subscriberId: d.s ?? '', decision })],
    decision: false,
    forEveryone: true,
  });

export const actionDefs: Record<ChatAction, ChatActionDef> = {
  match: {
    ids: chatActions.match,
    need: 'contact',
    run: decided(
      (ctx, actor, d) => actions.match(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '', username: d.u ?? '' }),
      matchesOf,
    ),
  },
  create: {
    ids: chatActions.create,
    need: 'contact',
    run: decided((ctx, actor, d) => actions.createNew(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '' }), matchesOf),
  },
  exclude: {
    ids: chatActions.exclude,
    need: 'contact',
    confirm: { subject: (d) => `MIS person ${d.p}` },
    run: decided((ctx, actor, d) => actions.exclude(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '' }), matchesOf),
  },
  restore: {
    ids: chatActions.restore,
    need: 'contact',
    confirm: { subject: (d) => d.u ?? 'The account' },
    run: decided(
      (ctx, actor, d) => actions.restore(ctx, actor, { dfeNumber: d.d, username: d.u ?? '' }),
      unallocatedOf,
    ),
  },
  restoreSelected: {
    ids: chatActions.restoreSelected,
    need: 'contact',
    confirm: { subject: (d) => `${selected(d).length} ticked account(s)` },
    run: decided(
      (ctx, actor, d) => actions.restoreMany(ctx, actor, { dfeNumber: d.d, usernames: selected(d) }),
      unallocatedOf,
    ),
  },
  approve: {
    ids: chatActions.approve,
    need: 'head',
    confirm: { subject: (d) => `The held changes of run ${d.r}` },
    run: decided((ctx, actor, d) => actions.approveHeldChanges(ctx, actor, d.r ?? '', { dfeNumber: d.d })),
  },
  reject: {
    ids: chatActions.reject,
    need: 'head',
    confirm: { subject: (d) => `The held changes of run ${d.r}` },
    run: decided((ctx, actor, d) => actions.rejectHeldChanges(ctx, actor, d.r ?? '', { dfeNumber: d.d })),
  },
  approveOne: { ids: chatActions.approveOne, need: 'head', run: decided(oneHeld('approved'), heldOf) },
  rejectOne: { ids: chatActions.rejectOne, need: 'head', run: decided(oneHeld('rejected'), heldOf) },
  held: { ids: chatActions.held, need: 'read', run: list(heldOf) },
  matches: { ids: chatActions.matches, need: 'read', run: list(matchesOf) },
  unallocated: { ids: chatActions.unallocated, need: 'read', run: list(unallocatedOf) },
  nonMis: {
    ids: chatActions.nonMis,
    need: 'read',
    run: list(nonMisOf),
  },
  newAccounts: {
    ids: chatActions.newAccounts,
    need: 'read',
    run: list((ctx, actor, d) =>
      actions.listNewAccounts(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}), filter: d.f }),
    ),
  },
  newAccountsFile: {
    ids: chatActions.newAccountsFile,
    need: 'read',
    run: async (ctx, actor, d) => ({
      kind: 'file',
      view: await actions.listNewAccounts(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}), filter: d.f }),
      page: d.page ?? 0,
    }),
  },
  invalid: {
    ids: chatActions.invalid,
    need: 'read',
    run: list((ctx, actor, d) => actions.listInvalid(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}) })),
  },
  undo: {
    ids: chatActions.undo,
    need: 'contact',
    run: async (ctx, actor, d) => {
      const { done, list: after } = await school.undoFromChat(ctx, actor, d);
      return { kind: 'views', views: [done, after], decision: true, forEveryone: true };
    },
  },
  exclusions: {
    ids: chatActions.exclusions,
    need: 'read',
    run: list(exclusionsOf),
  },
  removeExclusion: {
    ids: chatActions.removeExclusion,
    need: 'contact',
    run: decided(
      (ctx, actor, d) => school.removeExclusionFor(ctx, actor, { dfeNumber: d.d, key: d.x ?? '' }),
      exclusionsOf,
    ),
  },
  otherAccount: {
    ids: chatActions.otherAccount,
    need: 'contact',
    // with an account picked (Slack's menu), the match to confirm; without (Teams), the search to pick from
    run: async (ctx, actor, d) => {
      if (!d.u) {
        await authorise(ctx.db, actor, d.d, 'contact');
        return { kind: 'search', dfeNumber: d.d, personId: d.p ?? '' };
      }
      return actionDefs.chooseAccount.run(ctx, actor, d);
    },
  },
  chooseAccount: {
    ids: chatActions.chooseAccount,
    need: 'contact',
    run: list((ctx, actor, d) =>
      school.confirmMatch(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '', username: d.u ?? '' }),
    ),
  },
  retire: {
    ids: chatActions.retire,
    need: 'contact',
    confirm: { subject: (d) => d.u ?? 'The account' },
    run: decided((ctx, actor, d) => school.retire(ctx, actor, { dfeNumber: d.d, username: d.u ?? '' }), nonMisOf),
  },
  openForm: {
    ids: chatActions.openForm,
    need: 'contact',
    run: async (ctx, actor, d) => ({ kind: 'form', form: await formFor(ctx, actor, d) }),
  },
  summary: {
    ids: chatActions.summary,
    need: 'read',
    run: list((ctx, actor, d) => actions.runSummary(ctx, actor, d.d)),
  },
  sharing: { ids: chatActions.sharing, need: 'read', run: list((ctx, actor, d) => sharing(ctx, actor, d.d)) },
  approveSharing: { ids: chatActions.approveSharing, need: 'head', run: sharingDecision('approved') },
  declineSharing: { ids: chatActions.declineSharing, need: 'head', run: sharingDecision('declined') },
  revokeSharing: { ids: chatActions.revokeSharing, need: 'head', run: sharingDecision('revoked') },
  preApproval: {
    ids: chatActions.preApproval,
    need: 'head',
    run: async (ctx, actor, d) => ({
      kind: 'views',
      views: [await setPreApprovalFor(ctx, actor, d.d, d.o)],
      decision: false,
      forEveryone: true,
    }),
  },
};

/** Asks the clicker first when the action says so and the press is not the confirmation itself (Teams' `c`). */
export async function needsConfirming(
  ctx: actions.ActionContext,
  actor: Actor,
  action: ChatAction,
  d: ButtonData,
): Promise<string | undefined> {
  const def = actionDefs[action];
  if (!def.confirm || d.c === 1) return undefined;
  await authorise(ctx.db, actor, d.d, def.need); // only someone who may decide is asked
  return def.confirm.subject(d);
}
