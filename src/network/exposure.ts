import { UsageError } from '../core/index.js';
import { ConnSet, PROTOCOLS, type Protocol } from './conn.js';
import type { NetworkModel } from './engine.js';
import { type Connection, cmp } from './matrix.js';
import {
  type AdminPeer,
  type Direction,
  type NetPod,
  type NpPeer,
  type PortSpec,
  type Selector,
  selectorMatches,
} from './model.js';

/**
 * Exposure analysis: for each workload and direction, who outside the known workloads could reach it (ingress) or
 * be reached by it (egress). A workload no policy isolates is exposed to the entire cluster and to every external
 * range; an isolated one is exposed to the "representative peers" its rules name: selectors that would also match
 * pods or namespaces that do not exist yet (`ns/[pod with {...}]`, `[namespace with {...}]/[all pods]`,
 * `entire-cluster`). Names and grammar follow netpol-analyzer's `--exposure` output.
 */
export interface ExposureLine {
  /** The analysed workload (`ns/name[Kind]`). */
  workload: string;
  /** The other side: an external range, `entire-cluster` or a representative peer. */
  peer: string;
  conns: string;
}

export interface ExposureResult {
  egress: ExposureLine[];
  ingress: ExposureLine[];
  /** `ns/name[Kind] is not protected on Egress|Ingress`. */
  unprotected: string[];
  /** `--focus-conn` label (`TCP 8080`): lines have no connection column. */
  focusConnLabel?: string;
}

export const ENTIRE_CLUSTER = 'entire-cluster';

/** A csv field, quoted when it holds a comma (netpol-analyzer's csv). */
export function csvField(s: string): string {
  return s.includes(',') ? `"${s}"` : s;
}
const METADATA_NAME = 'kubernetes.io/metadata.name';
const EMPTY_SELECTOR: Selector = { matchLabels: {}, matchExpressions: [] };

/** A selector as netpol-analyzer prints it: `{k=v,...,{Key:k,Operator:Op,Values:[a b],},...}`. */
export function selectorText(sel: Selector, fold: boolean, sortValues: boolean): string {
  // `key In [v]` selects exactly what `key=v` selects (netpol-analyzer prints pod selectors folded that way, and
  // namespace selector values sorted)
  const matchLabels = { ...sel.matchLabels };
  const rest = sel.matchExpressions.filter((e) => {
    const single = fold && e.operator === 'In' && e.values.length === 1 && !(e.key in matchLabels);
    if (single) matchLabels[e.key] = e.values[0] as string;
    return !single;
  });
  const labels = Object.keys(matchLabels)
    .sort()
    .map((k) => `${k}=${matchLabels[k]}`);
  const exprs = rest
    .sort((a, b) => cmp(a.key, b.key))
    .map(
      (e) =>
        `{Key:${e.key},Operator:${e.operator},Values:[${(sortValues ? [...e.values].sort() : e.values).join(' ')}],}`,
    );
  return `{${[...labels, ...exprs].join(',')}}`;
}

const isEmptySel = (s: Selector | undefined) =>
  s === undefined || (Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0);

/** A namespace selector that names one namespace by its immutable name label, and nothing else. */
function namedNamespace(sel: Selector): string | undefined {
  const keys = Object.keys(sel.matchLabels);
  if (keys.length === 1 && keys[0] === METADATA_NAME && sel.matchExpressions.length === 0)
    return sel.matchLabels[METADATA_NAME];
  return undefined;
}

/** Connections with port names kept unresolved (egress toward a peer that does not exist yet). */
class PortsText {
  conns = ConnSet.none;
  /** Unresolved port names per protocol (empty key: an admin named port, any protocol). */
  readonly names = new Map<Protocol | '', Set<string>>();
  add(other: PortsText): void {
    this.conns = this.conns.union(other.conns);
    for (const [p, n] of other.names) {
      const set = this.names.get(p) ?? new Set<string>();
      for (const x of n) set.add(x);
      this.names.set(p, set);
    }
  }
  isEmpty(): boolean {
    return this.conns.isEmpty() && this.names.size === 0;
  }
  toString(): string {
    if (this.names.size === 0) return this.conns.toString();
    const parts: string[] = [];
    for (const p of [...PROTOCOLS].sort()) {
      const own = ConnSet.of(p).intersect(this.conns);
      const items = own.isEmpty() ? [] : [own.toString().slice(p.length + 1)];
      items.push(...[...(this.names.get(p) ?? [])].sort());
      if (items.length > 0) parts.push(`${p} ${items.join(',')}`);
    }
    // admin named ports carry no protocol: ` name`
    const bare = [...(this.names.get('') ?? [])].sort();
    if (bare.length > 0) parts.unshift(` ${bare.join(',')}`);
    return parts.join(',');
  }
}

