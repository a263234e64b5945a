/**
 * IP address sets for ipBlock / networks / CIDR peers, IPv4 and IPv6, as disjoint sorted bigint intervals per
 * family. ipBlock `except` is a subtraction, so every peer address space is one of these.
 */
export type IpFamily = 4 | 6;

export interface IpRange {
  family: IpFamily;
  lo: bigint;
  hi: bigint;
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

export function familyMax(f: IpFamily): bigint {
  return f === 4 ? V4_MAX : V6_MAX;
}

export function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  if (text.includes('.')) {
    // trailing dotted quad (::ffff:1.2.3.4): rewrite as two hex groups
    const lastColon = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const groups = h.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  if (!head) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const back = parse(halves[1] ?? '');
    if (!back) return undefined;
    const fill = 8 - head.length - back.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...back];
  } else groups = head;
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

export function parseIp(s: string): { family: IpFamily; value: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** Parses `a.b.c.d/n` or `x::/n`; host bits may be set (the API server accepts them and masks). */
export function parseCidr(s: string): IpRange | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const bits = ip.family === 4 ? 32n : 128n;
  const len = BigInt(Number(lenText));
  if (len > bits) return undefined;
  const hostMask = (1n << (bits - len)) - 1n;
  const lo = ip.value & ~hostMask & familyMax(ip.family);
  return { family: ip.family, lo, hi: lo | hostMask };
}

export function formatIp(family: IpFamily, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  // compress the longest run of zero groups (RFC 5952)
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** A set of addresses of both families as disjoint sorted ranges. */
export class IpSet {
  private constructor(readonly ranges: readonly IpRange[]) {}

  static readonly empty = new IpSet([]);
  static readonly all = new IpSet([
    { family: 4, lo: 0n, hi: V4_MAX },
    { family: 6, lo: 0n, hi: V6_MAX },
  ]);
  static allOf(family: IpFamily): IpSet {
    return new IpSet([{ family, lo: 0n, hi: familyMax(family) }]);
  }

  static from(ranges: IpRange[]): IpSet {
    const sorted = [...ranges].sort((a, b) => a.family - b.family || (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    const out: IpRange[] = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      if (last && last.family === r.family && r.lo <= last.hi + 1n) {
        if (r.hi > last.hi) out[out.length - 1] = { ...last, hi: r.hi };
      } else out.push({ ...r });
    }
    return new IpSet(out);
  }

  union(o: IpSet): IpSet {
    return IpSet.from([...this.ranges, ...o.ranges]);
  }

  subtract(o: IpSet): IpSet {
    let cur: IpRange[] = [...this.ranges];
    for (const b of o.ranges) {
      const next: IpRange[] = [];
      for (const a of cur) {
        if (a.family !== b.family || b.hi < a.lo || b.lo > a.hi) {
          next.push(a);
          continue;
        }
        if (b.lo > a.lo) next.push({ family: a.family, lo: a.lo, hi: b.lo - 1n });
        if (b.hi < a.hi) next.push({ family: a.family, lo: b.hi + 1n, hi: a.hi });
      }
      cur = next;
    }
    return new IpSet(cur);
  }

  intersect(o: IpSet): IpSet {
    const out: IpRange[] = [];
    for (const a of this.ranges)
      for (const b of o.ranges) {
        if (a.family !== b.family) continue;
        const lo = maxBig(a.lo, b.lo);
        const hi = minBig(a.hi, b.hi);
        if (lo <= hi) out.push({ family: a.family, lo, hi });
      }
    return IpSet.from(out);
  }

  isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  containsRange(r: IpRange): boolean {
    return this.ranges.some((x) => x.family === r.family && x.lo <= r.lo && x.hi >= r.hi);
  }

  containsIp(family: IpFamily, v: bigint): boolean {
    return this.ranges.some((x) => x.family === family && x.lo <= v && x.hi >= v);
  }
}

export function formatRange(r: IpRange): string {
  return `${formatIp(r.family, r.lo)}-${formatIp(r.family, r.hi)}`;
}

/**
 * Splits the address space of the given families into the coarsest disjoint ranges such that every given set is a
 * union of whole ranges (netpol-analyzer's "disjoint IP blocks").
 */
export function partition(sets: IpSet[], families: IpFamily[]): IpRange[] {
  const out: IpRange[] = [];
  for (const family of families) {
    const cuts = new Set<bigint>([0n]);
    for (const s of sets)
      for (const r of s.ranges) {
        if (r.family !== family) continue;
        cuts.add(r.lo);
        if (r.hi < familyMax(family)) cuts.add(r.hi + 1n);
      }
    const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    sorted.forEach((lo, i) => {
      const next = sorted[i + 1];
      out.push({ family, lo, hi: next === undefined ? familyMax(family) : next - 1n });
    });
  }
  return out;
}

// Math.min/max do not take bigints
function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
