// Adaptive Cards' shapes and Teams' limits, and the small pieces every Teams renderer builds with (text, cards,
// Action.Execute buttons, a list's controls, Undo); `cardProblems` checks a card against what Teams accepts.
import { type KindFilter, listControlsOf } from '../view-model.js';
import { chatActions, type ButtonData } from '../chat-actions.js';

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  // no `$schema`: Teams does not need it, and MongoDB keys cannot start with `$` (cards are stored in the outbox)
  version: '1.5';
  body: Element[];
  actions?: Action[];
}
export type Element =
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
export function listControls(
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

export const text = (t: string, extra: Partial<Extract<Element, { type: 'TextBlock' }>> = {}): Element => ({
  type: 'TextBlock',
  text: t,
  wrap: true,
  ...extra,
});
export const card = (body: Element[], actions?: Action[]): AdaptiveCard => ({
  type: 'AdaptiveCard',
  version: '1.5',
  body,
  ...(actions?.length ? { actions } : {}),
});
export const exec = (
  title: string,
  verb: string,
  data: Record<string, string | number>,
  style?: Action['style'],
): Action => ({
  type: 'Action.Execute',
  title: title.slice(0, 60),
  verb,
  data,
  ...(style ? { style } : {}),
});
/** Adaptive Card markdown is small, but a name must not turn into a link or emphasis. */
export const esc = (s: string) => s.replace(/([*_[\]()>#`~])/g, '\\$1');

/** "Undo", for a week after a decision (the service checks the week and that nothing changed since). */
export function undoSet(data: Record<string, string | number>): Element {
  return { type: 'ActionSet', actions: [exec('Undo', chatActions.undo.teams, data)] };
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