/** Whether an admin rule's named port carries no protocol (written as `namedPort`: one entry per protocol). */
function protocolLessName(ports: PortSpec[], name: string): boolean {
  return PROTOCOLS.every((p) => ports.some((x) => x.name === name && x.protocol === p));
}

/**
 * The connections of a rule's ports toward a peer: ingress named ports resolve on the subject's containers, egress
 * ones stay names (the destination does not exist yet); an admin `namedPort` has no protocol and prints as its name.
 */
function ruleConns(ports: PortSpec[] | 'any', dir: Direction, subject: NetPod): PortsText {
  const out = new PortsText();
  if (ports === 'any') {
    out.conns = ConnSet.all;
    return out;
  }
  for (const p of ports) {
    if (p.name !== undefined) {
      if (dir === 'ingress') {
        for (const cp of subject.ports)
          if (cp.name === p.name && cp.protocol === p.protocol)
            out.conns = out.conns.union(ConnSet.of(p.protocol, cp.port));
      } else {
        const key = protocolLessName(ports, p.name) ? '' : p.protocol;
        const set = out.names.get(key) ?? new Set<string>();
        set.add(p.name);
        out.names.set(key, set);
      }
    } else if (p.port !== undefined) out.conns = out.conns.union(ConnSet.of(p.protocol, p.port, p.endPort ?? p.port));
    else out.conns = out.conns.union(ConnSet.of(p.protocol));
  }
  return out;
}

/**
 * A representative peer: a pod that may appear later, described by the selectors that name it. `ns` is set when
 * its namespace is known by name; otherwise `nsSel` selects the namespace (empty: any namespace). `podSel` empty or
 * undefined: any pod. `entire-cluster` is any pod in any namespace.
 */
interface Representative {
  key: string;
  text: string;
  ns?: string;
  nsSel?: Selector;
  podSel?: Selector;
}

const ENTIRE: Representative = { key: ENTIRE_CLUSTER, text: ENTIRE_CLUSTER, nsSel: EMPTY_SELECTOR };

/**
 * The representative peer a rule peer stands for, or undefined when the peer only stands for workloads that
 * exist: a pod label selector (labels only) that an existing workload matches in a namespace the peer names or
 * whose labels it selects.
 */
function representativeOf(
  model: NetworkModel,
  policyNs: string,
  peer: NpPeer,
  evenIfExisting = false,
): Representative | undefined {
  if (peer.kind !== 'pods') return undefined;
  const nsSel = peer.namespaceSelector;
  const pod = peer.podSelector;
  if (nsSel !== undefined && isEmptySel(nsSel) && isEmptySel(pod)) return ENTIRE;
  const concreteNs = nsSel === undefined ? policyNs : namedNamespace(nsSel);
  const where = concreteNs !== undefined ? { ns: concreteNs } : { nsSel };
  const ns = (canonical: boolean) =>
    concreteNs ??
    (isEmptySel(nsSel)
      ? '[all namespaces]'
      : `[namespace with ${selectorText(nsSel as Selector, canonical, canonical)}]`);
  if (isEmptySel(pod)) return { key: `${ns(true)}/[all pods]`, text: `${ns(false)}/[all pods]`, ...where };
  const sel = pod as Selector;
  const labelsOnly = (x: Selector | undefined) => x !== undefined && x.matchExpressions.length === 0;
  const nsCovered = (name: string) =>
    concreteNs !== undefined
      ? name === concreteNs
      : labelsOnly(nsSel) &&
        !isEmptySel(nsSel) &&
        selectorMatches(nsSel as Selector, model.namespaces.get(name)?.labels ?? {});
  if (
    !evenIfExisting &&
    labelsOnly(sel) &&
    model.pods.some((p) => nsCovered(p.namespace) && selectorMatches(sel, p.labels))
  )
    return undefined;
  return {
    key: `${ns(true)}/[pod with ${selectorText(sel, true, true)}]`,
    text: `${ns(false)}/[pod with ${selectorText(sel, false, false)}]`,
    ...where,
    podSel: sel,
  };
}

/** An admin `pods`/`namespaces` peer in the shape of a NetworkPolicy peer (its namespace selector is always set). */
function adminAsNpPeer(peer: AdminPeer): NpPeer | undefined {
  return peer.kind === 'pods'
    ? { kind: 'pods', namespaceSelector: peer.namespaceSelector, podSelector: peer.podSelector, path: '' }
    : undefined;
}

