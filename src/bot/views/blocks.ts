// Pure renderers from action view models to Slack Block Kit, kept within Block Kit's limits (checked by
// `blockKitProblems`, which the tests run over every rendered message).
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
import { chatActions, forms, selection, type ButtonData } from '../chat-actions.js';
import type { SchoolStatus } from '../../sync/status.js';

export interface SlackMessage {
  text: string;
  blocks: Block[];
}
type Text = { type: 'mrkdwn' | 'plain_text'; text: string; emoji?: boolean };
type Button = {
  type: 'button';
  text: Text;
  action_id: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: Confirm;
};
type Confirm = { title: Text; text: Text; confirm: Text; deny: Text; style?: 'primary' | 'danger' };
type Option = { text: Text; value: string };
type Checkboxes = { type: 'checkboxes'; action_id: string; options: Option[]; initial_options?: Option[] };
/** A menu whose options Slack asks the app for as the user types (block_suggestion). */
type ExternalSelect = { type: 'external_select'; action_id: string; placeholder: Text; min_query_length: number };
export type Block =
  | { type: 'section'; text: Text; fields?: Text[]; block_id?: string; accessory?: Button }
  | { type: 'actions'; elements: (Button | Checkboxes | ExternalSelect)[]; block_id?: string }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' }
  | { type: 'header'; text: Text };

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  actionId: 255,
  value: 2000,
  elements: 25,
  contextElements: 10,
  fallbackText: 40_000,
  checkboxOptions: 10,
  optionText: 75,
};
/** Held people per message: each takes at most 7 blocks, so a page stays under 50 with its header and pager. */
export const MATCHES_PER_PAGE = 6;
const MAX_CANDIDATES = 3;
/** Rows per page of the other lists: held changes take two blocks each; account lists tick at most 10 (Slack's cap). */
export const PAGE_SIZES = { held: 10, accounts: 10, newAccounts: 20, invalid: 20 } as const;
/** The block id prefix of a held person's buttons, followed by `|DFE|PERSON_ID` (read by the account search). */
export const OTHER_ACCOUNT_BLOCK = 'uso_other';
/** The block id of an account list's tick boxes: the Restore selected listener reads their state under it. */
export const SELECTION_BLOCK = 'uso_selection';

const md = (text: string): Text => ({ type: 'mrkdwn', text: clip(text, LIMITS.sectionText) });
const plain = (text: string, max: number = LIMITS.buttonText): Text => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
/** Slack mrkdwn control characters in names and reasons would change the message. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function button(label: string, actionId: string, value: object, style?: Button['style'], confirm?: Confirm): Button {
  return {
    type: 'button',
    text: plain(label),
    action_id: actionId,
    value: JSON.stringify(value),
    ...(style ? { style } : {}),
    ...(confirm ? { confirm } : {}),
  };
}

/** A paged list's controls (view-model.ts says which) as one actions block, or none. */
function listControls(
  actionId: string,
  base: ButtonData,
  page: number,
  pages: number,
  filter: KindFilter,
  filterable = true,
): Block[] {
  const elements = listControlsOf(base, page, pages, filter, filterable).map((c) => button(c.label, actionId, c.data));
  return elements.length ? [{ type: 'actions', elements }] : [];
}

/** "Undo", for a week after a decision (the service checks the week and that nothing changed since). */
const undoBlock = (data: ButtonData): Block => ({
  type: 'actions',
  elements: [
    button(
      'Undo',
      chatActions.undo.slack,
      data,
      undefined,
      confirmDialog(
        'Undo this decision?',
        'It is put back as it was, if nothing has changed it since.',
        'Undo',
        'primary',
      ),
    ),
  ],
});

const confirmDialog = (title: string, text: string, yes: string, style: 'primary' | 'danger' = 'danger'): Confirm => ({
  title: plain(title, 100),
  text: plain(text, 300),
  confirm: plain(yes, 30),
  deny: plain('Cancel', 30),
  style,
});

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

