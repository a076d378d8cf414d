// Slack messages of the lists an admin works through: people to match with their candidates, accounts, held
// changes, new accounts, invalid records, people found, exclusions and the services asking for a school's data.
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
import { chatActions, selection, type ButtonData } from '../chat-actions.js';
import {
  type SlackMessage,
  type Block,
  LIMITS,
  MATCHES_PER_PAGE,
  MAX_CANDIDATES,
  PAGE_SIZES,
  OTHER_ACCOUNT_BLOCK,
  SELECTION_BLOCK,
  md,
  plain,
  esc,
  button,
  listControls,
  confirmDialog,
} from './slack-kit.js';

function candidateBlock(c: CandidateView): Block {
  return {
    type: 'section',
    text: md(
      `*${esc(c.name)}* \`${c.username}\` (score ${c.score.toFixed(2)})\nborn ${c.maskedDob ?? 'unknown'} · ${c.schools.length ? `at ${c.schools.join(', ')}` : 'unallocated'}${c.lastSeen ? ` · last seen ${c.lastSeen}` : ''}\n_${esc(c.reasons.join('; '))}_`,
    ),
  };
}

/** One held person: MIS details, the candidates with reasons, and the three decisions. */
export function matchBlocks(dfeNumber: string, m: MatchView): Block[] {
  const shown = m.candidates.slice(0, MAX_CANDIDATES);
  const key = { d: dfeNumber, p: m.personId };
  return [
    {
      type: 'section',
      block_id: `match:${m.personId}`.slice(0, 255),
      text: md(
        `*${esc(m.name)}* (MIS ${m.role} ${esc(m.personId)}, born ${m.maskedDob ?? 'unknown'}) looks like ${m.candidates.length === 1 ? 'an existing account' : `${m.candidates.length} existing accounts`}:`,
      ),
    },
    ...shown.map(candidateBlock),
    ...(m.candidates.length > shown.length
      ? [
          {
            type: 'context' as const,
            elements: [
              md(
                `${m.candidates.length - shown.length} weaker candidate(s) not shown: use \`uso matches ${dfeNumber}\``,
              ),
            ],
          },
        ]
      : []),
    {
      type: 'actions',
      // the search menu's options request names only its block: the school and person travel in the block id
      block_id: `${OTHER_ACCOUNT_BLOCK}|${dfeNumber}|${m.personId}`.slice(0, 255),
      elements: [
        ...shown.map((c) =>
          button(`Match to ${c.username}`, chatActions.match.slack, { ...key, u: c.username }, 'primary'),
        ),
        {
          type: 'external_select',
          action_id: chatActions.otherAccount.slack,
          placeholder: plain('Another account...', 150),
          min_query_length: 2,
        },
        button('Create new account', chatActions.create.slack, key),
        button(
          'Exclude from USO',
          chatActions.exclude.slack,
          key,
          'danger',
          confirmDialog(
            'Exclude from USO?',
            `${m.name} will never get an account at this school, now or later.`,
            'Exclude',
          ),
        ),
      ],
    },
  ];
}

export function matchesMessage(view: Extract<View, { kind: 'matches' }>, page: number): SlackMessage {
  const pages = Math.max(1, Math.ceil(view.matches.length / MATCHES_PER_PAGE));
  const p = Math.min(Math.max(page, 0), pages - 1);
  const slice = view.matches.slice(p * MATCHES_PER_PAGE, (p + 1) * MATCHES_PER_PAGE);
  if (view.matches.length === 0)
    return {
      text: 'Nobody is waiting to be matched.',
      blocks: [{ type: 'section', text: md(`Nobody at ${view.dfeNumber} is waiting to be matched.`) }],
    };
  const n = view.matches.length;
  const blocks: Block[] = [
    {
      type: 'section',
      text: md(
        `*${n} ${n === 1 ? 'person' : 'people'} at ${view.dfeNumber} ${n === 1 ? 'looks' : 'look'} like existing accounts.* Page ${p + 1} of ${pages}.`,
      ),
    },
  ];
  for (const m of slice) blocks.push({ type: 'divider' }, ...matchBlocks(view.dfeNumber, m));
  if (pages > 1) {
    blocks.push({
      type: 'actions',
      elements: [
        ...(p > 0 ? [button('Previous', chatActions.matches.slack, { d: view.dfeNumber, page: p - 1 })] : []),
        ...(p < pages - 1 ? [button('Next', chatActions.matches.slack, { d: view.dfeNumber, page: p + 1 })] : []),
      ],
    });
  }
  return { text: `${view.matches.length} people to match at ${view.dfeNumber}`, blocks };
}

