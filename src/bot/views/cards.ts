// Pure renderers from action view models to Adaptive Cards for Teams: schema 1.5 (what Teams supports),
// Action.Execute (Universal Actions) with a verb and data for buttons, and within Teams' card size limit (checked
// by `cardProblems`). Cards have no confirmation dialogs, so a decision that removes access or cannot be undone
// (exclude, restore, approve, reject) first shows a confirmation card whose "yes" carries `c: 1`.
import {
  heldDecidedText,
  pageOf,
  type Form,
  type FormField,
  type CandidateView,
  type KindFilter,
  type MatchView,
  type View,
  filterWords,
  HOW_WORDS,
  heldChangeWhat,
  listControlsOf,
  sharingChoices,
  SHARING_STATE_WORDS,
} from '../view-model.js';
import { chatActions, forms, selection, type ButtonData, type ConfirmedAction } from '../chat-actions.js';

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
  | { type: 'Container'; items: Element[]; separator?: true; style?: 'emphasis' | 'attention' | 'good' }
  | { type: 'ActionSet'; actions: Action[] }
  | {
      type: 'Input.ChoiceSet';
      id: string;
      isMultiSelect?: boolean;
      style: 'expanded' | 'filtered';
      label?: string;
      isRequired?: boolean;
      value?: string;
      choices: { title: string; value: string }[];
      /** Teams' typeahead search: choices come from the bot as the user types. */
      'choices.data'?: { type: 'Data.Query'; dataset: string };
    }
  | { type: 'Input.Text'; id: string; label: string; isRequired: boolean; value?: string; maxLength?: number }
  | { type: 'Input.Number'; id: string; label: string; isRequired: boolean; value?: number }
  | { type: 'Input.Date'; id: string; label: string; isRequired: boolean; value?: string }
  | {
      type: 'Table';
      firstRowAsHeader: true;
      columns: { width: number }[];
      rows: { type: 'TableRow'; cells: { type: 'TableCell'; items: Element[] }[] }[];
    };
export interface Action {
  type: 'Action.Execute';
  title: string;
  verb: string;
  data: Record<string, string | number>;
  style?: 'positive' | 'destructive';
  /** `auto`: the card's inputs (a list's tick boxes) are sent with the data. */
  associatedInputs?: 'auto' | 'none';
}

/** Teams refuses cards over about 28 KB. */
export const CARD_MAX_BYTES = 28 * 1024;
export const CARD_MATCHES_PER_PAGE = 5;
/** The Data.Query dataset of the "Another account..." search. */
export const ACCOUNT_SEARCH = 'uso.accounts';
/** People a `who` card shows: each carries schools and history, and a card holds about 28 KB. */
export const CARD_WHO_MAX = 5;
/** Rows per page of the other lists (each checked against the size limit with a thousand people). */
export const CARD_PAGE_SIZES = { held: 10, accounts: 10, newAccounts: 20, invalid: 20, table: 40 } as const;

