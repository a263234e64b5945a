import { UsageError } from '../core/index.js';
import { ConnSet, PROTOCOLS, type Protocol } from './conn.js';
import {
  allowedOf as allowedOfSegments,
  type Endpoint,
  type NetworkModel,
  type PairVerdict,
  type RelevantPeer,
} from './engine.js';
import { formatRange, type IpFamily, partition } from './ip.js';
import type { Direction, NetPod } from './model.js';

export interface FocusOptions {
  /** Workload names (`name` or `ns/name`); keep pairs where one side is one of them. */
  focusWorkloads?: string[];
  /** With focusWorkloads: the other side must be one of these. */
  focusWorkloadPeers?: string[];
  /** With focusWorkloads: `ingress` keeps pairs into the focus workload, `egress` pairs out of it. */
  focusDirection?: 'ingress' | 'egress';
  /** Keep pairs that allow this one connection; the connection set is then not printed. */
  focusConn?: { protocol: Protocol; port: number };
}

export interface MatrixOptions extends FocusOptions {
  /** Address families of the external ranges (netpol-analyzer: IPv4 only). */
  families?: IpFamily[];
  /**
   * Merge a source's adjacent external destinations with equal connections into one range (netpol-analyzer prints
   * egress to the outside this way, ingress from it per partition block).
   */
  mergeEgressRanges?: boolean;
  /** Include pairs with no allowed connection. */
  includeDenied?: boolean;
}

export interface Peer {
  name: string;
  endpoint: Endpoint;
  /** Namespace for pods; undefined for external ranges. */
  namespace?: string;
}

export interface Connection {
  src: Peer;
  dst: Peer;
  conns: ConnSet;
  verdict: PairVerdict;
}

/** `0.0.0.0-9.255.255.255[External]`. */
export function externalPeers(model: NetworkModel, families: IpFamily[], direction?: Direction): Peer[] {
  return partition(model.policyIpSets(direction), families).map((range) => ({
    name: `${formatRange(range)}[External]`,
    endpoint: { type: 'ip', range },
  }));
}

export function podPeers(model: NetworkModel): Peer[] {
  return model.pods.map((pod) => ({ name: pod.display, endpoint: { type: 'pod', pod }, namespace: pod.namespace }));
}

/** Whether a user's workload reference (`name`, `ns/name` or `ns/name[Kind]`) names this pod. */
export function workloadMatches(ref: string, pod: NetPod): boolean {
  if (ref === pod.display) return true;
  if (ref.includes('/')) return ref === `${pod.namespace}/${pod.name}`;
  return ref === pod.name;
}

function matchesAny(refs: string[], p: Peer): boolean {
  const ep = p.endpoint;
  return ep.type === 'pod' && refs.some((r) => workloadMatches(r, ep.pod));
}

export function parseFocusConn(text: string): { protocol: Protocol; port: number } {
  const m = /^([a-zA-Z]+)-(\d+)$/.exec(text);
  const protocol = m?.[1]?.toUpperCase() as Protocol | undefined;
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !protocol || !PROTOCOLS.includes(protocol) || port < 1 || port > 65535)
    throw new UsageError(`--focus-conn "${text}": expected <protocol>-<port>, e.g. tcp-80`);
  return { protocol, port };
}

/**
 * Every ordered pair of peers (pods and external ranges; never external to external, never a pod to itself) with its
 * allowed connections, sorted by source then destination name (plain byte order, as netpol-analyzer).
 */
