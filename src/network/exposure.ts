import { ConnSet, PROTOCOLS, type Protocol } from './conn.js';
import type { NetworkModel } from './engine.js';
import { type Connection, cmp } from './matrix.js';
import { type Direction, type NetPod, type NpPeer, type NpRule, type Selector, selectorMatches } from './model.js';

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
}

export const ENTIRE_CLUSTER = 'entire-cluster';

/** A csv field, quoted when it holds a comma (netpol-analyzer's csv). */
export function csvField(s: string): string {
  return s.includes(',') ? `"${s}"` : s;
}
const METADATA_NAME = 'kubernetes.io/metadata.name';

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
  readonly names = new Map<Protocol, Set<string>>();
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
    return parts.join(',');
  }
}

function ruleConns(rule: NpRule, dir: Direction, subject: NetPod): PortsText {
  const out = new PortsText();
  if (rule.ports === 'any') {
    out.conns = ConnSet.all;
    return out;
  }
  for (const p of rule.ports) {
    if (p.name !== undefined) {
      if (dir === 'ingress') {
        for (const cp of subject.ports)
          if (cp.name === p.name && cp.protocol === p.protocol)
            out.conns = out.conns.union(ConnSet.of(p.protocol, cp.port));
      } else {
        const set = out.names.get(p.protocol) ?? new Set<string>();
        set.add(p.name);
        out.names.set(p.protocol, set);
      }
    } else if (p.port !== undefined) out.conns = out.conns.union(ConnSet.of(p.protocol, p.port, p.endPort ?? p.port));
    else out.conns = out.conns.union(ConnSet.of(p.protocol));
  }
  return out;
}

/**
 * The representative peer a rule peer stands for (`key` compares equivalent selectors, `text` is how it prints), or
 * undefined when the peer only stands for workloads that exist: a pod label selector (labels only) that an existing
 * workload matches in a namespace the peer names or whose labels it selects.
 */
function representativeOf(
  model: NetworkModel,
  policyNs: string,
  peer: NpPeer,
  evenIfExisting = false,
): { key: string; text: string } | undefined {
  if (peer.kind !== 'pods') return undefined;
  const nsSel = peer.namespaceSelector;
  const pod = peer.podSelector;
  if (nsSel !== undefined && isEmptySel(nsSel) && isEmptySel(pod)) return { key: ENTIRE_CLUSTER, text: ENTIRE_CLUSTER };
  const concreteNs = nsSel === undefined ? policyNs : namedNamespace(nsSel);
  const ns = (canonical: boolean) =>
    concreteNs ??
    (isEmptySel(nsSel)
      ? '[all namespaces]'
      : `[namespace with ${selectorText(nsSel as Selector, canonical, canonical)}]`);
  if (isEmptySel(pod)) return { key: `${ns(true)}/[all pods]`, text: `${ns(false)}/[all pods]` };
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
  };
}