/** A paged list's controls (view-model.ts says which) as card actions. */
function listControls(
  verb: string,
  base: ButtonData,
  page: number,
  pages: number,
  filter: KindFilter,
  filterable = true,
): Action[] {
  return listControlsOf(base, page, pages, filter, filterable).map((c) =>
    exec(c.label, verb, c.data as Record<string, string | number>),
  );
}

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
          exec('Another account...', chatActions.otherAccount.teams, key),
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
      const c = view.counts;
      const actions = [
        ...(view.held
          ? [
              exec(
                'Review held changes',
                chatActions.held.teams,
                { d: view.dfeNumber, r: view.runId, page: 0 },
                'positive',
              ),
              exec('Approve all', chatActions.approve.teams, { d: view.dfeNumber, r: view.runId }),
              exec('Reject all', chatActions.reject.teams, { d: view.dfeNumber, r: view.runId }),
            ]
          : []),
        ...(c.created || c.future_starter || c.auto_matched
          ? [
              exec(`${(c.created ?? 0) + (c.future_starter ?? 0)} new accounts`, chatActions.newAccounts.teams, {
                d: view.dfeNumber,
                r: view.runId,
                page: 0,
              }),
            ]
          : []),
        ...(c.invalid
          ? [
              exec(`${c.invalid} invalid records`, chatActions.invalid.teams, {
                d: view.dfeNumber,
                r: view.runId,
                page: 0,
              }),
            ]
          : []),
        ...(view.openMatches
          ? [exec(`${view.openMatches} to match`, chatActions.matches.teams, { d: view.dfeNumber, page: 0 })]
          : []),
        ...(view.counts.unallocated
          ? [exec('Unallocated accounts', chatActions.unallocated.teams, { d: view.dfeNumber, page: 0 })]
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
                  items: [
                    text(`${view.held} change(s) held for approval${view.guards.length ? ':' : '.'}`),
                    ...view.guards.map((g) => text(`- ${esc(g)}`)),
                  ],
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
          ? `Unallocated accounts at ${view.dfeNumber}${filterWords(view.filter)}`
          : `Accounts at ${view.dfeNumber} not in the MIS${filterWords(view.filter)}`;
      const verb = view.list === 'unallocated' ? chatActions.unallocated.teams : chatActions.nonMis.teams;
      const { slice, page: p, pages } = pageOf(view.accounts, page, CARD_PAGE_SIZES.accounts);
      const controls = listControls(verb, { d: view.dfeNumber }, p, pages, view.filter);
      if (view.accounts.length === 0) return card([text(`${title}: none.`)], controls);
      const selectable = view.list === 'unallocated';
      return card(
        [
          text(`${title}: ${view.accounts.length}, newest first`, { weight: 'Bolder' }),
          text(`Page ${p + 1} of ${pages}`, { isSubtle: true }),
          ...slice.map((a): Element => ({
            type: 'Container',
            separator: true,
            items: [
              text(
                `**${esc(a.name)}** (${a.username}) · ${a.role}${a.group ? `, ${esc(a.group)}` : ''}${a.until ? ` · left ${a.until}` : a.since ? ` · since ${a.since}` : ''}`,
              ),
              {
                type: 'ActionSet' as const,
                actions: selectable
                  ? [exec('Restore', chatActions.restore.teams, { d: view.dfeNumber, u: a.username })]
                  : [
                      exec('Keep', chatActions.openForm.teams, { d: view.dfeNumber, u: a.username, form: 'keep' }),
                      exec('Retire', chatActions.retire.teams, { d: view.dfeNumber, u: a.username }, 'destructive'),
                    ],
              },
            ],
          })),
          ...(selectable
            ? [
                {
                  type: 'Input.ChoiceSet' as const,
                  id: selection.teams,
                  isMultiSelect: true as const,
                  style: 'expanded' as const,
                  label: 'Tick accounts to restore together',
                  choices: slice.map((a) => ({ title: `${a.name} (${a.username})`, value: a.username })),
                },
                {
                  type: 'ActionSet' as const,
                  actions: [
                    {
                      ...exec('Restore selected', chatActions.restoreSelected.teams, {
                        d: view.dfeNumber,
                        page: p,
                        ...(view.filter ? { f: view.filter } : {}),
                      }),
                      associatedInputs: 'auto' as const,
                    },
                  ],
                },
              ]
            : []),
        ],
        [
          ...(selectable
            ? []
            : [exec('Ask for an account', chatActions.openForm.teams, { d: view.dfeNumber, form: 'request' })]),
          ...controls,
        ],
      );
    }
    case 'restored_many':
      return card([
        text(
          `${view.restored.length} account(s) restored at ${view.dfeNumber} by ${esc(view.by)}${view.restored.length ? `: ${view.restored.join(', ')}` : ''}.`,
        ),
        ...(view.refused.length
          ? [
              text(`Not restored: ${view.refused.map((r) => `${r.username} (${esc(r.reason)})`).join('; ')}`, {
                isSubtle: true,
              }),
            ]
          : []),
      ]);
    case 'held': {
      const { slice, page: p, pages } = pageOf(view.changes, page, CARD_PAGE_SIZES.held);
      const base = { d: view.dfeNumber, r: view.runId };
      return card(
        [
          text(`Held changes at ${view.dfeNumber}${filterWords(view.filter)}`, { weight: 'Bolder', size: 'Medium' }),
          text(`${view.changes.length} shown, ${view.open} still to decide. Page ${p + 1} of ${pages}.`, {
            isSubtle: true,
          }),
          ...(view.guards.length
            ? [{ type: 'Container' as const, style: 'attention' as const, items: view.guards.map((g) => text(esc(g))) }]
            : []),
          ...slice.map((c): Element => {
            const what = heldChangeWhat(c, esc);
            return {
              type: 'Container',
              separator: true,
              items: [
                text(`**${esc(c.name)}** (${c.username}) · ${c.role}${c.group ? `, ${esc(c.group)}` : ''}`),
                text(what),
                c.state === 'held'
                  ? {
                      type: 'ActionSet',
                      actions: [
                        exec('Approve', chatActions.approveOne.teams, { ...base, u: c.username }, 'positive'),
                        exec('Reject', chatActions.rejectOne.teams, { ...base, u: c.username }),
                      ],
                    }
                  : text(
                      `${c.state === 'not_applied' ? 'approved, but not applied: the account changed since' : c.state}${c.by ? ` by ${esc(c.by)}` : ''}`,
                      { isSubtle: true },
                    ),
              ],
            };
          }),
          ...(view.open
            ? [
                {
                  type: 'ActionSet' as const,
                  actions: [
                    exec(`Approve all ${view.open}`, chatActions.approve.teams, base),
                    exec(`Reject all ${view.open}`, chatActions.reject.teams, base),
                  ],
                },
              ]
            : []),
        ],
        listControls(chatActions.held.teams, base, p, pages, view.filter),
      );
    }
    case 'new_accounts': {
      const { slice, page: p, pages } = pageOf(view.accounts, page, CARD_PAGE_SIZES.newAccounts);
      const base = { d: view.dfeNumber, ...(view.runId ? { r: view.runId } : {}) };
      const title = `New accounts at ${view.dfeNumber}${filterWords(view.filter)}, ${view.scope}`;
      return card(
        [
          text(view.accounts.length ? `${title}: ${view.accounts.length}, newest first` : `${title}: none.`, {
            weight: 'Bolder',
          }),
          ...(view.accounts.length ? [text(`Page ${p + 1} of ${pages}`, { isSubtle: true })] : []),
          ...slice.map((a): Element =>
            text(
              `**${esc(a.name)}** (${a.username}) · ${a.role}${a.group ? `, ${esc(a.group)}` : ''} · ${HOW_WORDS[a.how]}${a.firstDay ? ` · first day ${a.firstDay}` : ''} · ${a.at.slice(0, 10)}`,
            ),
          ),
        ],
        [
          ...(view.accounts.length && view.runId
            ? [
                exec('Table for login slips', chatActions.newAccountsFile.teams, {
                  ...base,
                  page: 0,
                  ...(view.filter ? { f: view.filter } : {}),
                }),
              ]
            : []),
          ...listControls(chatActions.newAccounts.teams, base, p, pages, view.filter),
        ],
      );
    }
    case 'invalid': {
      const { slice, page: p, pages } = pageOf(view.records, page, CARD_PAGE_SIZES.invalid);
      const title = `Records the MIS sent for ${view.dfeNumber} that could not be used`;
      return card(
        [
          text(view.records.length ? `${title}: ${view.records.length}` : `${title}: none.`, { weight: 'Bolder' }),
          ...(view.records.length
            ? [
                text(`Correct them in Integris; the next run picks them up. Page ${p + 1} of ${pages}.`, {
                  isSubtle: true,
                }),
              ]
            : []),
          ...slice.map((r): Element => ({
            type: 'Container',
            separator: true,
            items: [
              text(`**${esc(r.name ?? 'no name')}** (${r.report} record ${esc(r.personId)})`),
              text(`${r.field ? `${esc(r.field)}: ` : ''}${esc(r.reason)}`),
            ],
          })),
        ],
        listControls(chatActions.invalid.teams, { d: view.dfeNumber, r: view.runId }, p, pages, undefined, false),
      );
    }
    case 'who': {
      if (view.found.length === 0)
        return card([
          text(
            `Nobody matching "${esc(view.query.slice(0, 100))}" at ${view.schools.length === 1 ? view.schools[0] : `your ${view.schools.length} schools`}.`,
          ),
        ]);
      const shown = view.found.slice(0, CARD_WHO_MAX);
      return card([
        text(
          `${view.found.length} found for "${esc(view.query.slice(0, 100))}"${view.found.length > shown.length ? ` (the best ${shown.length} shown: add a surname, a year or a UPN to narrow it)` : ''}`,
          { weight: 'Bolder' },
        ),
        ...shown.map((f): Element => ({
          type: 'Container',
          separator: true,
          items: [
            text(
              f.account
                ? `**${esc(f.name)}** (${f.account.username}) · ${f.account.status} · born ${esc(f.maskedDob ?? 'unknown')} · latest move or create ${f.account.latestMoveOrCreateAt.slice(0, 10)}`
                : `**${esc(f.name)}** · MIS ${f.mis!.role} ${esc(f.mis!.personId)} at ${f.dfeNumber} · born ${esc(f.maskedDob ?? 'unknown')} · **no account**`,
            ),
            ...(f.account
              ? f.account.associations.map((x) =>
                  text(
                    `${x.dfeNumber} ${x.role}${x.group ? ` (${esc(x.group)})` : ''} ${x.status}${x.source === 'manual' ? ' by hand' : ''} from ${x.since}${x.until ? ` to ${x.until}` : ''}`,
                    { isSubtle: true },
                  ),
                )
              : []),
            ...f.history
              .slice(0, 8)
              .map((h) =>
                text(
                  `${h.at.slice(0, 10)} ${esc(h.what)}${h.reason ? `: ${esc(h.reason)}` : ''}${h.by ? ` (${esc(h.by)})` : ''}`,
                  { isSubtle: true },
                ),
              ),
          ],
        })),
      ]);
    }
    case 'notice':
      return card([
        {
          type: 'Container',
          style: view.tone === 'problem' ? 'attention' : view.tone === 'recovered' ? 'good' : 'emphasis',
          items: [text(`**${esc(view.schoolName)}** (${view.dfeNumber}): ${esc(view.title)}`), text(esc(view.detail))],
        },
      ]);
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
        undoSet({
          d: view.dfeNumber,
          p: view.personId,
          k: view.decision === 'matched' ? 'match' : view.decision === 'created' ? 'create' : 'exclude',
        }),
      ]);
    case 'restored':
      return card([
        text(`${view.username} was restored at ${view.dfeNumber} by ${esc(view.by)}.`),
        undoSet({ d: view.dfeNumber, u: view.username, k: 'restore' }),
      ]);
    case 'held_decided':
      return card([
        text(heldDecidedText(view, esc)),
        ...(view.only && view.decision === 'approved' && view.decided.length === 1 && view.applied === 1
          ? [undoSet({ d: view.dfeNumber, r: view.runId, u: view.decided[0]!, k: 'approve' })]
          : []),
      ]);
    case 'undone':
      return card([text(`${esc(view.text)} (${esc(view.by)})`)]);
    case 'exclusions': {
      const { slice, page: p, pages } = pageOf(view.items, page, CARD_PAGE_SIZES.accounts);
      return card(
        [
          text(
            view.items.length
              ? `Names never to get an account at ${view.dfeNumber}: ${view.items.length} (page ${p + 1} of ${pages})`
              : `Names never to get an account at ${view.dfeNumber}: none.`,
            { weight: 'Bolder' },
          ),
          ...slice.map((e): Element => ({
            type: 'Container',
            separator: true,
            items: [
              text(
                `**${esc(e.name)}**${e.maskedDob ? ` born ${e.maskedDob}` : ''} · added ${e.addedAt} by ${esc(e.addedBy)}`,
              ),
              {
                type: 'ActionSet',
                actions: [exec('Remove', chatActions.removeExclusion.teams, { d: view.dfeNumber, x: e.key })],
              },
            ],
          })),
        ],
        [
          exec('Add a name', chatActions.openForm.teams, { d: view.dfeNumber, form: 'exclusion' }, 'positive'),
          ...listControls(chatActions.exclusions.teams, { d: view.dfeNumber }, p, pages, undefined, false),
        ],
      );
    }
    case 'sharing': {
      const { slice, page: p, pages } = pageOf(view.requests, page, CARD_PAGE_SIZES.accounts);
      return card(
        [
          ...(view.done ? [text(esc(view.done), { weight: 'Bolder' })] : []),
          text(
            `Services asking for the data of ${esc(view.schoolName)}: ${view.requests.length || 'none'}${pages > 1 ? ` (page ${p + 1} of ${pages})` : ''}. The LA ${view.laPreApproval ? 'may' : 'may not'} pre-approve services for the school.`,
            { weight: 'Bolder' },
          ),
          ...slice.map((r): Element => ({
            type: 'Container',
            separator: true,
            items: [
              text(`**${esc(r.name)}**: ${SHARING_STATE_WORDS[r.state]}`),
              text(esc(r.wants)),
              ...(r.decided ? [text(esc(r.decided), { isSubtle: true })] : []),
              {
                type: 'ActionSet',
                actions: sharingChoices(r.state).map((c) =>
                  exec(
                    c.label,
                    chatActions[c.action].teams,
                    { d: view.dfeNumber, s: r.subscriberId },
                    c.positive ? 'positive' : 'destructive',
                  ),
                ),
              },
            ],
          })),
        ],
        [
          view.laPreApproval
            ? exec('Stop LA pre-approval', chatActions.preApproval.teams, { d: view.dfeNumber, o: 'refuse' })
            : exec('Allow LA pre-approval', chatActions.preApproval.teams, { d: view.dfeNumber, o: 'allow' }),
          ...listControls(chatActions.sharing.teams, { d: view.dfeNumber }, p, pages, undefined, false),
        ],
      );
    }
    case 'confirm_match':
      return card(
        [
          text(
            `Match **${esc(view.personName)}** (MIS ${esc(view.personId)}, born ${esc(view.personDob ?? 'unknown')}) to **${esc(view.account.name)}** (${view.account.username}), born ${esc(view.account.maskedDob ?? 'unknown')}?`,
          ),
          ...view.account.schools.map((x) => text(esc(x), { isSubtle: true })),
        ],
        [
          exec(
            `Match to ${view.account.username}`,
            chatActions.match.teams,
            { d: view.dfeNumber, p: view.personId, u: view.account.username },
            'positive',
          ),
          exec('Back to the list', chatActions.matches.teams, { d: view.dfeNumber, page: 0 }),
        ],
      );
    case 'settings':
      return card(
        [
          text(
            `Settings of **${esc(view.schoolName)}** (${view.dfeNumber}), MIS ${esc(view.mis)}${view.paused ? ' · **runs paused**' : ''}`,
          ),
          ...view.reports.map((r) =>
            text(
              `${r.accepted ? '✔' : '○'} **${r.report}** (${esc(r.uses)})${r.shared ? (r.accepted ? '' : ': shared, not accepted') : ': not shared in Integris'}`,
            ),
          ),
          text(
            `leaver grace days ${view.graceDays} · hold leavers above ${view.unallocationThresholdPercent}% · hold changes above ${view.updateThresholdPercent}% · accounts made ${view.preProvisionDays} day(s) before a start`,
            { isSubtle: true },
          ),
        ],
        [exec('Change settings', chatActions.openForm.teams, { d: view.dfeNumber, form: 'settings' }, 'positive')],
      );
    case 'run_queued':
      return card([text(`A run for ${view.dfeNumber} was started by ${esc(view.by)}.`)]);
  }
}

