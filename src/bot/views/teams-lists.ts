// Teams cards of the lists an admin works through: people to match with their candidates, accounts, held changes,
// new accounts (and their table to print), invalid records, people found, exclusions and the services asking for data.
import {
  pageOf,
  type CandidateView,
  type MatchView,
  type View,
  filterWords,
  HOW_WORDS,
  heldChangeWhat,
  sharingChoices,
  SHARING_STATE_WORDS,
} from '../view-model.js';
import { chatActions, selection } from '../chat-actions.js';
import {
  type AdaptiveCard,
  type Element,
  CARD_MATCHES_PER_PAGE,
  CARD_WHO_MAX,
  CARD_PAGE_SIZES,
  listControls,
  text,
  card,
  exec,
  esc,
} from './teams-kit.js';

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

export function matchesCard(view: Extract<View, { kind: 'matches' }>, page: number): AdaptiveCard {
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

export function accountsCard(view: Extract<View, { kind: 'accounts' }>, page: number): AdaptiveCard {
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
            `**${esc(a.name)}** (${a.username}) · ${a.role}${a.group ? `, ${esc(a.group)}` : ''}${a.until ? ` · left ${a.until}` : a.since ? ` · since ${a.since}` : ''}${a.activeElsewhere ? ` · still active at ${a.activeElsewhere.join(', ')}` : ''}`,
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

export function heldCard(view: Extract<View, { kind: 'held' }>, page: number): AdaptiveCard {
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

export function newAccountsCard(view: Extract<View, { kind: 'new_accounts' }>, page: number): AdaptiveCard {
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

export function invalidCard(view: Extract<View, { kind: 'invalid' }>, page: number): AdaptiveCard {
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

export function whoCard(view: Extract<View, { kind: 'who' }>): AdaptiveCard {
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

export function exclusionsCard(view: Extract<View, { kind: 'exclusions' }>, page: number): AdaptiveCard {
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

export function sharingCard(view: Extract<View, { kind: 'sharing' }>, page: number): AdaptiveCard {
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
