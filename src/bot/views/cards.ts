// Pure renderers from action view models to Adaptive Cards for Teams: schema 1.5 (what Teams supports),
// Action.Execute (Universal Actions) with a verb and data for buttons, and within Teams' card size limit (checked
// by `cardProblems`). Cards have no confirmation dialogs, so a decision that removes access or cannot be undone
// (exclude, restore, approve, reject) first shows a confirmation card whose "yes" carries `c: 1`.
import type { CandidateView, MatchView, View } from '../view-model.js';
import { chatActions, type ConfirmedAction } from '../chat-actions.js';

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  // no `$schema`: Teams does not need it, and MongoDB keys cannot start with `$` (cards are stored in the outbox)
  version: '1.5';
  body: Element[];
  actions?: Action[];
}
type Element =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      weight?: 'Bolder';
      size?: 'Medium';
      isSubtle?: true;
      spacing?: 'Medium';
    }
  | { type: 'Container'; items: Element[]; separator?: true; style?: 'emphasis' | 'attention' }
  | { type: 'ActionSet'; actions: Action[] };
export interface Action {
  type: 'Action.Execute';
  title: string;
  verb: string;
  data: Record<string, string | number>;
  style?: 'positive' | 'destructive';
}

/** Teams refuses cards over about 28 KB. */
export const CARD_MAX_BYTES = 28 * 1024;
export const CARD_MATCHES_PER_PAGE = 5;

