/**
 * Connection sets: for each L4 protocol NetworkPolicy knows (TCP, UDP, SCTP) a sorted list of disjoint closed port
 * intervals over 1–65535. Every verdict of the engine is expressed as one of these, so union/intersection/difference
 * are the only operations rules need.
 */
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** Closed interval [lo, hi]. */
export type Interval = readonly [number, number];
type Ranges = readonly Interval[];

const FULL: Ranges = [[MIN_PORT, MAX_PORT]];
const NONE: Ranges = [];

function unionRanges(a: Ranges, b: Ranges): Ranges {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of all) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function intersectRanges(a: Ranges, b: Ranges): Ranges {
  const out: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Interval;
    const y = b[j] as Interval;
    const lo = Math.max(x[0], y[0]);
    const hi = Math.min(x[1], y[1]);
    if (lo <= hi) out.push([lo, hi]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

function subtractRanges(a: Ranges, b: Ranges): Ranges {
  if (b.length === 0 || a.length === 0) return a;
  const out: Array<[number, number]> = [];
  for (const [lo0, hi] of a) {
    let lo = lo0;
    for (const [blo, bhi] of b) {
      if (bhi < lo || blo > hi) continue;
      if (blo > lo) out.push([lo, blo - 1]);
      lo = bhi + 1;
      if (lo > hi) break;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

function sameRanges(a: Ranges, b: Ranges): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Interval;
    const y = b[i] as Interval;
    if (x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

/** An immutable set of (protocol, port) pairs. */
export class ConnSet {
  private constructor(private readonly byProto: Readonly<Record<Protocol, Ranges>>) {}

  static readonly all = new ConnSet({ TCP: FULL, UDP: FULL, SCTP: FULL });
  static readonly none = new ConnSet({ TCP: NONE, UDP: NONE, SCTP: NONE });

  /** All ports of one protocol, or the range [lo, hi] (a single port when hi is omitted). */
  static of(protocol: Protocol, lo?: number, hi?: number): ConnSet {
    const r: Ranges = lo === undefined ? FULL : [[lo, hi ?? lo]];
    return new ConnSet({ TCP: NONE, UDP: NONE, SCTP: NONE, [protocol]: r });
  }

  ranges(protocol: Protocol): Ranges {
    return this.byProto[protocol];
  }

  private combine(other: ConnSet, op: (a: Ranges, b: Ranges) => Ranges): ConnSet {
    return new ConnSet({
      TCP: op(this.byProto.TCP, other.byProto.TCP),
      UDP: op(this.byProto.UDP, other.byProto.UDP),
      SCTP: op(this.byProto.SCTP, other.byProto.SCTP),
    });
  }

  union(other: ConnSet): ConnSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return this.combine(other, unionRanges);
  }
  intersect(other: ConnSet): ConnSet {
    if (other.isAll()) return this;
    if (this.isAll()) return other;
    return this.combine(other, intersectRanges);
  }
  subtract(other: ConnSet): ConnSet {
    if (other.isEmpty()) return this;
    return this.combine(other, subtractRanges);
  }

  isEmpty(): boolean {
    return this.byProto.TCP.length === 0 && this.byProto.UDP.length === 0 && this.byProto.SCTP.length === 0;
  }
  isAll(): boolean {
    return PROTOCOLS.every((p) => this.isAllOf(p));
  }
  isAllOf(p: Protocol): boolean {
    const r = this.byProto[p];
    return r.length === 1 && (r[0] as Interval)[0] === MIN_PORT && (r[0] as Interval)[1] === MAX_PORT;
  }
  equals(other: ConnSet): boolean {
    return PROTOCOLS.every((p) => sameRanges(this.byProto[p], other.byProto[p]));
  }
  contains(protocol: Protocol, port: number): boolean {
    return this.byProto[protocol].some(([lo, hi]) => port >= lo && port <= hi);
  }
  /** Protocols with at least one port, in netpol-analyzer's print order (SCTP, TCP, UDP). */
  protocolsPresent(): Protocol[] {
    return (['SCTP', 'TCP', 'UDP'] as const).filter((p) => this.byProto[p].length > 0);
  }

  /** `All Connections`, `No Connections`, or `SCTP 1-65535,TCP 80,443-445` (netpol-analyzer's connlist text). */
  toString(): string {
    if (this.isAll()) return 'All Connections';
    if (this.isEmpty()) return 'No Connections';
    return this.protocolsPresent()
      .map((p) => `${p} ${formatRanges(this.byProto[p])}`)
      .join(',');
  }

  /** `TCP, UDP:[1-52,54-65535], SCTP` (netpol-analyzer's explain text): protocols with every port print bare. */
  toExplainString(): string {
    if (this.isEmpty()) return 'No Connections';
    return (['TCP', 'UDP', 'SCTP'] as const)
      .filter((p) => this.byProto[p].length > 0)
      .map((p) => (this.isAllOf(p) ? p : `${p}:[${formatRanges(this.byProto[p])}]`))
      .join(', ');
  }
}

function formatRanges(r: Ranges): string {
  return r.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(',');
}

export function parseProtocol(p: unknown): Protocol | undefined {
  if (p === undefined || p === null) return 'TCP';
  if (typeof p !== 'string') return undefined;
  const u = p.toUpperCase();
  return (PROTOCOLS as readonly string[]).includes(u) && u === p ? (u as Protocol) : undefined;
}
