// Pure renderers from action view models to Slack Block Kit, kept within Block Kit's limits (checked by
// `blockKitProblems`, which the tests run over every rendered message).
import type { CandidateView, MatchView, View } from '../view-model.js';
import { chatActions } from '../chat-actions.js';
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
export type Block =
  | { type: 'section'; text: Text; fields?: Text[]; block_id?: string; accessory?: Button }
  | { type: 'actions'; elements: Button[]; block_id?: string }
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
};
/** Held people per message: each takes at most 7 blocks, so a page stays under 50 with its header and pager. */
export const MATCHES_PER_PAGE = 6;
const MAX_CANDIDATES = 3;

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
      elements: [
        ...shown.map((c) =>
          button(`Match to ${c.username}`, chatActions.match.slack, { ...key, u: c.username }, 'primary'),
        ),
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
      return {
        text: `MIS person ${view.personId} ${what}`,
        blocks: [{ type: 'section', text: md(`MIS person ${esc(view.personId)} was ${what} by ${esc(view.by)}.`) }],
      };
    }
    case 'accounts': {
      const title =
        view.list === 'unallocated'
          ? `Unallocated accounts at ${view.dfeNumber}`
          : `Accounts at ${view.dfeNumber} not in the MIS`;
      if (view.accounts.length === 0)
        return { text: title, blocks: [{ type: 'section', text: md(`*${title}*: none.`) }] };
      const shown = view.accounts.slice(0, 45);
      const blocks: Block[] = [
        {
          type: 'section',
          text: md(
            `*${title}* (${view.accounts.length}${view.accounts.length > shown.length ? `, first ${shown.length} shown` : ''})`,
          ),
        },
      ];
      for (const a of shown) {
        blocks.push({
          type: 'section',
          text: md(`*${esc(a.name)}* \`${a.username}\`${a.until ? ` · left ${a.until}` : ''}`),
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
      return { text: title, blocks };
    }
    case 'restored':
      return {
        text: `${view.username} restored`,
        blocks: [
          { type: 'section', text: md(`\`${view.username}\` was restored at ${view.dfeNumber} by ${esc(view.by)}.`) },
        ],
      };
    case 'held_decided':
      return {
        text: `Held changes ${view.decision}`,
        blocks: [
          {
            type: 'section',
            text: md(
              `The held changes of run ${view.runId} were ${view.decision} by ${esc(view.by)}${view.decision === 'approved' ? `: ${view.applied} applied${view.stale.length ? `, ${view.stale.length} skipped (changed since)` : ''}` : ''}.`,
            ),
          },
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
              `:warning: *${view.held} change(s) held for approval* (more leavers or changes than this school's threshold, or an incomplete export).`,
            ),
          },
          {
            type: 'actions',
            elements: [
              button(
                'Approve held changes',
                chatActions.approve.slack,
                value,
                'primary',
                confirmDialog(
                  'Apply the held changes?',
                  `${view.held} accounts will be changed or lose access to this school.`,
                  'Approve',
                ),
              ),
              button(
                'Reject',
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
        ...(c.unallocated
          ? [button('Unallocated accounts', chatActions.unallocated.slack, { d: view.dfeNumber })]
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
        if (e.text.text.length > LIMITS.buttonText) problems.push(`block ${i}: button text too long`);
        if (e.value.length > LIMITS.value) problems.push(`block ${i}: button value too long`);
        if (e.action_id.length > LIMITS.actionId) problems.push(`block ${i}: action_id too long`);
      }
      const actionIds = b.elements.map((e) => `${e.action_id}:${e.value}`);
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
