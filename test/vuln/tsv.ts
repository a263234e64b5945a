import { readFileSync } from 'node:fs';

/** One data line of a conformance TSV: unescaped fields and the 1-based line number. */
export interface TsvRow {
  line: number;
  fields: string[];
}

function unescapeField(f: string): string {
  return f.replace(/\\([tnr\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

/** Reads a conformance TSV as its README describes: `#` lines are comments, fields are never trimmed. */
export function readTsv(path: string): TsvRow[] {
  const rows: TsvRow[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (text === '' && i === lines.length - 1) return;
    if (text.startsWith('#')) return;
    rows.push({ line: i + 1, fields: text.split('\t').map(unescapeField) });
  });
  return rows;
}

/** The 4th field when it is not a `# note`. */
export function optionsField(row: TsvRow, index: number): string[] {
  const f = row.fields[index];
  if (f === undefined || f.startsWith('#')) return [];
  return f
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function satisfiesOp(op: string, c: number): boolean | undefined {
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '!=':
      return c !== 0;
    default:
      return undefined;
  }
}
