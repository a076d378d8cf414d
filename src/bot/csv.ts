// The new-accounts list as CSV, for a school to print login slips from. Cells are quoted where needed, and a cell
// that a spreadsheet would read as a formula (= + - @ at the start) is prefixed with an apostrophe.
import type { View } from './view-model.js';

const HOW: Record<string, string> = {
  created: 'new',
  moved_in: 'moved in',
  restored: 'restored',
  pre_provisioned: 'future start',
};

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function newAccountsCsv(view: Extract<View, { kind: 'new_accounts' }>): string {
  const rows = [
    ['Name', 'Username', 'Pupil or staff', 'Year / role', 'First day', 'How', 'Date'],
    ...view.accounts.map((a) => [
      a.name,
      a.username,
      a.role,
      a.group ?? '',
      a.firstDay ?? '',
      HOW[a.how] ?? a.how,
      a.at.slice(0, 10),
    ]),
  ];
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
