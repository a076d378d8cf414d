// Plain-text tables for terminals: the first row is the header, columns padded to their widest cell.
/** A header with no rows under it is no table: '' (so callers can say "None." instead). */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length <= 1) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
