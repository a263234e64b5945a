import { compareDigitStrings, InvalidVersionError, sign, type VersionScheme } from './scheme.js';

/**
 * Composer (Packagist): versions normalised as Composer's VersionParser does (`v` prefix dropped, four numeric
 * parts, stability suffix spelled out), then ordered like PHP's `version_compare`, which Composer uses.
 */
const COMPOSER =
  /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:[._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)(?:[.-]?(\d+))?)?(?:[.-]?dev)?$/i;

export function normalizeComposer(version: string): string | undefined {
  const v = version.trim();
  if (/^dev-/i.test(v)) return v;
  const m = COMPOSER.exec(v);
  if (!m) return undefined;
  const [, a, b = '0', c = '0', d = '0', stability, stabilityNumber] = m;
  let out = `${a}.${b}.${c}.${d}`;
  if (stability && stability.toLowerCase() !== 'stable') {
    const s = stability.toLowerCase();
    const name = s === 'a' ? 'alpha' : s === 'b' ? 'beta' : s === 'p' || s === 'pl' ? 'patch' : s === 'rc' ? 'RC' : s;
    out += `-${name}${stabilityNumber ?? ''}`;
  }
  if (/dev$/i.test(v) && !/^dev-/i.test(v)) out += '-dev';
  return out;
}

/** PHP's special forms: dev < alpha = a < beta = b < RC = rc < (number) < pl = p; unknown words sort first. */
function specialForm(part: string): number {
  const forms: Array<[string, number]> = [
    ['dev', 0],
    ['alpha', 1],
    ['a', 1],
    ['beta', 2],
    ['b', 2],
    ['RC', 3],
    ['rc', 3],
    ['#', 4],
    ['pl', 5],
    ['p', 5],
  ];
  for (const [name, order] of forms) if (part.startsWith(name)) return order;
  return -1;
}

function canonicalParts(v: string): string[] {
  let out = '';
  let prev = '';
  for (const c of v) {
    const special = c === '-' || c === '_' || c === '+';
    const kind = special || c === '.' ? 'sep' : /\d/.test(c) ? 'digit' : 'alpha';
    if (kind === 'sep') {
      if (prev !== 'sep' && out !== '') out += '.';
    } else {
      if (prev !== '' && prev !== 'sep' && prev !== kind) out += '.';
      out += c;
    }
    prev = kind === 'sep' ? 'sep' : kind;
  }
  return out.split('.').filter((p) => p !== '');
}

/** PHP `version_compare` on two canonical strings. */
export function phpVersionCompare(a: string, b: string): number {
  const x = canonicalParts(a);
  const y = canonicalParts(b);
  const isNum = (p: string): boolean => /^\d+$/.test(p);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i] as string;
    const r = y[i] as string;
    let c: number;
    if (isNum(l) && isNum(r)) c = compareDigitStrings(l, r);
    else if (!isNum(l) && !isNum(r)) c = specialForm(l) - specialForm(r);
    else if (isNum(l)) c = specialForm('#') - specialForm(r);
    else c = specialForm(l) - specialForm('#');
    if (c !== 0) return sign(c);
  }
  if (x.length > n) {
    const l = x[n] as string;
    return isNum(l) ? 1 : sign(specialForm(l) - specialForm('#'));
  }
  if (y.length > n) {
    const r = y[n] as string;
    return isNum(r) ? -1 : sign(specialForm('#') - specialForm(r));
  }
  return 0;
}

export function compareComposer(a: string, b: string): number {
  const x = normalizeComposer(a);
  if (x === undefined) throw new InvalidVersionError('composer', a);
  const y = normalizeComposer(b);
  if (y === undefined) throw new InvalidVersionError('composer', b);
  return phpVersionCompare(x, y);
}

export const composer: VersionScheme = {
  name: 'composer',
  compare: compareComposer,
  isValid: (v) => normalizeComposer(v) !== undefined,
};
