import { compareDigitStrings, InvalidVersionError, sign, type VersionScheme } from './scheme.js';

/** NuGet's NuGetVersion: 1–4 numeric parts, optional release labels (case-insensitive), metadata ignored. */
export interface NuGetVersion {
  parts: [string, string, string, string];
  release: string[];
  metadata?: string;
}

const NUGET =
  /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const STRICT_SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseNuGet(text: string): NuGetVersion | undefined {
  const m = NUGET.exec(text.trim());
  if (!m) return undefined;
  const [, a = '0', b = '0', c = '0', d = '0', release, metadata] = m;
  for (const n of [a, b, c, d]) if (compareDigitStrings(n, '2147483647') > 0) return undefined;
  return { parts: [a, b, c, d], release: release ? release.split('.') : [], metadata };
}

export function isStrictSemVer(text: string): boolean {
  return STRICT_SEMVER.test(text);
}

function compareLabels(x: string[], y: string[]): number {
  if (x.length === 0 || y.length === 0) return x.length === 0 ? (y.length === 0 ? 0 : 1) : -1;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i];
    const r = y[i];
    if (l === undefined) return -1;
    if (r === undefined) return 1;
    const ln = /^\d+$/.test(l);
    const rn = /^\d+$/.test(r);
    if (ln && rn) {
      const d = compareDigitStrings(l, r);
      if (d !== 0) return sign(d);
    } else if (ln !== rn) {
      return ln ? -1 : 1;
    } else {
      const lu = l.toUpperCase();
      const ru = r.toUpperCase();
      if (lu !== ru) return lu < ru ? -1 : 1;
    }
  }
  return 0;
}

export function compareNuGetParsed(x: NuGetVersion, y: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const d = compareDigitStrings(x.parts[i] as string, y.parts[i] as string);
    if (d !== 0) return sign(d);
  }
  return compareLabels(x.release, y.release);
}

export function compareNuGet(a: string, b: string): number {
  const x = parseNuGet(a);
  if (!x) throw new InvalidVersionError('nuget', a);
  const y = parseNuGet(b);
  if (!y) throw new InvalidVersionError('nuget', b);
  return compareNuGetParsed(x, y);
}

/**
 * NuGet version ranges: `1.0` (≥ 1.0), `[1.0]` (exactly), `[a, b]`, `(a, b)`, `(, b]`, `[a, )` …
 */
export function nugetRangeSatisfies(version: string, range: string): boolean {
  const v = parseNuGet(version);
  if (!v) throw new InvalidVersionError('nuget', version);
  const r = range.trim();
  if (!/^[[(]/.test(r)) {
    const min = parseNuGet(r);
    if (!min) throw new InvalidVersionError('nuget', r, 'bad range');
    return compareNuGetParsed(v, min) >= 0;
  }
  const m = /^([[(])\s*([^,\])]*?)\s*(?:(,)\s*([^\])]*?)\s*)?([\])])$/.exec(r);
  if (!m) throw new InvalidVersionError('nuget', r, 'bad range');
  const [, open, lowText = '', comma, highText = '', close] = m;
  if (!comma) {
    const exact = parseNuGet(lowText);
    if (!exact || open !== '[' || close !== ']') throw new InvalidVersionError('nuget', r, 'bad range');
    return compareNuGetParsed(v, exact) === 0;
  }
  if (lowText) {
    const low = parseNuGet(lowText);
    if (!low) throw new InvalidVersionError('nuget', r, 'bad range');
    const c = compareNuGetParsed(v, low);
    if (open === '[' ? c < 0 : c <= 0) return false;
  }
  if (highText) {
    const high = parseNuGet(highText);
    if (!high) throw new InvalidVersionError('nuget', r, 'bad range');
    const c = compareNuGetParsed(v, high);
    if (close === ']' ? c > 0 : c >= 0) return false;
  }
  return true;
}

export const nuget: VersionScheme = {
  name: 'nuget',
  compare: compareNuGet,
  isValid: (v) => parseNuGet(v) !== undefined,
};
