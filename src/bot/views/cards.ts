// Pure renderers from action view models to Adaptive Cards for Teams: schema 1.5 (what Teams supports),
// Action.Execute (Universal Actions) with a verb and data for buttons, and within Teams' card size limit (checked
// by `cardProblems`). Cards have no confirmation dialogs, so a decision that removes access or cannot be undone
// (exclude, restore, approve, reject) first shows a confirmation card whose "yes" carries `c: 1`.
import { heldDecidedText, type View } from '../view-model.js';
import { chatActions } from '../chat-actions.js';
import { type AdaptiveCard, type Element, text, card, exec, esc, undoSet } from './teams-kit.js';
import {
  matchesCard,
  accountsCard,
  heldCard,
  newAccountsCard,
  invalidCard,
  whoCard,
  exclusionsCard,
  sharingCard,
} from './teams-lists.js';

export {
  ACCOUNT_SEARCH,
  CARD_MATCHES_PER_PAGE,
  CARD_MAX_BYTES,
  CARD_PAGE_SIZES,
  CARD_WHO_MAX,
  cardProblems,
  type Action,
  type AdaptiveCard,
} from './teams-kit.js';
export { confirmationFor, formCard, otherAccountCard, stacked } from './teams-forms.js';
export { matchContainer, newAccountsTable } from './teams-lists.js';

export function renderCard(view: View, page = 0): AdaptiveCard {
  switch (view.kind) {
    case 'matches':
      return matchesCard(view, page);
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
        ...(c.created || c.auto_matched
          ? [
              exec(`${(c.created ?? 0) + (c.auto_matched ?? 0)} new accounts`, chatActions.newAccounts.teams, {
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
    case 'accounts':
      return accountsCard(view, page);
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
    case 'held':
      return heldCard(view, page);
    case 'new_accounts':
      return newAccountsCard(view, page);
    case 'invalid':
      return invalidCard(view, page);
    case 'who':
      return whoCard(view);
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
    case 'exclusions':
      return exclusionsCard(view, page);
    case 'sharing':
      return sharingCard(view, page);
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