export function accountsMessage(view: Extract<View, { kind: 'accounts' }>, page: number): SlackMessage {
  const title =
    view.list === 'unallocated'
      ? `Unallocated accounts at ${view.dfeNumber}${filterWords(view.filter)}`
      : `Accounts at ${view.dfeNumber} not in the MIS${filterWords(view.filter)}`;
  const action = view.list === 'unallocated' ? chatActions.unallocated.slack : chatActions.nonMis.slack;
  const { slice, page: p, pages } = pageOf(view.accounts, page, PAGE_SIZES.accounts);
  const controls = listControls(action, { d: view.dfeNumber }, p, pages, view.filter);
  if (view.accounts.length === 0)
    return { text: title, blocks: [{ type: 'section', text: md(`*${title}*: none.`) }, ...controls] };
  const blocks: Block[] = [
    {
      type: 'section',
      text: md(`*${title}*: ${view.accounts.length}, newest first. Page ${p + 1} of ${pages}.`),
    },
  ];
  for (const a of slice) {
    if (view.list === 'non_mis') {
      blocks.push(
        {
          type: 'section',
          text: md(
            `*${esc(a.name)}* \`${a.username}\` · ${a.role}${a.group ? `, ${esc(a.group)}` : ''}${a.since ? ` · since ${a.since}` : ''}`,
          ),
        },
        {
          type: 'actions',
          elements: [
            button('Keep', chatActions.openForm.slack, { d: view.dfeNumber, u: a.username, form: 'keep' }),
            button(
              'Retire',
              chatActions.retire.slack,
              { d: view.dfeNumber, u: a.username },
              'danger',
              confirmDialog(
                'Retire this account?',
                `${a.name} loses access at this school and joins the unallocated pool.`,
                'Retire',
              ),
            ),
          ],
        },
      );
      continue;
    }
    blocks.push({
      type: 'section',
      text: md(
        `*${esc(a.name)}* \`${a.username}\` · ${a.role}${a.group ? `, ${esc(a.group)}` : ''}${a.until ? ` · left ${a.until}` : a.since ? ` · since ${a.since}` : ''}${a.activeElsewhere ? ` · still active at ${a.activeElsewhere.join(', ')}` : ''}`,
      ),
      ...(view.list === 'unallocated'
        ? {
            accessory: button(
              'Restore',
              chatActions.restore.slack,
              { d: view.dfeNumber, u: a.username },
              'primary',
              confirmDialog(
                'Restore this account?',
                `${a.name} gets access at this school again, kept by hand until the MIS lists them.`,
                'Restore',
                'primary',
              ),
            ),
          }
        : {}),
    });
  }
  if (view.list === 'non_mis')
    blocks.push({
      type: 'actions',
      elements: [button('Ask for an account', chatActions.openForm.slack, { d: view.dfeNumber, form: 'request' })],
    });
  if (view.list === 'unallocated')
    blocks.push({
      type: 'actions',
      block_id: SELECTION_BLOCK,
      elements: [
        {
          type: 'checkboxes',
          action_id: selection.slack,
          options: slice.map((a) => ({
            text: plain(`${a.name} (${a.username})`, LIMITS.optionText),
            value: a.username,
          })),
        },
        button(
          'Restore selected',
          chatActions.restoreSelected.slack,
          { d: view.dfeNumber, page: p, ...(view.filter ? { f: view.filter } : {}) },
          'primary',
          confirmDialog(
            'Restore the ticked accounts?',
            'Each gets access at this school again, kept by hand until the MIS lists them.',
            'Restore',
            'primary',
          ),
        ),
      ],
    });
  blocks.push(...controls);
  return { text: title, blocks };
}

export function heldMessage(view: Extract<View, { kind: 'held' }>, page: number): SlackMessage {
  const { slice, page: p, pages } = pageOf(view.changes, page, PAGE_SIZES.held);
  const base = { d: view.dfeNumber, r: view.runId };
  const blocks: Block[] = [
    {
      type: 'section',
      text: md(
        `*Held changes at ${view.dfeNumber}${filterWords(view.filter)}*: ${view.changes.length} shown, ${view.open} still to decide. Page ${p + 1} of ${pages}.`,
      ),
    },
  ];
  if (view.guards.length)
    blocks.push({ type: 'context', elements: [md(view.guards.map((g) => `:warning: ${esc(g)}`).join('\n'))] });
  for (const c of slice) {
    const what = heldChangeWhat(c, esc);
    const state =
      c.state === 'held'
        ? ''
        : `\n_${c.state === 'not_applied' ? 'approved, but not applied: the account changed since' : c.state}${c.by ? ` by ${esc(c.by)}` : ''}_`;
    blocks.push({
      type: 'section',
      text: md(`*${esc(c.name)}* \`${c.username}\` · ${c.role}${c.group ? `, ${esc(c.group)}` : ''}\n${what}${state}`),
    });
    if (c.state === 'held')
      blocks.push({
        type: 'actions',
        elements: [
          button('Approve', chatActions.approveOne.slack, { ...base, u: c.username }, 'primary'),
          button('Reject', chatActions.rejectOne.slack, { ...base, u: c.username }),
        ],
      });
  }
  if (view.open > 0)
    blocks.push({
      type: 'actions',
      elements: [
        button(
          `Approve all ${view.open}`,
          chatActions.approve.slack,
          base,
          'primary',
          confirmDialog(
            'Apply every held change still undecided?',
            `${view.open} accounts will be changed or lose access to this school.`,
            'Approve',
          ),
        ),
        button(
          `Reject all ${view.open}`,
          chatActions.reject.slack,
          base,
          undefined,
          confirmDialog(
            'Discard every held change still undecided?',
            'Nothing is changed; the next run will ask again if the MIS still says so.',
            'Reject',
            'primary',
          ),
        ),
      ],
    });
  blocks.push(...listControls(chatActions.held.slack, base, p, pages, view.filter));
  return { text: `${view.open} held change(s) at ${view.dfeNumber}`, blocks };
}

