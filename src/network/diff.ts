import type { ConnSet } from './conn.js';
import { type Connection, cmp } from './matrix.js';

export interface ConnectionChange {
  src: string;
  dst: string;
  added: ConnSet;
  removed: ConnSet;
  before: string;
  after: string;
}

/** Connections added and removed between two matrices, per pair (pairs are matched by name). */
export function diffMatrices(before: Connection[], after: Connection[]): ConnectionChange[] {
  const key = (c: Connection) => `${c.src.name}\u0000${c.dst.name}`;
  const old = new Map(before.map((c) => [key(c), c]));
  const now = new Map(after.map((c) => [key(c), c]));
  const out: ConnectionChange[] = [];
  for (const k of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(k);
    const b = now.get(k);
    const ref = (a ?? b) as Connection;
    const was = a?.conns;
    const is = b?.conns;
    const added = is ? (was ? is.subtract(was) : is) : undefined;
    const removed = was ? (is ? was.subtract(is) : was) : undefined;
    if ((!added || added.isEmpty()) && (!removed || removed.isEmpty())) continue;
    const none = ref.conns.subtract(ref.conns);
    out.push({
      src: ref.src.name,
      dst: ref.dst.name,
      added: added ?? none,
      removed: removed ?? none,
      before: was ? was.toString() : 'No Connections',
      after: is ? is.toString() : 'No Connections',
    });
  }
  out.sort((x, y) => cmp(x.src, y.src) || cmp(x.dst, y.dst));
  return out;
}

export function renderDiff(changes: ConnectionChange[]): string {
  if (changes.length === 0) return 'no connection changed';
  const lines: string[] = [];
  for (const c of changes) {
    if (!c.added.isEmpty()) lines.push(`+ ${c.src} => ${c.dst} : ${c.added}`);
    if (!c.removed.isEmpty()) lines.push(`- ${c.src} => ${c.dst} : ${c.removed}`);
  }
  return lines.join('\n');
}