const sameSelector = (a: Selector, b: Selector) => selectorText(a, true, true) === selectorText(b, true, true);

/**
 * Whether a rule peer selects every pod a representative peer stands for: its selectors are empty or have the same
 * requirements as the representative's (a selector that only partly overlaps does not count).
 */
function peerCoversRepresentative(policyNs: string, peer: NpPeer, rep: Representative): boolean {
  if (peer.kind !== 'pods') return false;
  const nsSel = peer.namespaceSelector;
  if (nsSel === undefined) {
    if (rep.ns !== policyNs) return false;
  } else if (!isEmptySel(nsSel)) {
    // a namespace known by name is covered only by a selector naming it, not by one its labels happen to match
    if (rep.ns !== undefined) {
      if (namedNamespace(nsSel) !== rep.ns) return false;
    } else if (rep.nsSel === undefined || !sameSelector(nsSel, rep.nsSel)) return false;
  }
  const pod = peer.podSelector;
  if (isEmptySel(pod)) return true;
  return rep.podSel !== undefined && sameSelector(pod as Selector, rep.podSel);
}

/** Whether NetworkPolicies or admin/baseline policies with rules in `dir` select `pod` (else "not protected"). */
function isProtected(model: NetworkModel, pod: NetPod, dir: Direction): boolean {
  if (model.selectingPolicies(pod, dir).length > 0) return true;
  return [...model.admin, ...model.baseline].some((p) => p.rules[dir].length > 0 && model.adminSelects(p, pod));
}

/**
 * What `subject` allows in `dir` with any pod a representative peer stands for, through the tiers: admin policies
 * by priority, first matching rule (Allow/Deny final, Pass to the NetworkPolicy tier); NetworkPolicies selecting the
 * subject (union of the rules covering the peer, the rest denied); otherwise baseline rules, then allow.
 */
function representativeConns(model: NetworkModel, subject: NetPod, dir: Direction, rep: Representative): PortsText {
  const allowed = new PortsText();
  const passedNames = new PortsText();
  let undecided = ConnSet.all;
  let toNp = ConnSet.none;
  const covers = (peers: AdminPeer[]) =>
    peers.some((x) => {
      const np = adminAsNpPeer(x);
      return np !== undefined && peerCoversRepresentative('', np, rep);
    });
  const namesOf = (rc: PortsText) => {
    const names = new PortsText();
    names.add(rc);
    names.conns = ConnSet.none;
    return names;
  };
  for (const p of model.admin) {
    if (undecided.isEmpty()) break;
    if (!model.adminSelects(p, subject)) continue;
    for (const rule of p.rules[dir]) {
      if (!covers(rule.peers)) continue;
      const rc = ruleConns(rule.ports, dir, subject);
      const hit = rc.conns.intersect(undecided);
      undecided = undecided.subtract(hit);
      if (rule.action === 'allow') {
        allowed.conns = allowed.conns.union(hit);
        allowed.add(namesOf(rc));
      } else if (rule.action === 'pass') {
        toNp = toNp.union(hit);
        passedNames.add(namesOf(rc));
      }
    }
  }
  toNp = toNp.union(undecided);
  const selecting = model.selectingPolicies(subject, dir);
  if (selecting.length > 0) {
    const np = new PortsText();
    for (const pol of selecting)
      for (const rule of pol.rules[dir])
        if (rule.peers === 'any' || rule.peers.some((x) => peerCoversRepresentative(pol.namespace, x, rep)))
          np.add(ruleConns(rule.ports, dir, subject));
    allowed.conns = allowed.conns.union(np.conns.intersect(toNp));
    allowed.add(namesOf(np));
    return allowed;
  }
  let rest = toNp;
  for (const p of model.baseline) {
    if (rest.isEmpty() || !model.adminSelects(p, subject)) continue;
    for (const rule of p.rules[dir]) {
      if (!covers(rule.peers)) continue;
      const hit = ruleConns(rule.ports, dir, subject).conns.intersect(rest);
      rest = rest.subtract(hit);
      if (rule.action === 'allow') allowed.conns = allowed.conns.union(hit);
    }
  }
  allowed.conns = allowed.conns.union(rest);
  allowed.add(passedNames);
  return allowed;
}

