// Teams cards that are not a view: the account search, a form's input card, a decision's confirmation card, and
// two cards stacked into one.
import { type Form, type FormField } from '../view-model.js';
import { chatActions, forms, type ConfirmedAction } from '../chat-actions.js';
import { type AdaptiveCard, type Element, type Action, ACCOUNT_SEARCH, text, card, exec, esc } from './teams-kit.js';

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
export function confirmCard(question: string, detail: string, yes: Action, back: Action): AdaptiveCard {
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
