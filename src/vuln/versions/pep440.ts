import * as pep440Lib from '@renovatebot/pep440';
import { InvalidVersionError, parsingScheme, type VersionScheme } from './scheme.js';

/** PEP 440 through @renovatebot/pep440 (epochs, pre/post/dev releases, local versions, normalisation). */
/** Leading and trailing whitespace (Unicode, as Python's `str.strip`) is not part of the version. */
export function comparePep440(a: string, b: string): number {
  const x = a.trim();
  const y = b.trim();
  if (!pep440Lib.valid(x)) throw new InvalidVersionError('pep440', a);
  if (!pep440Lib.valid(y)) throw new InvalidVersionError('pep440', b);
  return pep440Lib.compare(x, y);
}

/**
 * The canonical spelling. The library's `clean` joins local segments with `,`, so the local part is rebuilt
 * from its parsed form (lower case, `.`-separated, numeric segments without leading zeros).
 */
export function normalizePep440(v: string): string | undefined {
  const text = v.trim();
  const cleaned = pep440Lib.clean(text);
  if (!cleaned) return undefined;
  const plus = cleaned.indexOf('+');
  if (plus < 0) return cleaned;
  const local = pep440Lib.explain(text)?.local;
  if (!local) return cleaned.slice(0, plus);
  const segments = local
    .toLowerCase()
    .split(/[-_.]/)
    .map((s) => (/^\d+$/.test(s) ? String(Number.parseInt(s, 10)) : s));
  return `${cleaned.slice(0, plus)}+${segments.join('.')}`;
}

/**
 * The library compares strings only (its sort key is internal), so the parsed form is the checked, trimmed text:
 * the validity check, half the work of a comparison, runs once per distinct version.
 */
function checkedPep440(version: string): string {
  const text = version.trim();
  if (!pep440Lib.valid(text)) throw new InvalidVersionError('pep440', version);
  return text;
}

export const pep440: VersionScheme = parsingScheme({
  name: 'pep440',
  parse: checkedPep440,
  compareParsed: (a: string, b: string) => pep440Lib.compare(a, b),
  isValid: (v) => pep440Lib.valid(v.trim()) !== null,
});