export function newAccountsMessage(view: Extract<View, { kind: 'new_accounts' }>, page: number): SlackMessage {
  const { slice, page: p, pages } = pageOf(view.accounts, page, PAGE_SIZES.newAccounts);
  const base: ButtonData = { d: view.dfeNumber, ...(view.runId ? { r: view.runId } : {}) };
  const title = `New accounts at ${view.dfeNumber}${filterWords(view.filter)}, ${view.scope}`;
  const blocks: Block[] = [
    {
      type: 'section',
      text: md(
        view.accounts.length
          ? `*${title}*: ${view.accounts.length}, newest first. Page ${p + 1} of ${pages}.`
          : `*${title}*: none.`,
      ),
    },
    ...slice.map((a): Block => ({
      type: 'section',
      text: md(
        `*${esc(a.name)}* \`${a.username}\` · ${a.role}${a.group ? `, ${esc(a.group)}` : ''} · ${HOW_WORDS[a.how]}${a.firstDay ? ` · first day ${a.firstDay}` : ''} · ${a.at.slice(0, 10)}`,
      ),
    })),
  ];
  if (view.accounts.length && view.runId)
    blocks.push({
      type: 'actions',
      elements: [
        button('CSV file for login slips', chatActions.newAccountsFile.slack, {
          ...base,
          ...(view.filter ? { f: view.filter } : {}),
        }),
      ],
    });
  blocks.push(...listControls(chatActions.newAccounts.slack, base, p, pages, view.filter));
  return { text: title, blocks };
}

