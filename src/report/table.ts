import { type Finding, formatProblem, resourceLabel, resourceLocation, type ScanResult } from '../core/index.js';
import { sortFindings } from './select.js';
import type { WriterContext } from './writer.js';

const SEVERITY_COLOR: Record<string, string> = {
  CRITICAL: '\x1b[1;31m',
  HIGH: '\x1b[31m',
  MEDIUM: '\x1b[33m',
  LOW: '\x1b[36m',
  INFO: '\x1b[2m',
};
const RESET = '\x1b[0m';

/** Renders rows as aligned columns; the last column is not padded. */
export function renderColumns(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  const widths: number[] = [];
  for (const row of all) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function where(f: Finding): string {
  const loc = resourceLocation(f.resource);
  return loc ? `${loc.file}${loc.line !== undefined ? `:${loc.line}` : ''}` : '';
}

export function writeTable(result: ScanResult, ctx: WriterContext): string {
  const shown = sortFindings(result.findings).filter(
    (f) => ctx.showPassed || f.status === 'fail' || f.status === 'unknown',
  );
  const paint = (sev: string, text: string) => (ctx.color ? `${SEVERITY_COLOR[sev] ?? ''}${text}${RESET}` : text);
  const rows = shown.map((f) => [
    paint(f.severity, f.severity),
    f.suppression ? `${f.status} (suppressed)` : f.status,
    f.ruleId,
    resourceLabel(f.resource),
    f.status === 'unknown' || f.status === 'skipped' ? `${f.title} — ${f.reason ?? ''}` : f.title,
    where(f),
  ]);
  const lines: string[] = [];
  if (rows.length > 0) lines.push(renderColumns(rows, ['SEVERITY', 'STATUS', 'RULE', 'RESOURCE', 'TITLE', 'LOCATION']));
  const count = (s: string) => result.findings.filter((f) => f.status === s).length;
  lines.push(
    `${result.findings.length} findings: ${count('fail')} fail, ${count('unknown')} unknown, ${count('skipped')} skipped, ${count('pass')} pass` +
      (ctx.showPassed
        ? ''
        : count('pass') + count('skipped') > 0
          ? ' (pass/skipped hidden; --show-passed lists them)'
          : ''),
  );
  if (result.errors.length > 0) {
    lines.push(`${result.errors.length} input problems:`);
    for (const e of result.errors) lines.push(`  ${e.level}: ${formatProblem(e)}`);
  }
  return `${lines.join('\n')}\n`;
}