/** Every representative peer the policies' rules name, each printed as first written (see computeExposure). */
function representatives(model: NetworkModel): Representative[] {
  const out = new Map<string, Representative>();
  const texts = new Map<string, string>();
  const add = (policyNs: string, peer: NpPeer) => {
    const shown = representativeOf(model, policyNs, peer, true);
    if (shown && !texts.has(shown.key)) texts.set(shown.key, shown.text);
    const rep = representativeOf(model, policyNs, peer);
    if (rep && rep !== ENTIRE && !out.has(rep.key)) out.set(rep.key, rep);
  };
  const policies = [...model.networkPolicies].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  for (const np of policies)
    for (const dir of ['ingress', 'egress'] as const)
      for (const rule of np.rules[dir])
        if (rule.peers !== 'any') for (const peer of rule.peers) add(np.namespace, peer);
  for (const p of [...model.admin, ...model.baseline])
    for (const dir of ['ingress', 'egress'] as const)
      for (const rule of p.rules[dir])
        for (const peer of rule.peers) {
          const np = adminAsNpPeer(peer);
          if (np) add('', np);
        }
  return [...out.values()].map((r) => ({ ...r, text: texts.get(r.key) ?? r.text }));
}

/** Exposure of every workload (or of the focus ones) given the connection list already computed. */
export function computeExposure(
  model: NetworkModel,
  connlist: Connection[],
  options: {
    inScope?: (pod: NetPod) => boolean;
    focusDirection?: Direction;
    /** `--focus-conn`: only exposure on this connection counts, printed without connection column. */
    focusConn?: { conns: ConnSet; label: string };
  } = {},
): ExposureResult {
  // Calico and Cilium policies have their own peers (selectors, entities, nets); exposure does not model them, and
  // leaving them out would report exposure those policies forbid
  const cni = model.cniPolicies;
  if ((cni.calico?.policies.length ?? 0) > 0 || (cni.cilium?.length ?? 0) > 0)
    throw new UsageError(
      `--exposure analyses Kubernetes NetworkPolicy and admin policies only; the snapshot has ${model.cni} policies that --cni ${model.cni} enforces`,
    );
  const focusConn = options.focusConn;
  const res: ExposureResult = { egress: [], ingress: [], unprotected: [], focusConnLabel: focusConn?.label };
  // under --focus-conn a peer counts by the focus connection alone
  const connsFor = (rep: Representative, pod: NetPod, dir: Direction): PortsText => {
    const c = representativeConns(model, pod, dir, rep);
    if (!focusConn) return c;
    const only = new PortsText();
    only.conns = c.conns.intersect(focusConn.conns);
    return only;
  };
  const textOf = (c: PortsText) => (focusConn ? focusConn.label : c.toString());
  // equivalent selectors written differently print as the first one met, policies in name order, ingress first
  const reps = representatives(model);
  // only a representative that some rule guarding the workload covers can get other than the entire cluster (a rule
  // covering `entire-cluster` covers every representative); workloads guarded by the same policies share the list
  const byPolicies = new Map<string, Representative[]>();
  const ids = new Map<object, number>();
  const idOf = (o: object) => {
    if (!ids.has(o)) ids.set(o, ids.size);
    return ids.get(o) as number;
  };
  const candidates = (pod: NetPod, dir: Direction): Representative[] => {
    const nps = model.selectingPolicies(pod, dir);
    const admins = [...model.admin, ...model.baseline].filter((p) => model.adminSelects(p, pod));
    const key = `${dir} ${[...nps, ...admins].map(idOf).join(',')}`;
    let list = byPolicies.get(key);
    if (!list) {
      const peers: Array<{ ns: string; peer: NpPeer }> = [];
      for (const np of nps)
        for (const rule of np.rules[dir])
          if (rule.peers !== 'any') for (const peer of rule.peers) peers.push({ ns: np.namespace, peer });
      for (const p of admins)
        for (const rule of p.rules[dir])
          for (const x of rule.peers) {
            const peer = adminAsNpPeer(x);
            if (peer) peers.push({ ns: '', peer });
          }
      list = reps.filter((r) => peers.some((x) => peerCoversRepresentative(x.ns, x.peer, r)));
      byPolicies.set(key, list);
    }
    return list;
  };
  const pods = [...model.pods].sort((a, b) => cmp(a.display, b.display));
  for (const pod of pods) {
    if (options.inScope && !options.inScope(pod)) continue;
    const found: Record<Direction, ExposureLine[]> = { egress: [], ingress: [] };
    // a workload is part of the result when it is unprotected or exposed beyond the known workloads in some
    // direction; its connections with the outside world then come along as they are
    let listed = false;
    for (const dir of ['egress', 'ingress'] as const) {
      if (options.focusDirection && options.focusDirection !== dir) continue;
      const lines = found[dir];
      for (const c of connlist) {
        const self = dir === 'egress' ? c.src : c.dst;
        const other = dir === 'egress' ? c.dst : c.src;
        if (self.name === pod.display && other.endpoint.type === 'ip')
          lines.push({ workload: pod.display, peer: other.name, conns: c.conns.toString() });
      }
      const unprotected = !isProtected(model, pod, dir);
      if (unprotected) {
        listed = true;
        // netpol-analyzer leaves this list out under --focus-conn
        if (!focusConn)
          res.unprotected.push(`${pod.display} is not protected on ${dir === 'egress' ? 'Egress' : 'Ingress'}`);
      }
      const cluster = connsFor(ENTIRE, pod, dir);
      const clusterKey = cluster.toString();
      const before = lines.length;
      // (an unprotected workload's dot edge keeps its full label under --focus-conn, as upstream draws it)
      const clusterText = unprotected ? ConnSet.all.toString() : textOf(cluster);
      if (!cluster.isEmpty()) lines.push({ workload: pod.display, peer: ENTIRE_CLUSTER, conns: clusterText });
      for (const rep of candidates(pod, dir)) {
        // a peer that gets what the entire cluster gets adds nothing (nor, under --focus-conn, one that gets nothing)
        const conns = connsFor(rep, pod, dir);
        if (conns.toString() === clusterKey || (focusConn && conns.isEmpty())) continue;
        lines.push({ workload: pod.display, peer: rep.text, conns: textOf(conns) });
      }
      if (lines.length > before) listed = true;
      lines.sort((a, b) => cmp(a.peer, b.peer));
    }
    if (!listed) continue;
    res.egress.push(...found.egress);
    res.ingress.push(...found.ingress);
  }
  return res;
}