/** A table of new accounts to print login slips from, a page at a time. */
export function newAccountsTable(view: Extract<View, { kind: 'new_accounts' }>, page = 0): AdaptiveCard {
  const { slice, page: p, pages } = pageOf(view.accounts, page, CARD_PAGE_SIZES.table);
  const cell = (t: string) => ({ type: 'TableCell' as const, items: [text(t)] });
  const base = {
    d: view.dfeNumber,
    ...(view.runId ? { r: view.runId } : {}),
    ...(view.filter ? { f: view.filter } : {}),
  };
  return card(
    [
      text(`New accounts at ${view.dfeNumber}, ${view.scope} (page ${p + 1} of ${pages})`, { weight: 'Bolder' }),
      {
        type: 'Table',
        firstRowAsHeader: true,
        columns: [{ width: 3 }, { width: 2 }, { width: 2 }, { width: 2 }],
        rows: [
          { type: 'TableRow', cells: ['Name', 'Username', 'Year / role', 'First day'].map(cell) },
          ...slice.map((a) => ({
            type: 'TableRow' as const,
            cells: [a.name, a.username, a.group ?? a.role, a.firstDay ?? ''].map(cell),
          })),
        ],
      },
    ],
    [
      ...(p > 0 ? [exec('Previous', chatActions.newAccountsFile.teams, { ...base, page: p - 1 })] : []),
      ...(p < pages - 1 ? [exec('Next', chatActions.newAccountsFile.teams, { ...base, page: p + 1 })] : []),
    ],
  );
}

