/**
 * What the runner prints: one progress line on stderr (redrawn in place on a terminal, one line per
 * update when piped, at most every 200 ms), and the result tables on stdout, so that
 * `pnpm bench … > table.txt` keeps only the tables.
 */

let lastProgress = 0;
export function progress(line) {
  const now = Date.now();
  if (now - lastProgress < 200) return;
  lastProgress = now;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
  else process.stderr.write(`${line}\n`);
}

/** Clears the progress line (on a terminal) before a table or a message is printed. */
export const endProgress = () => process.stderr.isTTY && process.stderr.write('\r\x1b[2K');

/** A rate or count, short: 2.20M, 284.0k, 9075.3; '–' when there is none. */
export const k = (v) =>
  v === null || v === undefined
    ? '–'
    : v >= 1e6
      ? `${(v / 1e6).toFixed(2)}M`
      : v >= 1e4
        ? `${(v / 1e3).toFixed(1)}k`
        : `${Math.round(v * 10) / 10}`;

/** A plain-text table of `columns` (`{label, value(row)}`): first column left-aligned, the others right. */
export function table(rows, columns) {
  const head = columns.map((c) => c.label);
  const body = rows.map((r) => columns.map((c) => String(c.value(r))));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