export function invalidMessage(view: Extract<View, { kind: 'invalid' }>, page: number): SlackMessage {
  const { slice, page: p, pages } = pageOf(view.records, page, PAGE_SIZES.invalid);
  const title = `Records the MIS sent for ${view.dfeNumber} that could not be used`;
  return {
    text: title,
    blocks: [
      {
        type: 'section',
        text: md(
          view.records.length
            ? `*${title}*: ${view.records.length}. Correct them in Integris; the next run picks them up. Page ${p + 1} of ${pages}.`
            : `*${title}*: none.`,
        ),
      },
      ...slice.map((r): Block => ({
        type: 'section',
        text: md(
          `*${esc(r.name ?? 'no name')}* (${r.report} record ${esc(r.personId)})\n${r.field ? `\`${esc(r.field)}\`: ` : ''}${esc(r.reason)}`,
        ),
      })),
      ...listControls(chatActions.invalid.slack, { d: view.dfeNumber, r: view.runId }, p, pages, undefined, false),
    ],
  };
}

export function whoMessage(view: Extract<View, { kind: 'who' }>): SlackMessage {
  if (view.found.length === 0)
    return {
      text: 'Nobody found',
      blocks: [
        {
          type: 'section',
          text: md(
            `Nobody matching “${esc(view.query.slice(0, 100))}” at ${view.schools.length === 1 ? view.schools[0] : `your ${view.schools.length} schools`}.`,
          ),
        },
      ],
    };
  const blocks: Block[] = [
    {
      type: 'section',
      text: md(
        `*${view.found.length} found for “${esc(view.query.slice(0, 100))}”*${view.found.length >= 20 ? ' (the best 20: say more to narrow it)' : ''}`,
      ),
    },
  ];
  for (const f of view.found) {
    const head = f.account
      ? `*${esc(f.name)}* \`${f.account.username}\` · ${f.account.status} · born ${f.maskedDob ?? 'unknown'} · latest move or create ${f.account.latestMoveOrCreateAt.slice(0, 10)}\n${f.account.associations.map((x) => `${x.dfeNumber} ${x.role}${x.group ? ` (${esc(x.group)})` : ''} ${x.status}${x.source === 'manual' ? ' by hand' : ''} from ${x.since}${x.until ? ` to ${x.until}` : ''}`).join('\n')}`
      : `*${esc(f.name)}* · MIS ${f.mis!.role} ${esc(f.mis!.personId)} at ${f.dfeNumber} · born ${f.maskedDob ?? 'unknown'} · *no account*`;
    const history = f.history
      .slice(0, 8)
      .map(
        (h) =>
          `• ${h.at.slice(0, 10)} ${esc(h.what)}${h.reason ? `: ${esc(h.reason.slice(0, 160))}` : ''}${h.by ? ` (${esc(h.by)})` : ''}`,
      )
      .join('\n');
    blocks.push({ type: 'divider' }, { type: 'section', text: md(`${head}${history ? `\n${history}` : ''}`) });
  }
  return {
    text: `${view.found.length} found for ${view.query.slice(0, 100)}`,
    blocks: blocks.slice(0, LIMITS.blocks),
  };
}

export function exclusionsMessage(view: Extract<View, { kind: 'exclusions' }>, page: number): SlackMessage {
  const { slice, page: p, pages } = pageOf(view.items, page, PAGE_SIZES.accounts);
  const add = button('Add a name', chatActions.openForm.slack, { d: view.dfeNumber, form: 'exclusion' }, 'primary');
  return {
    text: `Exclusions at ${view.dfeNumber}`,
    blocks: [
      {
        type: 'section',
        text: md(
          view.items.length
            ? `*Names never to get an account at ${view.dfeNumber}*: ${view.items.length}. Page ${p + 1} of ${pages}.`
            : `*Names never to get an account at ${view.dfeNumber}*: none.`,
        ),
      },
      ...slice.map((e): Block => ({
        type: 'section',
        text: md(
          `*${esc(e.name)}*${e.maskedDob ? ` born ${e.maskedDob}` : ''} · added ${e.addedAt} by ${esc(e.addedBy)}`,
        ),
        accessory: button(
          'Remove',
          chatActions.removeExclusion.slack,
          { d: view.dfeNumber, x: e.key },
          undefined,
          confirmDialog(
            'Remove from the list?',
            `${e.name} may get an account from the next run.`,
            'Remove',
            'primary',
          ),
        ),
      })),
      { type: 'actions', elements: [add] },
      ...listControls(chatActions.exclusions.slack, { d: view.dfeNumber }, p, pages, undefined, false),
    ],
  };
}

export function sharingMessage(view: Extract<View, { kind: 'sharing' }>, page: number): SlackMessage {
  const { slice, page: p, pages } = pageOf(view.requests, page, PAGE_SIZES.accounts);
  const preApproval = view.laPreApproval
    ? button('Stop LA pre-approval', chatActions.preApproval.slack, { d: view.dfeNumber, o: 'refuse' })
    : button('Allow LA pre-approval', chatActions.preApproval.slack, { d: view.dfeNumber, o: 'allow' });
  return {
    text: `Services asking for the data of ${view.schoolName}`,
    blocks: [
      ...(view.done ? [{ type: 'section' as const, text: md(esc(view.done)) }, { type: 'divider' as const }] : []),
      {
        type: 'section' as const,
        text: md(
          `*Services asking for the data of ${esc(view.schoolName)}*: ${view.requests.length || 'none'}${pages > 1 ? `. Page ${p + 1} of ${pages}.` : '.'} The LA ${view.laPreApproval ? 'may' : 'may not'} pre-approve services for the school.`,
        ),
      },
      ...slice.flatMap((r): Block[] => [
        {
          type: 'section',
          text: md(
            `*${esc(r.name)}*: ${SHARING_STATE_WORDS[r.state]}
${esc(r.wants)}${
              r.decided
                ? `
_${esc(r.decided)}_`
                : ''
            }`,
          ),
        },
        {
          type: 'actions',
          elements: sharingChoices(r.state).map((c) =>
            button(
              c.label,
              chatActions[c.action].slack,
              { d: view.dfeNumber, s: r.subscriberId },
              c.positive ? 'primary' : 'danger',
              c.positive
                ? confirmDialog(`Share with ${r.name}?`, r.wants, 'Approve', 'primary')
                : confirmDialog(`${c.label} ${r.name}?`, 'Nothing more of the school goes to it.', c.label),
            ),
          ),
        },
      ]),
      { type: 'actions' as const, elements: [preApproval] },
      ...listControls(chatActions.sharing.slack, { d: view.dfeNumber }, p, pages, undefined, false),
    ].slice(0, LIMITS.blocks),
  };
}