/** The exposure section appended to the connection list in each format (json is a whole document instead). */
export function renderExposure(
  result: ExposureResult,
  format: string,
  connlistText: string,
  connlistRows: unknown[],
): string {
  const focus = result.focusConnLabel;
  const title = `Exposure Analysis Result${focus ? ` On ${focus}` : ''}:`;
  switch (format) {
    case 'txt': {
      const width = Math.max(0, ...[...result.egress, ...result.ingress].map((l) => l.workload.length));
      const line = (l: ExposureLine, arrow: string) =>
        `${l.workload.padEnd(width)} \t${arrow} \t${l.peer}${focus ? '' : ` : ${l.conns}`}`;
      const out = [connlistText, '', title];
      if (result.egress.length > 0) out.push('Egress Exposure:', ...result.egress.map((l) => line(l, '=>')), '');
      if (result.ingress.length > 0) out.push('Ingress Exposure:', ...result.ingress.map((l) => line(l, '<=')));
      if (result.unprotected.length > 0)
        out.push('', 'Workloads not protected by network policies:', ...result.unprotected);
      return out.join('\n');
    }
    case 'json': {
      const entry = (src: string, dst: string, conn: string) => (focus ? { src, dst } : { src, dst, conn });
      return JSON.stringify(
        {
          [focus ? 'connlist_conn_focus_results' : 'connlist_results']: connlistRows,
          [focus ? 'exposure_conn_focus_results' : 'exposure_results']: {
            // upstream writes an empty list as null, but as [] under --focus-conn
            egress_exposure:
              result.egress.length || focus ? result.egress.map((l) => entry(l.workload, l.peer, l.conns)) : null,
            ingress_exposure:
              result.ingress.length || focus ? result.ingress.map((l) => entry(l.peer, l.workload, l.conns)) : null,
          },
        },
        null,
        2,
      );
    }
    case 'csv': {
      const row = (l: ExposureLine) => `${l.workload},${csvField(l.peer)}${focus ? '' : `,${csvField(l.conns)}`}`;
      const head = focus ? '' : ',conn';
      return [
        connlistText,
        `${title},,`,
        ...(result.egress.length ? ['Egress Exposure:,,', `src,dst${head}`, ...result.egress.map(row)] : []),
        ...(result.ingress.length ? ['Ingress Exposure:,,', `dst,src${head}`, ...result.ingress.map(row)] : []),
      ].join('\n');
    }
    case 'md': {
      const row = (l: ExposureLine) => `| ${l.workload} | ${l.peer} |${focus ? '' : ` ${l.conns} |`}`;
      const head = (a: string, b: string) =>
        focus ? [`| ${a} | ${b} |`, '|-----|-----|'] : [`| ${a} | ${b} | conn |`, '|-----|-----|------|'];
      return [
        connlistText,
        `## ${title}`,
        ...(result.egress.length ? ['### Egress Exposure:', ...head('src', 'dst'), ...result.egress.map(row), ''] : []),
        ...(result.ingress.length ? ['### Ingress Exposure:', ...head('dst', 'src'), ...result.ingress.map(row)] : []),
      ].join('\n');
    }
    default:
      return connlistText;
  }
}
