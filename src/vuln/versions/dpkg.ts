import { compareDigitStrings, InvalidVersionError, parsingScheme, sign, type VersionScheme } from './scheme.js';

/** Debian version `[epoch:]upstream[-revision]`, ordered as `dpkg --compare-versions` does (deb-version(7)). */
export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/**
 * Splits like dpkg's parseversion. `strict` additionally applies dpkg's syntax checks (digit first, allowed
 * characters); without it only what is needed to compare is required, as dpkg compares such versions too.
 */
export function parseDpkgVersion(text: string, strict = false): DpkgVersion {
  const fail = (why: string): never => {
    throw new InvalidVersionError('dpkg', text, why);
  };
  if (text === '') fail('version string is empty');
  const trimmed = text.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  if (trimmed === '') fail('version string is empty');
  if (/[ \t]/.test(trimmed)) fail('version string has embedded spaces');
  let rest = trimmed;
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const epochText = rest.slice(0, colon);
    if (epochText === '') fail('epoch in version is empty');
    if (!/^[+-]?\d+$/.test(epochText)) fail('epoch in version is not number');
    const n = Number(epochText);
    if (n < 0) fail('epoch in version is negative');
    if (n > 2147483647) fail('epoch in version is too big');
    epoch = n;
    rest = rest.slice(colon + 1);
    if (rest === '') fail('nothing after colon in version number');
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') fail('revision number is empty');
  }
  if (upstream === '') fail('upstream version is empty');
  if (strict) {
    if (!/^[0-9]/.test(upstream)) fail('version number does not start with digit');
    if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream)) fail('invalid character in version number');
    if (!/^[A-Za-z0-9.+~]*$/.test(revision)) fail('invalid character in revision number');
  }
  return { epoch, upstream, revision };
}

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c >= '0' && c <= '9') return 0;
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** dpkg's verrevcmp: alternating non-digit runs (by `order`) and digit runs (by value). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    const si = i;
    while (isDigit(a[i])) i++;
    const sj = j;
    while (isDigit(b[j])) j++;
    const d = compareDigitStrings(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  return 0;
}

function compareParsedDpkg(x: DpkgVersion, y: DpkgVersion): number {
  if (x.epoch !== y.epoch) return sign(x.epoch - y.epoch);
  return sign(verrevcmp(x.upstream, y.upstream)) || sign(verrevcmp(x.revision, y.revision));
}

export function compareDpkg(a: string, b: string): number {
  return compareParsedDpkg(parseDpkgVersion(a), parseDpkgVersion(b));
}

export const dpkg: VersionScheme = parsingScheme({
  name: 'dpkg',
  parse: (v) => parseDpkgVersion(v),
  compareParsed: compareParsedDpkg,
  isValid(v) {
    try {
      parseDpkgVersion(v, true);
      return true;
    } catch {
      return false;
    }
  },
});
