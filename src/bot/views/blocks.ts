// Pure renderers from action view models to Slack Block Kit, kept within Block Kit's limits (checked by
// `blockKitProblems`, which the tests run over every rendered message).
import { heldDecidedText, type View } from '../view-model.js';
import { chatActions } from '../chat-actions.js';
import { type SlackMessage, type Block, md, esc, button, undoBlock, confirmDialog } from './slack-kit.js';
import {
  matchesMessage,
  accountsMessage,
  heldMessage,
  newAccountsMessage,
  invalidMessage,
  whoMessage,
  exclusionsMessage,
  sharingMessage,
} from './slack-lists.js';

export {
  blockKitProblems,
  LIMITS,
  MATCHES_PER_PAGE,
  OTHER_ACCOUNT_BLOCK,
  PAGE_SIZES,
  SELECTION_BLOCK,
  type Block,
  type SlackMessage,
} from './slack-kit.js';
export { homeView, modalValues, modalView } from './slack-forms.js';
export { matchBlocks } from './slack-lists.js';

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
    case 'matches':
      return matchesMessage(view, page);
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
    case 'accounts':
      return accountsMessage(view, page);
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
    case 'held':
      return heldMessage(view, page);
    case 'new_accounts':
      return newAccountsMessage(view, page);
    case 'invalid':
      return invalidMessage(view, page);
    case 'who':
      return whoMessage(view);
    case 'undone':
      return { text: view.text, blocks: [{ type: 'section', text: md(`${esc(view.text)} (${esc(view.by)})`) }] };
    case 'exclusions':
      return exclusionsMessage(view, page);
    case 'sharing':
      return sharingMessage(view, page);
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
        ...(c.created || c.auto_matched
          ? [
              button(`${(c.created ?? 0) + (c.auto_matched ?? 0)} new accounts`, chatActions.newAccounts.slack, {
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
