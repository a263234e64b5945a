import { compareBytes, compareDigitStrings, parsingScheme, sign, type VersionScheme } from './scheme.js';

const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9]$/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);

/**
 * rpmvercmp: compares one field (version or release). Separators are any non-alphanumerics except `~` (sorts
 * before everything, even the end) and `^` (sorts after the end but before any further segment).
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    while (i < a.length && inSegment(a[i])) i++;
    while (j < b.length && inSegment(b[j])) j++;
    // A numeric segment is newer than an alpha one (the other side's run is empty).
    if (sj === j) return numeric ? 1 : -1;
    const x = a.slice(si, i);
    const y = b.slice(sj, j);
    const rc = numeric ? compareDigitStrings(x, y) : compareBytes(x, y);
    if (rc !== 0) return sign(rc);
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr {
  epoch: number;
  version: string;
  release?: string;
}

/** `[epoch:]version[-release]`; the release is what follows the last `-`. */
export function parseEvr(text: string): Evr {
  let rest = text.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen < 0) return { epoch, version: rest };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

/**
 * Epoch, then version, then release (rpm's labelCompare, missing epoch = 0). When one side has no release (an
 * advisory saying "fixed in 1.2"), releases are not compared, as rpm does for dependency ranges.
 */
export function compareEvr(a: string, b: string): number {
  return compareParsedEvr(parseEvr(a), parseEvr(b));
}

function compareParsedEvr(x: Evr, y: Evr): number {
  if (x.epoch !== y.epoch) return sign(x.epoch - y.epoch);
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0 || x.release === undefined || y.release === undefined) return v;
  return rpmvercmp(x.release, y.release);
}

export const rpm: VersionScheme = parsingScheme({
  name: 'rpm',
  parse: parseEvr,
  compareParsed: compareParsedEvr,
  isValid: (v) => v.trim() !== '' && /[A-Za-z0-9]/.test(v),
});
