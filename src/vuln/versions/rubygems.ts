import { compareBytes, InvalidVersionError, sign, type VersionScheme } from './scheme.js';

/** RubyGems `Gem::Version`: dotted segments, a letter starts a prerelease, `-` reads as `.pre.`. */
const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

type Segment = number | string;

function segmentsOf(version: string): Segment[] {
  if (!VALID.test(version)) throw new InvalidVersionError('rubygems', version);
  const text = version.trim() === '' ? '0' : version.trim().replace(/-/g, '.pre.');
  const raw: Segment[] = (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  // Canonical form: trailing zeros dropped from the numeric part and from the prerelease part.
  const firstString = raw.findIndex((s) => typeof s === 'string');
  const numeric = firstString < 0 ? raw : raw.slice(0, firstString);
  const rest = firstString < 0 ? [] : raw.slice(firstString);
  return [...dropTrailingZeros(numeric), ...dropTrailingZeros(rest)];
}

function dropTrailingZeros(list: Segment[]): Segment[] {
  let end = list.length;
  while (end > 0 && list[end - 1] === 0) end--;
  return list.slice(0, end);
}

export function compareRubyGems(a: string, b: string): number {
  const x = segmentsOf(a);
  const y = segmentsOf(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i] ?? 0;
    const r = y[i] ?? 0;
    if (l === r) continue;
    if (typeof l === 'string' && typeof r === 'number') return -1;
    if (typeof l === 'number' && typeof r === 'string') return 1;
    if (typeof l === 'number' && typeof r === 'number') return sign(l - r);
    return sign(compareBytes(String(l), String(r)));
  }
  return 0;
}

export function isRubyGemsPrerelease(version: string): boolean {
  // `-` reads as `.pre.`, so `1-1` is a prerelease too.
  return /[a-zA-Z-]/.test(version.trim());
}

export const rubygems: VersionScheme = {
  name: 'rubygems',
  compare: compareRubyGems,
  isValid: (v) => VALID.test(v),
};
