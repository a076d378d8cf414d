// The Slack surfaces that are not messages: the App Home tab and the forms' modals (and reading their values back).
import { type Form, type FormField } from '../view-model.js';
import { chatActions, forms } from '../chat-actions.js';
import type { SchoolStatus } from '../../sync/status.js';
import { type Block, type Option, LIMITS, md, plain, esc, button } from './slack-kit.js';

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
