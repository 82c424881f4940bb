/** Small numeric and formatting helpers for the bench report. */

/** Nearest-rank percentile (p in 0..100) of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export const thousands = (value: number): string => value.toLocaleString('en-US');

/** Left-aligned first column (and any listed in `leftColumns`), right-aligned others, two spaces between. */
export function table(rows: readonly (readonly string[])[], leftColumns: readonly number[] = [], indent = '  '): string {
  const left = new Set([0, ...leftColumns]);
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map((row) => indent + row.map((cell, index) => (left.has(index) ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** Progress for long phases: stderr, so the report on stdout stays clean. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}