export function render(view: View, page = 0): SlackMessage {
  switch (view.kind) {
    case 'status': {
      const lines = view.schools.map((s) => {
        const counts = s.lastRun?.counts
          ? Object.entries(s.lastRun.counts)
              .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
              .join(', ')
          : 'no run yet';
        const held = s.heldChanges.reduce((n, h) => n + h.count, 0);
        return `*${esc(s.name)}* (${s.dfeNumber})${s.paused ? ' · paused' : ''}\nlast run: ${s.lastRun ? `${s.lastRun.status} ${s.lastRun.startedAt.slice(0, 16).replace('T', ' ')}` : '-'} · ${counts}\nto do: ${s.openMatches} to match, ${held} held change(s)`;
      });
      return {
        text: 'USO status',
        blocks: [
          ...(view.paused ? [{ type: 'context' as const, elements: [md('All runs are paused.')] }] : []),
          ...lines.slice(0, 40).map((l) => ({ type: 'section' as const, text: md(l) })),
        ],
      };
    }
    case 'matches': {
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
    case 'decided': {
      const what =
        view.decision === 'matched'
          ? `matched to \`${view.username}\``
          : view.decision === 'created'
            ? `given a new account \`${view.username}\``
            : 'excluded from USO';
      const kind = view.decision === 'matched' ? 'match' : view.decision === 'created' ? 'create' : 'exclude';
      return {
        text: `MIS person ${view.personId} ${what}`,
        blocks: [
          { type: 'section', text: md(`MIS person ${esc(view.personId)} was ${what} by ${esc(view.by)}.`) },
          undoBlock({ d: view.dfeNumber, p: view.personId, k: kind }),
        ],
      };
    }
    case 'accounts': {
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
            `*${esc(a.name)}* \`${a.username}\` · ${a.role}${a.group ? `, ${esc(a.group)}` : ''}${a.until ? ` · left ${a.until}` : a.since ? ` · since ${a.since}` : ''}`,
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
    case 'restored_many':
      return {
        text: `${view.restored.length} account(s) restored`,
        blocks: [
          {
            type: 'section',
            text: md(
              `${view.restored.length} account(s) restored at ${view.dfeNumber} by ${esc(view.by)}${view.restored.length ? `: ${view.restored.map((u) => `\`${u}\``).join(', ')}` : ''}.${view.refused.length ? `\nNot restored: ${view.refused.map((r) => `\`${r.username}\` (${esc(r.reason)})`).join('; ')}` : ''}`,
            ),
          },
        ],
      };
    case 'held': {
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
          text: md(
            `*${esc(c.name)}* \`${c.username}\` · ${c.role}${c.group ? `, ${esc(c.group)}` : ''}\n${what}${state}`,
          ),
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
    case 'new_accounts': {
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
    case 'invalid': {
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
    case 'who': {
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
    case 'undone':
      return { text: view.text, blocks: [{ type: 'section', text: md(`${esc(view.text)} (${esc(view.by)})`) }] };
    case 'exclusions': {
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
    case 'sharing': {
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
    case 'confirm_match':
      return {
        text: `Match ${view.personName} to ${view.account.username}?`,
        blocks: [
          {
            type: 'section',
            text: md(
              `Match *${esc(view.personName)}* (MIS ${esc(view.personId)}, born ${view.personDob ?? 'unknown'}) to *${esc(view.account.name)}* \`${view.account.username}\`, born ${view.account.maskedDob ?? 'unknown'}?\n${view.account.schools.map((x) => `• ${esc(x)}`).join('\n') || 'no school yet'}`,
            ),
          },
          {
            type: 'actions',
            elements: [
              button(
                `Match to ${view.account.username}`,
                chatActions.match.slack,
                { d: view.dfeNumber, p: view.personId, u: view.account.username },
                'primary',
              ),
              button('Back to the list', chatActions.matches.slack, { d: view.dfeNumber, page: 0 }),
            ],
          },
        ],
      };
    case 'settings':
      return {
        text: `Settings of ${view.schoolName}`,
        blocks: [
          {
            type: 'section',
            text: md(
              `*Settings of ${esc(view.schoolName)}* (${view.dfeNumber}), MIS ${esc(view.mis)}${view.paused ? ' · *runs paused*' : ''}\n${view.reports
                .map(
                  (r) =>
                    `${r.accepted ? ':white_check_mark:' : ':white_circle:'} *${r.report}* (${esc(r.uses)})${r.shared ? (r.accepted ? '' : ': shared, not accepted') : ': not shared in Integris'}`,
                )
                .join(
                  '\n',
                )}\nleaver grace days ${view.graceDays} · hold leavers above ${view.unallocationThresholdPercent}% · hold changes above ${view.updateThresholdPercent}% · accounts made ${view.preProvisionDays} day(s) before a start`,
            ),
          },
          {
            type: 'actions',
            elements: [
              button('Change settings', chatActions.openForm.slack, { d: view.dfeNumber, form: 'settings' }, 'primary'),
            ],
          },
        ],
      };
    case 'notice':
      return {
        text: `${view.schoolName}: ${view.title}`,
        blocks: [
          {
            type: 'section',
            text: md(
              `${view.tone === 'problem' ? ':rotating_light:' : view.tone === 'recovered' ? ':white_check_mark:' : ':information_source:'} *${esc(view.schoolName)}* (${view.dfeNumber}): ${esc(view.title)}\n${esc(view.detail)}`,
            ),
          },
        ],
      };
    case 'restored':
      return {
        text: `${view.username} restored`,
        blocks: [
          { type: 'section', text: md(`\`${view.username}\` was restored at ${view.dfeNumber} by ${esc(view.by)}.`) },
          undoBlock({ d: view.dfeNumber, u: view.username, k: 'restore' }),
        ],
      };
    case 'held_decided':
      return {
        text: `Held changes ${view.decision}`,
        blocks: [
          { type: 'section', text: md(heldDecidedText(view, esc)) },
          ...(view.only && view.decision === 'approved' && view.decided.length === 1 && view.applied === 1
            ? [undoBlock({ d: view.dfeNumber, r: view.runId, u: view.decided[0]!, k: 'approve' })]
            : []),
        ],
      };
    case 'summary': {
      const c = view.counts;
      const line = (label: string, n: number | undefined) => (n ? `${label} ${n}` : undefined);
      const counts = [
        line('new accounts', c.created),
        line('updated', c.updated),
        line('linked', c.auto_matched),
        line('unallocated', c.unallocated),
        line('future starters', c.future_starter),
        line('excluded', c.excluded),
        line('invalid records', c.invalid),
        line('unchanged', c.unchanged),
      ]
        .filter(Boolean)
        .join(' · ');
      const blocks: Block[] = [
        {
          type: 'section',
          text: md(
            `*${esc(view.schoolName)}* (${view.dfeNumber}): run ${view.status}${view.note ? `\n_${esc(view.note)}_` : ''}\n${counts || 'nothing to do'}`,
          ),
        },
      ];
      if (view.held > 0) {
        const value = { d: view.dfeNumber, r: view.runId };
        blocks.push(
          {
            type: 'section',
            text: md(
              `:warning: *${view.held} change(s) held for approval*${view.guards.length ? `:\n${view.guards.map((g) => `• ${esc(g)}`).join('\n')}` : '.'}`,
            ),
          },
          {
            type: 'actions',
            elements: [
              button('Review held changes', chatActions.held.slack, { ...value, page: 0 }, 'primary'),
              button(
                'Approve all',
                chatActions.approve.slack,
                value,
                undefined,
                confirmDialog(
                  'Apply the held changes?',
                  `${view.held} accounts will be changed or lose access to this school.`,
                  'Approve',
                ),
              ),
              button(
                'Reject all',
                chatActions.reject.slack,
                value,
                undefined,
                confirmDialog(
                  'Discard the held changes?',
                  'Nothing is changed; the next run will ask again if the MIS still says so.',
                  'Reject',
                  'primary',
                ),
              ),
            ],
          },
        );
      }
      const lists = [
        ...(view.openMatches > 0
          ? [button(`${view.openMatches} to match`, chatActions.matches.slack, { d: view.dfeNumber, page: 0 })]
          : []),
        ...(c.created || c.future_starter || c.auto_matched
          ? [
              button(`${(c.created ?? 0) + (c.future_starter ?? 0)} new accounts`, chatActions.newAccounts.slack, {
                d: view.dfeNumber,
                r: view.runId,
                page: 0,
              }),
            ]
          : []),
        ...(c.invalid
          ? [
              button(`${c.invalid} invalid records`, chatActions.invalid.slack, {
                d: view.dfeNumber,
                r: view.runId,
                page: 0,
              }),
            ]
          : []),
        ...(c.unallocated
          ? [button('Unallocated accounts', chatActions.unallocated.slack, { d: view.dfeNumber, page: 0 })]
          : []),
      ];
      if (lists.length) blocks.push({ type: 'actions', elements: lists });
      return { text: `USO run for ${view.schoolName}: ${counts || view.status}`, blocks };
    }
    case 'run_queued':
      return {
        text: 'Run queued',
        blocks: [
          {
            type: 'section',
            text: md(
              `A run for ${view.dfeNumber} was started by ${esc(view.by)}; the summary follows when it finishes.`,
            ),
          },
        ],
      };
  }
}

/** Block Kit's published limits, checked for every rendered message; an empty list means it will be accepted. */
export function blockKitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.blocks.length > LIMITS.blocks) problems.push(`${message.blocks.length} blocks (max ${LIMITS.blocks})`);
  if (!message.text || message.text.length > LIMITS.fallbackText) problems.push('fallback text missing or too long');
  const ids = new Set<string>();
  message.blocks.forEach((b, i) => {
    if (b.type === 'section' && (b.text.text.length === 0 || b.text.text.length > LIMITS.sectionText))
      problems.push(`block ${i}: section text ${b.text.text.length} chars`);
    if (
      b.type === 'section' &&
      b.accessory &&
      (b.accessory.text.text.length > LIMITS.buttonText || b.accessory.value.length > LIMITS.value)
    )
      problems.push(`block ${i}: accessory too long`);
    if (b.type === 'header' && b.text.text.length > LIMITS.headerText) problems.push(`block ${i}: header too long`);
    if (b.type === 'context' && b.elements.length > LIMITS.contextElements)
      problems.push(`block ${i}: too many context elements`);
    if (b.type === 'actions') {
      if (b.elements.length > LIMITS.elements || b.elements.length === 0)
        problems.push(`block ${i}: ${b.elements.length} actions elements`);
      for (const e of b.elements) {
        if (e.action_id.length > LIMITS.actionId) problems.push(`block ${i}: action_id too long`);
        if (e.type === 'external_select') {
          if (e.placeholder.text.length > 150) problems.push(`block ${i}: placeholder too long`);
          continue;
        }
        if (e.type === 'checkboxes') {
          if (e.options.length === 0 || e.options.length > LIMITS.checkboxOptions)
            problems.push(`block ${i}: ${e.options.length} checkbox options`);
          for (const o of e.options)
            if (o.text.text.length > LIMITS.optionText || o.value.length > 150)
              problems.push(`block ${i}: option too long`);
          continue;
        }
        if (e.text.text.length > LIMITS.buttonText) problems.push(`block ${i}: button text too long`);
        if (e.value.length > LIMITS.value) problems.push(`block ${i}: button value too long`);
      }
      const actionIds = b.elements.map((e) => `${e.action_id}:${e.type === 'button' ? e.value : ''}`);
      if (new Set(actionIds).size !== actionIds.length) problems.push(`block ${i}: duplicate buttons`);
    }
    if ('block_id' in b && b.block_id) {
      if (ids.has(b.block_id)) problems.push(`block ${i}: duplicate block_id`);
      ids.add(b.block_id);
    }
  });
  return problems;
}

/** The App Home tab: the schools the user can act for and what each needs (a home view takes up to 100 blocks). */
export function homeView(schools: SchoolStatus[]): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: plain('USO autoupdate', LIMITS.headerText) }];
  if (schools.length === 0) {
    blocks.push({
      type: 'section',
      text: md(
        'You are not an admin of any school yet. A school head can link a channel with `/uso link CODE` and grant you a role with `/uso grant`.',
      ),
    });
    return { type: 'home', blocks };
  }
  for (const s of schools.slice(0, 30)) {
    const held = s.heldChanges.reduce((n, h) => n + h.count, 0);
    const todo = [
      s.openMatches ? `${s.openMatches} to match` : '',
      held ? `${held} held change(s)` : '',
      s.lastRun?.status === 'failed' ? 'last run failed' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    blocks.push(
      { type: 'divider' },
      {
        type: 'section',
        text: md(
          `*${esc(s.name)}* (${s.dfeNumber})${s.paused ? ' · paused' : ''}\nlast run: ${s.lastRun ? `${s.lastRun.status} ${s.lastRun.startedAt.slice(0, 16).replace('T', ' ')}` : '-'}\n${todo || 'nothing needs you'}`,
        ),
        ...(s.openMatches
          ? { accessory: button('Match people', chatActions.matches.slack, { d: s.dfeNumber, page: 0 }, 'primary') }
          : {}),
      },
    );
  }
  if (schools.length > 30)
    blocks.push({ type: 'context', elements: [md(`${schools.length - 30} more schools: use \`/uso status DFE\`.`)] });
  return { type: 'home', blocks };
}

/** A form as a Slack modal: input blocks named by field, the form's meta in private_metadata. */
export function modalView(form: Form, channel?: string): Record<string, unknown> {
  const option = (o: { value: string; label: string }): Option => ({
    text: plain(o.label, LIMITS.optionText),
    value: o.value,
  });
  const element = (f: FormField): Record<string, unknown> => {
    const initial = typeof f.initial === 'string' ? f.initial : undefined;
    switch (f.kind) {
      case 'text':
        return { type: 'plain_text_input', action_id: f.name, ...(initial ? { initial_value: initial } : {}) };
      case 'number':
        return {
          type: 'number_input',
          action_id: f.name,
          is_decimal_allowed: false,
          ...(initial ? { initial_value: initial } : {}),
        };
      case 'date':
        return { type: 'datepicker', action_id: f.name, ...(initial ? { initial_date: initial } : {}) };
      case 'choice': {
        const options = (f.options ?? []).map(option);
        const chosen = options.find((o) => o.value === initial);
        return { type: 'radio_buttons', action_id: f.name, options, ...(chosen ? { initial_option: chosen } : {}) };
      }
      case 'multi': {
        const options = (f.options ?? []).map(option);
        const chosen = options.filter((o) => Array.isArray(f.initial) && f.initial.includes(o.value));
        return {
          type: 'checkboxes',
          action_id: f.name,
          options,
          ...(chosen.length ? { initial_options: chosen } : {}),
        };
      }
    }
  };
  return {
    type: 'modal',
    callback_id: forms[form.id].slack,
    // where the outcome is said once the modal is submitted
    private_metadata: JSON.stringify({ ...form.meta, ...(channel ? { ch: channel } : {}) }),
    title: plain(form.title, 24),
    submit: plain(form.submit, 24),
    close: plain('Cancel', 24),
    blocks: [
      ...(form.intro ? [{ type: 'context', elements: [md(form.intro)] }] : []),
      ...form.fields
        .filter((f) => f.kind !== 'multi' || (f.options ?? []).length > 0)
        .map((f) => ({
          type: 'input',
          block_id: f.name,
          optional: f.optional === true,
          label: plain(f.label, 2000),
          element: element(f),
        })),
    ],
  };
}

/** What a Slack modal submitted, by field: text, number, date, the chosen option, or the ticked options. */
export function modalValues(
  state: Record<string, Record<string, Record<string, unknown>>>,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [block, actions] of Object.entries(state)) {
    for (const v of Object.values(actions)) {
      const value = v as {
        value?: string | null;
        selected_date?: string | null;
        selected_option?: { value: string } | null;
        selected_options?: { value: string }[];
      };
      out[block] =
        value.selected_options?.map((o) => o.value) ??
        value.selected_option?.value ??
        value.selected_date ??
        value.value ??
        undefined;
    }
  }
  return out;
}