const text = (t: string, extra: Partial<Extract<Element, { type: 'TextBlock' }>> = {}): Element => ({
  type: 'TextBlock',
  text: t,
  wrap: true,
  ...extra,
});
const card = (body: Element[], actions?: Action[]): AdaptiveCard => ({
  type: 'AdaptiveCard',
  version: '1.5',
  body,
  ...(actions?.length ? { actions } : {}),
});
const exec = (title: string, verb: string, data: Record<string, string | number>, style?: Action['style']): Action => ({
  type: 'Action.Execute',
  title: title.slice(0, 60),
  verb,
  data,
  ...(style ? { style } : {}),
});
/** Adaptive Card markdown is small, but a name must not turn into a link or emphasis. */
const esc = (s: string) => s.replace(/([*_[\]()>#`~])/g, '\\$1');

function candidate(c: CandidateView): Element {
  return {
    type: 'Container',
    items: [
      text(`**${esc(c.name)}** (${c.username}), score ${c.score.toFixed(2)}`),
      text(
        `born ${esc(c.maskedDob ?? 'unknown')} · ${c.schools.length ? `at ${c.schools.join(', ')}` : 'unallocated'}${c.lastSeen ? ` · last seen ${c.lastSeen}` : ''}`,
        { isSubtle: true },
      ),
      text(esc(c.reasons.join('; ')), { isSubtle: true }),
    ],
  };
}

export function matchContainer(dfeNumber: string, m: MatchView, page = 0): Element {
  const shown = m.candidates.slice(0, 3);
  const key = { d: dfeNumber, p: m.personId };
  return {
    type: 'Container',
    separator: true,
    items: [
      text(`**${esc(m.name)}** (MIS ${m.role} ${esc(m.personId)}, born ${esc(m.maskedDob ?? 'unknown')}) looks like:`),
      ...shown.map(candidate),
      {
        type: 'ActionSet',
        actions: [
          ...shown.map((c) =>
            exec(`Match to ${c.username}`, chatActions.match.teams, { ...key, u: c.username }, 'positive'),
          ),
          exec('Create new account', chatActions.create.teams, key),
          exec('Exclude from USO', chatActions.exclude.teams, { ...key, page }, 'destructive'),
        ],
      },
    ],
  };
}

export function renderCard(view: View, page = 0): AdaptiveCard {
  switch (view.kind) {
    case 'matches': {
      if (view.matches.length === 0) return card([text(`Nobody at ${view.dfeNumber} is waiting to be matched.`)]);
      const pages = Math.ceil(view.matches.length / CARD_MATCHES_PER_PAGE);
      const p = Math.min(Math.max(page, 0), pages - 1);
      const slice = view.matches.slice(p * CARD_MATCHES_PER_PAGE, (p + 1) * CARD_MATCHES_PER_PAGE);
      const pager = [
        ...(p > 0 ? [exec('Previous', chatActions.matches.teams, { d: view.dfeNumber, page: p - 1 })] : []),
        ...(p < pages - 1 ? [exec('Next', chatActions.matches.teams, { d: view.dfeNumber, page: p + 1 })] : []),
      ];
      return card(
        [
          text(`${view.matches.length} waiting to be matched at ${view.dfeNumber}`, {
            weight: 'Bolder',
            size: 'Medium',
          }),
          text(`Page ${p + 1} of ${pages}`, { isSubtle: true }),
          ...slice.map((m) => matchContainer(view.dfeNumber, m, p)),
        ],
        pager,
      );
    }
    case 'summary': {
      const counts = Object.entries(view.counts)
        .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
        .join(' · ');
      const actions = [
        ...(view.held
          ? [
              exec('Approve held changes', chatActions.approve.teams, { d: view.dfeNumber, r: view.runId }, 'positive'),
              exec('Reject', chatActions.reject.teams, { d: view.dfeNumber, r: view.runId }),
            ]
          : []),
        ...(view.openMatches
          ? [exec(`${view.openMatches} to match`, chatActions.matches.teams, { d: view.dfeNumber, page: 0 })]
          : []),
        ...(view.counts.unallocated
          ? [exec('Unallocated accounts', chatActions.unallocated.teams, { d: view.dfeNumber })]
          : []),
      ];
      return card(
        [
          text(`**${esc(view.schoolName)}** (${view.dfeNumber}): run ${view.status}`, { size: 'Medium' }),
          ...(view.note ? [text(esc(view.note), { isSubtle: true })] : []),
          text(counts || 'nothing to do'),
          ...(view.held
            ? [
                {
                  type: 'Container' as const,
                  style: 'attention' as const,
                  items: [text(`${view.held} change(s) held for approval.`)],
                },
              ]
            : []),
        ],
        actions,
      );
    }
    case 'accounts': {
      const title =
        view.list === 'unallocated'
          ? `Unallocated accounts at ${view.dfeNumber}`
          : `Accounts at ${view.dfeNumber} not in the MIS`;
      const shown = view.accounts.slice(0, 40);
      if (shown.length === 0) return card([text(`${title}: none.`)]);
      return card([
        text(
          `${title} (${view.accounts.length}${view.accounts.length > shown.length ? `, first ${shown.length} shown` : ''})`,
          { weight: 'Bolder' },
        ),
        ...shown.map((a): Element => ({
          type: 'Container',
          separator: true,
          items: [
            text(`**${esc(a.name)}** (${a.username})${a.until ? ` · left ${a.until}` : ''}`),
            ...(view.list === 'unallocated'
              ? [
                  {
                    type: 'ActionSet' as const,
                    actions: [exec('Restore', chatActions.restore.teams, { d: view.dfeNumber, u: a.username })],
                  },
                ]
              : []),
          ],
        })),
      ]);
    }
    case 'status':
      return card([
        ...(view.paused ? [text('All runs are paused.', { isSubtle: true })] : []),
        ...view.schools.slice(0, 40).map((s): Element => {
          const counts = s.lastRun?.counts
            ? Object.entries(s.lastRun.counts)
                .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
                .join(', ')
            : 'no run yet';
          const held = s.heldChanges.reduce((n, h) => n + h.count, 0);
          return {
            type: 'Container',
            separator: true,
            items: [
              text(`**${esc(s.name)}** (${s.dfeNumber})${s.paused ? ' · paused' : ''}`),
              text(
                `last run: ${s.lastRun ? `${s.lastRun.status} ${s.lastRun.startedAt.slice(0, 16).replace('T', ' ')}` : '-'} · ${counts}`,
                { isSubtle: true },
              ),
              text(`to do: ${s.openMatches} to match, ${held} held change(s)`),
            ],
          };
        }),
        ...(view.schools.length > 40
          ? [text(`${view.schools.length - 40} more schools: ask for \`status DFE\`.`, { isSubtle: true })]
          : []),
      ]);
    case 'decided':
      return card([
        text(
          `MIS person ${view.personId} was ${view.decision === 'matched' ? `matched to ${view.username}` : view.decision === 'created' ? `given a new account ${view.username}` : 'excluded from USO'} by ${esc(view.by)}.`,
        ),
      ]);
    case 'restored':
      return card([text(`${view.username} was restored at ${view.dfeNumber} by ${esc(view.by)}.`)]);
    case 'held_decided':
      return card([
        text(
          `The held changes of run ${view.runId} were ${view.decision} by ${esc(view.by)}${view.decision === 'approved' ? `: ${view.applied} applied${view.stale.length ? `, ${view.stale.length} skipped (changed since)` : ''}` : ''}.`,
        ),
      ]);
    case 'run_queued':
      return card([text(`A run for ${view.dfeNumber} was started by ${esc(view.by)}.`)]);
  }
}

/** One card shown above another (a decision above the list it was made on), keeping the lower card's buttons. */
export function stacked(top: AdaptiveCard, below: AdaptiveCard): AdaptiveCard {
  return card([...top.body, { type: 'Container', separator: true, items: below.body }], below.actions);
}

/** The question before a decision that cannot simply be undone: "yes" repeats the action with `c: 1`. */
function confirmCard(question: string, detail: string, yes: Action, back: Action): AdaptiveCard {
  return card([text(question, { weight: 'Bolder' }), text(detail)], [{ ...yes, data: { ...yes.data, c: 1 } }, back]);
}

/** The confirmation each guarded decision asks for, and where Cancel goes back to. */
export function confirmationFor(
  action: ConfirmedAction,
  data: {
    d: string;
    p?: string | undefined;
    u?: string | undefined;
    r?: string | undefined;
    page?: number | undefined;
  },
  subject: string,
): AdaptiveCard {
  const d = data.d;
  const verb = chatActions[action].teams;
  switch (action) {
    case 'exclude':
      return confirmCard(
        'Exclude from USO?',
        `${esc(subject)} will never get an account at this school, now or later.`,
        exec('Exclude', verb, { d, p: data.p ?? '' }, 'destructive'),
        exec('Cancel', chatActions.matches.teams, { d, page: data.page ?? 0 }),
      );
    case 'restore':
      return confirmCard(
        'Restore this account?',
        `${esc(subject)} gets access at this school again, kept by hand until the MIS lists them.`,
        exec('Restore', verb, { d, u: data.u ?? '' }, 'positive'),
        exec('Cancel', chatActions.unallocated.teams, { d }),
      );
    case 'approve':
      return confirmCard(
        'Apply the held changes?',
        `${esc(subject)} will be applied: accounts change or lose access to this school.`,
        exec('Approve', verb, { d, r: data.r ?? '' }, 'positive'),
        exec('Cancel', chatActions.summary.teams, { d }),
      );
    case 'reject':
      return confirmCard(
        'Discard the held changes?',
        'Nothing is changed; the next run will ask again if the MIS still says so.',
        exec('Reject', verb, { d, r: data.r ?? '' }, 'destructive'),
        exec('Cancel', chatActions.summary.teams, { d }),
      );
  }
}

/** What Teams would refuse: a version above 1.5, a card over the size limit, an action without a verb. */
export function cardProblems(c: AdaptiveCard): string[] {
  const problems: string[] = [];
  if (c.version !== '1.5') problems.push(`version ${c.version}`);
  const bytes = Buffer.byteLength(JSON.stringify(c));
  if (bytes > CARD_MAX_BYTES) problems.push(`${bytes} bytes (max ${CARD_MAX_BYTES})`);
  const walk = (els: Element[]) => {
    for (const e of els) {
      if (e.type === 'Container') walk(e.items);
      if (e.type === 'ActionSet') for (const a of e.actions) if (!a.verb) problems.push('action without a verb');
    }
  };
  walk(c.body);
  for (const a of c.actions ?? []) if (!a.verb) problems.push('action without a verb');
  return problems;
}
