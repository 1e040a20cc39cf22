import type { Measurement } from './measure.ts';

/** One row of the report. */
export interface Row {
  readonly section: string;
  readonly name: string;
  readonly value: Measurement | undefined;
  readonly unit: string;
  readonly note?: string;
}

/** A target check: a ratio and whether it is met. */
export interface Target {
  readonly name: string;
  readonly ratio: number | undefined;
  readonly goal: string;
  readonly met: boolean | undefined;
  readonly detail: string;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Formats a measurement as `median (min–max)`. */
export function cell(m: Measurement | undefined): string {
  if (!m) return 'n/a';
  return m.reps > 1 ? `${fmt(m.median)} (${fmt(m.min)}–${fmt(m.max)})` : fmt(m.median);
}

/** The rows as a Markdown table, grouped by section. */
export function table(rows: readonly Row[]): string {
  const lines: string[] = [];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push('', `### ${section}`, '', '| measurement | median (min–max) | unit | note |', '| --- | ---: | --- | --- |');
    }
    lines.push(`| ${row.name} | ${cell(row.value)} | ${row.unit} | ${row.note ?? ''} |`);
  }
  return lines.join('\n');
}

/** The targets as a Markdown table. */
export function targetTable(targets: readonly Target[]): string {
  return [
    '| target | goal | measured | met |',
    '| --- | --- | --- | --- |',
    ...targets.map((t) => `| ${t.name} | ${t.goal} | ${t.ratio === undefined ? 'n/a' : `${t.ratio.toFixed(2)}x`} (${t.detail}) | ${t.met === undefined ? 'n/a' : t.met ? 'yes' : 'no'} |`),
  ].join('\n');
}