/** "Undo", for a week after a decision (the service checks the week and that nothing changed since). */
function undoSet(data: Record<string, string | number>): Element {
  return { type: 'ActionSet', actions: [exec('Undo', chatActions.undo.teams, data)] };
}

/** "Another account...": a search over the LA's accounts as the user types (a Data.Query the bot answers). */
export function otherAccountCard(dfeNumber: string, personId: string): AdaptiveCard {
  return card(
    [
      text(`Another account for MIS person ${esc(personId)}`, { weight: 'Bolder' }),
      {
        type: 'Input.ChoiceSet',
        id: 'u',
        label: 'Type a name or username',
        style: 'filtered',
        isRequired: true,
        choices: [],
        'choices.data': { type: 'Data.Query', dataset: ACCOUNT_SEARCH },
      },
    ],
    [
      {
        ...exec('Show this account', chatActions.chooseAccount.teams, { d: dfeNumber, p: personId }, 'positive'),
        associatedInputs: 'auto',
      },
      exec('Back to the list', chatActions.matches.teams, { d: dfeNumber, page: 0 }),
    ],
  );
}

/** A form as an input card: each field an input named by the field, submitted with the form's meta. */
export function formCard(form: Form): AdaptiveCard {
  const input = (f: FormField): Element => {
    const common = { id: f.name, label: f.label, isRequired: f.optional !== true };
    const initial =
      typeof f.initial === 'string' ? f.initial : Array.isArray(f.initial) ? f.initial.join(',') : undefined;
    switch (f.kind) {
      case 'text':
        return { type: 'Input.Text', ...common, ...(initial ? { value: initial } : {}), maxLength: 200 };
      case 'number':
        return { type: 'Input.Number', ...common, ...(initial ? { value: Number(initial) } : {}) };
      case 'date':
        return { type: 'Input.Date', ...common, ...(initial ? { value: initial } : {}) };
      case 'choice':
      case 'multi':
        return {
          type: 'Input.ChoiceSet',
          ...common,
          style: 'expanded',
          ...(f.kind === 'multi' ? { isMultiSelect: true, isRequired: false } : {}),
          choices: (f.options ?? []).map((o) => ({ title: o.label, value: o.value })),
          ...(initial ? { value: initial } : {}),
        };
    }
  };
  return card(
    [
      text(form.title, { weight: 'Bolder', size: 'Medium' }),
      ...(form.intro ? [text(esc(form.intro), { isSubtle: true })] : []),
      ...form.fields.map(input),
    ],
    [
      {
        ...exec(form.submit, forms[form.id].teams, { ...form.meta } as Record<string, string | number>, 'positive'),
        associatedInputs: 'auto',
      },
    ],
  );
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
    f?: string | undefined;
    sel?: string | undefined;
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
    case 'retire':
      return confirmCard(
        'Retire this account?',
        `${esc(subject)} loses access at this school and joins the unallocated pool, like a leaver.`,
        exec('Retire', verb, { d, u: data.u ?? '' }, 'destructive'),
        exec('Cancel', chatActions.nonMis.teams, { d }),
      );
    case 'restoreSelected': {
      const back = { d, page: data.page ?? 0, ...(data.f ? { f: data.f } : {}) };
      return confirmCard(
        'Restore the ticked accounts?',
        `${esc(subject)}: each gets access at this school again, kept by hand until the MIS lists them.`,
        exec('Restore', verb, { ...back, sel: data.sel ?? '' }, 'positive'),
        exec('Cancel', chatActions.unallocated.teams, back),
      );
    }
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
  const json = JSON.stringify(c);
  if (/"type":"(Table|Input\.ChoiceSet)"/.test(json) && c.version !== '1.5') problems.push('table or inputs need 1.5');
  for (const a of c.actions ?? []) if (!a.verb) problems.push('action without a verb');
  return problems;
}
