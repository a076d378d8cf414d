// Slack Block Kit's shapes and limits, and the small pieces every Slack renderer builds with (text, buttons,
// confirm dialogs, a list's controls); `blockKitProblems` checks a message against the published limits.
import { type KindFilter, listControlsOf } from '../view-model.js';
import { chatActions, type ButtonData } from '../chat-actions.js';

export interface SlackMessage {
  text: string;
  blocks: Block[];
}
export type Text = { type: 'mrkdwn' | 'plain_text'; text: string; emoji?: boolean };
export type Button = {
  type: 'button';
  text: Text;
  action_id: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: Confirm;
};
export type Confirm = { title: Text; text: Text; confirm: Text; deny: Text; style?: 'primary' | 'danger' };
export type Option = { text: Text; value: string };
export type Checkboxes = { type: 'checkboxes'; action_id: string; options: Option[]; initial_options?: Option[] };
/** A menu whose options Slack asks the app for as the user types (block_suggestion). */
export type ExternalSelect = {
  type: 'external_select';
  action_id: string;
  placeholder: Text;
  min_query_length: number;
};
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
export const MAX_CANDIDATES = 3;
/** Rows per page of the other lists: held changes take two blocks each; account lists tick at most 10 (Slack's cap). */
export const PAGE_SIZES = { held: 10, accounts: 10, newAccounts: 20, invalid: 20 } as const;
/** The block id prefix of a held person's buttons, followed by `|DFE|PERSON_ID` (read by the account search). */
export const OTHER_ACCOUNT_BLOCK = 'uso_other';
/** The block id of an account list's tick boxes: the Restore selected listener reads their state under it. */
export const SELECTION_BLOCK = 'uso_selection';

export const md = (text: string): Text => ({ type: 'mrkdwn', text: clip(text, LIMITS.sectionText) });
export const plain = (text: string, max: number = LIMITS.buttonText): Text => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
/** Slack mrkdwn control characters in names and reasons would change the message. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function button(
  label: string,
  actionId: string,
  value: object,
  style?: Button['style'],
  confirm?: Confirm,
): Button {
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
export function listControls(
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
export const undoBlock = (data: ButtonData): Block => ({
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

export const confirmDialog = (
  title: string,
  text: string,
  yes: string,
  style: 'primary' | 'danger' = 'danger',
): Confirm => ({
  title: plain(title, 100),
  text: plain(text, 300),
  confirm: plain(yes, 30),
  deny: plain('Cancel', 30),
  style,
});

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