/** Exposure of every workload (or of the focus ones) given the connection list already computed. */
export function computeExposure(
  model: NetworkModel,
  connlist: Connection[],
  options: { inScope?: (pod: NetPod) => boolean; focusDirection?: Direction } = {},
): ExposureResult {
  const res: ExposureResult = { egress: [], ingress: [], unprotected: [] };
  // equivalent selectors written differently print as the first one met, policies in name order, ingress first
  const texts = new Map<string, string>();
  const policies = [...model.networkPolicies].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  for (const np of policies)
    for (const dir of ['ingress', 'egress'] as const)
      for (const rule of np.rules[dir])
        if (rule.peers !== 'any')
          for (const peer of rule.peers) {
            const rep = representativeOf(model, np.namespace, peer, true);
            if (rep && !texts.has(rep.key)) texts.set(rep.key, rep.text);
          }
  const pods = [...model.pods].sort((a, b) => cmp(a.display, b.display));
  for (const pod of pods) {
    if (options.inScope && !options.inScope(pod)) continue;
    for (const dir of ['egress', 'ingress'] as const) {
      if (options.focusDirection && options.focusDirection !== dir) continue;
      const lines: ExposureLine[] = [];
      // connections with the outside world are part of the exposure as they are
      for (const c of connlist) {
        const self = dir === 'egress' ? c.src : c.dst;
        const other = dir === 'egress' ? c.dst : c.src;
        if (self.name === pod.display && other.endpoint.type === 'ip')
          lines.push({ workload: pod.display, peer: other.name, conns: c.conns.toString() });
      }
      const selecting = model.selectingPolicies(pod, dir);
      const reps = new Map<string, PortsText>();
      const addRep = (rep: { key: string; text: string }, conns: PortsText) => {
        if (conns.isEmpty()) return;
        const cur = reps.get(rep.key);
        if (cur) cur.add(conns);
        else reps.set(rep.key, conns);
      };
      const cluster0 = { key: ENTIRE_CLUSTER, text: ENTIRE_CLUSTER };
      if (selecting.length === 0) {
        res.unprotected.push(`${pod.display} is not protected on ${dir === 'egress' ? 'Egress' : 'Ingress'}`);
        const all = new PortsText();
        all.conns = ConnSet.all;
        addRep(cluster0, all);
      } else {
        for (const np of selecting)
          for (const rule of np.rules[dir]) {
            const conns = ruleConns(rule, dir, pod);
            if (rule.peers === 'any') {
              addRep(cluster0, conns);
              continue;
            }
            for (const peer of rule.peers) {
              const rep = representativeOf(model, np.namespace, peer);
              if (rep) addRep(rep, ruleConns(rule, dir, pod));
            }
          }
      }
      const cluster = reps.get(ENTIRE_CLUSTER);
      for (const [name, conns] of reps) {
        // a peer already covered by the entire-cluster exposure adds nothing
        if (name !== ENTIRE_CLUSTER && cluster) {
          if (conns.names.size === 0 && conns.conns.subtract(cluster.conns).isEmpty()) continue;
          // pods behind a representative peer are part of the cluster too
          conns.add(cluster);
        }
        lines.push({ workload: pod.display, peer: texts.get(name) ?? name, conns: conns.toString() });
      }
      lines.sort((a, b) => cmp(a.peer, b.peer));
      res[dir].push(...lines);
    }
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
  switch (format) {
    case 'txt': {
      const width = Math.max(0, ...[...result.egress, ...result.ingress].map((l) => l.workload.length));
      const line = (l: ExposureLine, arrow: string) =>
        `${l.workload.padEnd(width)} \t${arrow} \t${l.peer} : ${l.conns}`;
      const out = [connlistText, '', 'Exposure Analysis Result:'];
      if (result.egress.length > 0) out.push('Egress Exposure:', ...result.egress.map((l) => line(l, '=>')), '');
      if (result.ingress.length > 0) out.push('Ingress Exposure:', ...result.ingress.map((l) => line(l, '<=')));
      if (result.unprotected.length > 0)
        out.push('', 'Workloads not protected by network policies:', ...result.unprotected);
      return out.join('\n');
    }
    case 'json':
      return JSON.stringify(
        {
          connlist_results: connlistRows,
          exposure_results: {
            egress_exposure: result.egress.length
              ? result.egress.map((l) => ({ src: l.workload, dst: l.peer, conn: l.conns }))
              : null,
            ingress_exposure: result.ingress.length
              ? result.ingress.map((l) => ({ src: l.peer, dst: l.workload, conn: l.conns }))
              : null,
          },
        },
        null,
        2,
      );
    case 'csv': {
      const row = (l: ExposureLine) => `${l.workload},${csvField(l.peer)},${csvField(l.conns)}`;
      return [
        connlistText,
        'Exposure Analysis Result:,,',
        ...(result.egress.length ? ['Egress Exposure:,,', 'src,dst,conn', ...result.egress.map(row)] : []),
        ...(result.ingress.length ? ['Ingress Exposure:,,', 'dst,src,conn', ...result.ingress.map(row)] : []),
      ].join('\n');
    }
    case 'md': {
      const row = (l: ExposureLine) => `| ${l.workload} | ${l.peer} | ${l.conns} |`;
      return [
        connlistText,
        '## Exposure Analysis Result:',
        ...(result.egress.length
          ? ['### Egress Exposure:', '| src | dst | conn |', '|-----|-----|------|', ...result.egress.map(row), '']
          : []),
        ...(result.ingress.length
          ? ['### Ingress Exposure:', '| dst | src | conn |', '|-----|-----|------|', ...result.ingress.map(row)]
          : []),
      ].join('\n');
    }
    default:
      return connlistText;
  }
}