export function computeMatrix(model: NetworkModel, opts: MatrixOptions = {}): Connection[] {
  const pods = podPeers(model);
  // destinations outside the cluster are split by the boundaries that egress rules can tell apart
  const externals = externalPeers(model, opts.families ?? [4, 6], 'egress');
  // sources outside the cluster are split only by the boundaries that ingress rules can tell apart
  const externalSources = externalPeers(model, opts.families ?? [4, 6], 'ingress');
  const focus = opts.focusWorkloads?.length ? opts.focusWorkloads : undefined;
  if (focus) {
    for (const f of focus)
      if (!pods.some((p) => p.endpoint.type === 'pod' && workloadMatches(f, p.endpoint.pod)))
        throw new UsageError(`--focusworkload "${f}": no workload with this name`);
  }
  const keep = (src: Peer, dst: Peer): boolean => {
    if (!focus) return true;
    const srcFocus = matchesAny(focus, src);
    const dstFocus = matchesAny(focus, dst);
    const peers = opts.focusWorkloadPeers?.length ? opts.focusWorkloadPeers : undefined;
    const ok = (isFocus: boolean, other: Peer) => isFocus && (!peers || matchesAny(peers, other));
    if (opts.focusDirection === 'egress') return ok(srcFocus, dst);
    if (opts.focusDirection === 'ingress') return ok(dstFocus, src);
    return ok(srcFocus, dst) || ok(dstFocus, src);
  };
  const out: Connection[] = [];
  const consider = (src: Peer, dst: Peer) => {
    if (!keep(src, dst)) return;
    const verdict = model.evaluatePair(src.endpoint, dst.endpoint);
    const conns = verdict.allowed;
    if (opts.focusConn && !conns.contains(opts.focusConn.protocol, opts.focusConn.port)) return;
    if (conns.isEmpty() && !opts.includeDenied) return;
    out.push({ src, dst, conns, verdict });
  };
  for (const s of pods) {
    for (const d of pods) if (s !== d) consider(s, d);
    const before = out.length;
    for (const e of externals) consider(s, e);
    if (opts.mergeEgressRanges) mergeAdjacentExternal(out, before);
  }
  for (const e of externalSources) for (const d of pods) consider(e, d);
  out.sort((a, b) => cmp(a.src.name, b.src.name) || cmp(a.dst.name, b.dst.name));
  return out;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mergeAdjacentExternal(out: Connection[], from: number): void {
  const merged: Connection[] = [];
  for (const c of out.slice(from)) {
    const last = merged[merged.length - 1];
    const a = last?.dst.endpoint;
    const b = c.dst.endpoint;
    if (
      last &&
      a?.type === 'ip' &&
      b.type === 'ip' &&
      a.range.family === b.range.family &&
      a.range.hi + 1n === b.range.lo &&
      last.conns.equals(c.conns)
    ) {
      const range = { family: a.range.family, lo: a.range.lo, hi: b.range.hi };
      merged[merged.length - 1] = {
        ...last,
        dst: { name: `${formatRange(range)}[External]`, endpoint: { type: 'ip', range } },
      };
    } else merged.push(c);
  }
  out.splice(from, out.length - from, ...merged);
}

/**
 * Pods that share namespace, labels, container ports and network mode are indistinguishable to every policy, so the
 * matrix is computed once per pair of such classes and multiplied out.
 */
export function podClasses(model: NetworkModel): NetPod[][] {
  const byKey = new Map<string, NetPod[]>();
  for (const p of model.pods) {
    const labels = Object.keys(p.labels)
      .sort()
      .map((k) => `${k}=${p.labels[k]}`)
      .join(',');
    const ports = p.ports.map((c) => `${c.name ?? ''}:${c.port}/${c.protocol}`).join(',');
    const ips = p.ips.map((i) => i.value.toString(16)).join(',');
    const key = `${p.namespace}\u0000${labels}\u0000${ports}\u0000${p.hostNetwork}\u0000${ips}\u0000${p.serviceAccount ?? ''}`;
    const list = byKey.get(key);
    if (list) list.push(p);
    else byKey.set(key, [p]);
  }
  return [...byKey.values()];
}

export interface MatrixSummary {
  pods: number;
  classes: number;
  classPairs: number;
  /** Ordered pod pairs (self excluded) with at least one allowed connection. */
  allowedPodPairs: number;
  /** Ordered pod pairs (self excluded) with every connection allowed. */
  fullyOpenPodPairs: number;
}

/**
 * The full pod × pod matrix by equivalence class. Per subject class and direction, every peer class that no
 * relevant rule peer matches gets one shared verdict; only the classes some peer matches are evaluated, with verdicts
 * cached per answer vector. The pair loop then only combines interned verdict ids. Returns counts.
 */
export function summarizeMatrix(model: NetworkModel): MatrixSummary {
  const classes = podClasses(model);
  const n = classes.length;
  const reps = classes.map((c) => c[0] as NetPod);
  const eps: Endpoint[] = reps.map((pod) => ({ type: 'pod', pod }));
  const byNamespace = new Map<string, number[]>();
  reps.forEach((p, i) => {
    const l = byNamespace.get(p.namespace);
    if (l) l.push(i);
    else byNamespace.set(p.namespace, [i]);
  });
  const hasNodes = reps.some((p) => model.isNode(p));
  const portKey = new Map<string, number>();
  const portIds = reps.map((p) => {
    const k = p.ports.map((c) => `${c.name ?? ''}:${c.port}/${c.protocol}`).join(',');
    let id = portKey.get(k);
    if (id === undefined) portKey.set(k, (id = portKey.size));
    return id;
  });
  // classes each rule peer matches, computed once per peer and shared by every subject
  const matchedBy = new Map<object, Int32Array>();
  const allIndices = Int32Array.from(reps.keys());
  const candidatesOf = (peer: RelevantPeer): ArrayLike<number> => {
    if (!peer.namespaces) return allIndices;
    const out: number[] = [];
    for (const [ns, idx] of byNamespace) if (peer.namespaces(ns)) for (const i of idx) out.push(i);
    return out;
  };
  /** Indices of the classes a rule peer matches, computed once per peer and shared by every subject. */
  const matchList = (peer: RelevantPeer): Int32Array => {
    let v = matchedBy.get(peer.key);
    if (v) return v;
    const out: number[] = [];
    const candidates = candidatesOf(peer);
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k] as number;
      if (peer.test(eps[i] as Endpoint)) out.push(i);
    }
    v = Int32Array.from(out);
    matchedBy.set(peer.key, v);
    return v;
  };
  const isNodeClass = reps.map((p) => model.isNode(p));
  const conns: ConnSet[] = [];
  const connIds = new Map<string, number>();
  const intern = (c: ConnSet): number => {
    const k = c.toString();
    let id = connIds.get(k);
    if (id === undefined) {
      connIds.set(k, (id = conns.length));
      conns.push(c);
    }
    return id;
  };
  // subjects selected by the same policies (with the same ports, for named ports on ingress) share a verdict row
  const objectIds = new Map<object, number>();
  const oid = (o: object) => {
    let id = objectIds.get(o);
    if (id === undefined) objectIds.set(o, (id = objectIds.size));
    return id;
  };
  const table = (dir: Direction): { rowOf: Int32Array; rows: Int32Array } => {
    const rowOf = new Int32Array(n);
    const groups = new Map<string, number>();
    const chunks: Int32Array[] = [];
    for (let x = 0; x < n; x++) {
      const subject = reps[x] as NetPod;
      const rel = model.relevantPeers(subject, dir);
      // named ports of ingress rules resolve on the subject's own ports
      const gk = `${rel.policies.map(oid).join(',')}|${dir === 'ingress' && rel.namedPorts ? portIds[x] : ''}`;
      const known = groups.get(gk);
      if (known !== undefined) {
        rowOf[x] = known;
        continue;
      }
      const row = new Int32Array(n);
      const { peers, namedPorts } = rel;
      // partition refinement: peers y, y' share a verdict when every relevant rule peer matches both or neither
      // (and, with named ports, they define the same ports); ingress from a host-network pod is node traffic
      const ids = new Int32Array(n);
      let next = 1;
      const nodeIngress = dir === 'ingress' && hasNodes;
      if (namedPorts || nodeIngress) {
        const first = new Map<number, number>();
        next = 0;
        for (let y = 0; y < n; y++) {
          const k = (namedPorts ? (portIds[y] as number) * 2 : 0) + (nodeIngress && isNodeClass[y] ? 1 : 0);
          let id = first.get(k);
          if (id === undefined) first.set(k, (id = next++));
          ids[y] = id;
        }
      }
      for (const peer of peers) {
        const list = matchList(peer);
        // a peer matching no class or every class splits nothing
        if (list.length === 0 || list.length === n) continue;
        if (next + list.length > remapTo.length) {
          const cap = 2 * (next + list.length);
          const grownTo = new Int32Array(cap);
          grownTo.set(remapTo);
          const grownStamp = new Int32Array(cap);
          grownStamp.set(remapStamp);
          remapTo = grownTo;
          remapStamp = grownStamp;
        }
        generation++;
        for (let k = 0; k < list.length; k++) {
          const y = list[k] as number;
          const old = ids[y] as number;
          if (remapStamp[old] !== generation) {
            remapStamp[old] = generation;
            remapTo[old] = next++;
          }
          ids[y] = remapTo[old] as number;
        }
      }
      const verdictOf = new Int32Array(next).fill(-1);
      for (let y = 0; y < n; y++) {
        const c = ids[y] as number;
        let v = verdictOf[c] as number;
        if (v < 0) {
          v =
            nodeIngress && isNodeClass[y]
              ? allId
              : intern(allowedOfSegments(model.evaluateDirection(subject, eps[y] as Endpoint, dir)));
          verdictOf[c] = v;
        }
        row[y] = v;
      }
      groups.set(gk, chunks.length);
      rowOf[x] = chunks.length;
      chunks.push(row);
    }
    const rows = new Int32Array(chunks.length * n);
    chunks.forEach((c, i) => {
      rows.set(c, i * n);
    });
    return { rowOf, rows };
  };
  const allId = intern(ConnSet.all);
  // refinement scratch space shared by every row: old class id → new id, valid where the stamp is current
  let remapTo = new Int32Array(2 * n + 16);
  let remapStamp = new Int32Array(2 * n + 16);
  let generation = 0;
  const egress = table('egress');
  const ingress = table('ingress');
  // verdict ids are few: combine them through a dense table (-1 = not computed yet)
  const m = conns.length;
  const combined = new Int8Array(m * m).fill(-1);
  const kind = (e: number, i: number): number => {
    const k = e * m + i;
    let r = combined[k] as number;
    if (r < 0) {
      const c = (conns[e] as ConnSet).intersect(conns[i] as ConnSet);
      r = c.isEmpty() ? 0 : c.isAll() ? 2 : 1;
      combined[k] = r;
    }
    return r;
  };
  let allowed = 0;
  let open = 0;
  const sizes = Int32Array.from(classes, (c) => c.length);
  const ingressGroups = ingress.rows.length / Math.max(n, 1);
  // the ingress verdict of every destination row toward source a, read once per a (rows are stored per destination)
  const column = new Int32Array(ingressGroups);
  for (let a = 0; a < n; a++) {
    const na = sizes[a] as number;
    for (let g = 0; g < ingressGroups; g++) column[g] = ingress.rows[g * n + a] as number;
    const eBase = (egress.rowOf[a] as number) * n;
    for (let b = 0; b < n; b++) {
      const pairs = a === b ? na * (na - 1) : na * (sizes[b] as number);
      if (pairs === 0) continue;
      const r = kind(egress.rows[eBase + b] as number, column[ingress.rowOf[b] as number] as number);
      if (r > 0) allowed += pairs;
      if (r === 2) open += pairs;
    }
  }
  return { pods: model.pods.length, classes: n, classPairs: n * n, allowedPodPairs: allowed, fullyOpenPodPairs: open };
}
