import { ConnSet } from './conn.js';
import { type IpRange, IpSet } from './ip.js';
import {
  type AdminPeer,
  type AdminPolicyModel,
  type AdminRule,
  type Direction,
  type NetNamespace,
  type NetPod,
  type NetworkPolicyModel,
  type NpPeer,
  type NpRule,
  portsToConns,
  type Selector,
  selectorMatches,
} from './model.js';

/** One side of a connection: a pod (workload representative) or a range of addresses outside the cluster. */
export type Endpoint = { type: 'pod'; pod: NetPod } | { type: 'ip'; range: IpRange };

export interface EngineOptions {
  /** ipBlock / CIDR peers also match pod IPs (upstream e2e). netpol-analyzer and Cilium: false. */
  ipblockMatchesPods: boolean;
  /**
   * Host-network pods are node traffic: no policy isolates them, pod selectors never pick them, and ingress from
   * them is allowed (node traffic always is). netpol-analyzer instead treats them as ordinary pods: false.
   */
  hostNetworkAsNode: boolean;
}

/** Why a direction allowed or denied a set of connections. */
export type Reason =
  | { kind: 'default' }
  | { kind: 'self' }
  | { kind: 'host-network'; pod: NetPod }
  | { kind: 'np-allow'; policy: NetworkPolicyModel; rule: NpRule }
  | { kind: 'np-deny'; policy: NetworkPolicyModel }
  | { kind: 'admin'; policy: AdminPolicyModel; rule: AdminRule };

/** A set of connections with one verdict in one direction and the reasons for it. */
export interface Segment {
  conns: ConnSet;
  allowed: boolean;
  reasons: Reason[];
}

export interface PairVerdict {
  /** Connections allowed end to end (egress at the source AND ingress at the destination). */
  allowed: ConnSet;
  egress: Segment[];
  ingress: Segment[];
}

/**
 * A rule peer that can change a verdict at some subject: `key` identifies it across subjects, `namespaces` (when
 * set) says which namespaces it can match at all, `test` decides one endpoint.
 */
export interface RelevantPeer {
  key: object;
  namespaces?: (ns: string) => boolean;
  test: (ep: Endpoint) => boolean;
}

export class NetworkModel {
  readonly pods: NetPod[];
  readonly namespaces: Map<string, NetNamespace>;
  readonly networkPolicies: NetworkPolicyModel[];
  /** Admin tier policies by priority then name; baseline tier likewise. */
  readonly admin: AdminPolicyModel[];
  readonly baseline: AdminPolicyModel[];
  readonly options: EngineOptions;
  private readonly npsByNamespace = new Map<string, NetworkPolicyModel[]>();
  private readonly nsSelectorCache = new Map<Selector, Set<string>>();
  private readonly podSelectCache = new Map<object, Uint8Array>();

  constructor(
    pods: NetPod[],
    namespaces: NetNamespace[],
    nps: NetworkPolicyModel[],
    admins: AdminPolicyModel[],
    options: EngineOptions,
  ) {
    this.pods = pods;
    this.namespaces = new Map(namespaces.map((n) => [n.name, n]));
    this.networkPolicies = nps;
    this.options = options;
    const byPrio = (a: AdminPolicyModel, b: AdminPolicyModel) =>
      a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    this.admin = admins.filter((a) => a.tier === 'admin').sort(byPrio);
    this.baseline = admins.filter((a) => a.tier === 'baseline').sort(byPrio);
    for (const np of nps) {
      let l = this.npsByNamespace.get(np.namespace);
      if (!l) this.npsByNamespace.set(np.namespace, (l = []));
      l.push(np);
    }
  }

  isNode(pod: NetPod): boolean {
    return pod.hostNetwork && this.options.hostNetworkAsNode;
  }

  private nsMatches(sel: Selector, ns: string): boolean {
    let set = this.nsSelectorCache.get(sel);
    if (!set) {
      set = new Set();
      for (const n of this.namespaces.values()) if (selectorMatches(sel, n.labels)) set.add(n.name);
      this.nsSelectorCache.set(sel, set);
    }
    return set.has(ns);
  }

  /** Memoised per (selector-bearing object, pod): selector evaluation happens once per pod. */
  private memo(key: object, pod: NetPod, compute: () => boolean): boolean {
    let arr = this.podSelectCache.get(key);
    if (!arr) this.podSelectCache.set(key, (arr = new Uint8Array(this.pods.length)));
    const v = arr[pod.index];
    if (v === 1) return true;
    if (v === 2) return false;
    const r = compute();
    arr[pod.index] = r ? 1 : 2;
    return r;
  }

  /** NetworkPolicies that select `pod` for `dir` (policies only select pods of their own namespace). */
  selectingPolicies(pod: NetPod, dir: Direction): NetworkPolicyModel[] {
    if (this.isNode(pod)) return [];
    return (this.npsByNamespace.get(pod.namespace) ?? []).filter(
      (np) => np.types[dir] && this.memo(np, pod, () => selectorMatches(np.podSelector, pod.labels)),
    );
  }

  adminSelects(p: AdminPolicyModel, pod: NetPod): boolean {
    if (this.isNode(pod)) return false;
    return this.memo(
      p,
      pod,
      () =>
        this.nsMatches(p.subject.namespaceSelector, pod.namespace) &&
        (p.subject.podSelector === undefined || selectorMatches(p.subject.podSelector, pod.labels)),
    );
  }

  private ipMatches(set: IpSet, ep: Endpoint): boolean {
    if (ep.type === 'ip') return set.containsRange(ep.range);
    if (!this.options.ipblockMatchesPods && !this.isNode(ep.pod)) return false;
    return ep.pod.ips.some((ip) => set.containsIp(ip.family, ip.value));
  }

  npPeerMatches(np: NetworkPolicyModel, peer: NpPeer, ep: Endpoint): boolean {
    if (peer.kind === 'ipBlock') return this.ipMatches(peer.set, ep);
    if (ep.type !== 'pod' || this.isNode(ep.pod)) return false;
    const pod = ep.pod;
    return this.memo(peer, pod, () => {
      if (peer.namespaceSelector === undefined) {
        if (pod.namespace !== np.namespace) return false;
      } else if (!this.nsMatches(peer.namespaceSelector, pod.namespace)) return false;
      return peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.labels);
    });
  }

  adminPeerMatches(peer: AdminPeer, ep: Endpoint): boolean {
    switch (peer.kind) {
      case 'networks':
        // networks match any address, pod IPs included
        if (ep.type === 'ip') return peer.set.containsRange(ep.range);
        return ep.pod.ips.some((ip) => peer.set.containsIp(ip.family, ip.value));
      case 'pods': {
        if (ep.type !== 'pod' || this.isNode(ep.pod)) return false;
        const pod = ep.pod;
        return this.memo(
          peer,
          pod,
          () =>
            this.nsMatches(peer.namespaceSelector, pod.namespace) &&
            (peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.labels)),
        );
      }
      case 'nodes':
        return ep.type === 'pod' && this.isNode(ep.pod);
      case 'unknown':
        return false;
    }
  }

  /**
   * The verdict of one direction at `subject` for traffic with `peer`, as segments covering every connection:
   * admin tier (first match by priority and rule order; Pass skips to the NetworkPolicy tier) → NetworkPolicy tier
   * (union of the rules of every selecting policy; selected but unmatched = denied) → baseline tier → allow.
   */
  evaluateDirection(subject: NetPod, peer: Endpoint, dir: Direction): Segment[] {
    if (this.isNode(subject))
      return [{ conns: ConnSet.all, allowed: true, reasons: [{ kind: 'host-network', pod: subject }] }];
    const dst = dir === 'ingress' ? subject : peer.type === 'pod' ? peer.pod : undefined;
    const out: Segment[] = [];
    let undecided = ConnSet.all;
    // pass segments reach the NetworkPolicy tier carrying their reason
    let toNp: Array<{ conns: ConnSet; reasons: Reason[] }> = [];
    for (const p of this.admin) {
      if (undecided.isEmpty()) break;
      if (!this.adminSelects(p, subject)) continue;
      for (const rule of p.rules[dir]) {
        if (undecided.isEmpty()) break;
        if (!rule.peers.some((x) => this.adminPeerMatches(x, peer))) continue;
        const hit = portsToConns(rule.ports, dst).intersect(undecided);
        if (hit.isEmpty()) continue;
        undecided = undecided.subtract(hit);
        const reason: Reason = { kind: 'admin', policy: p, rule };
        if (rule.action === 'pass') toNp.push({ conns: hit, reasons: [reason] });
        else out.push({ conns: hit, allowed: rule.action === 'allow', reasons: [reason] });
      }
    }
    if (!undecided.isEmpty()) toNp.push({ conns: undecided, reasons: [] });
    toNp = toNp.filter((s) => !s.conns.isEmpty());
    const selecting = this.selectingPolicies(subject, dir);
    if (selecting.length > 0) {
      const allows: Array<{ conns: ConnSet; reason: Reason }> = [];
      for (const np of selecting)
        for (const rule of np.rules[dir]) {
          if (rule.peers !== 'any' && !rule.peers.some((x) => this.npPeerMatches(np, x, peer))) continue;
          const c = portsToConns(rule.ports, dst);
          if (!c.isEmpty()) allows.push({ conns: c, reason: { kind: 'np-allow', policy: np, rule } });
        }
      const denyReasons: Reason[] = selecting.map((np) => ({ kind: 'np-deny', policy: np }));
      for (const seg of toNp) {
        let rest = seg.conns;
        for (const atom of refine(seg.conns, allows)) {
          out.push({ conns: atom.conns, allowed: true, reasons: [...seg.reasons, ...atom.reasons] });
          rest = rest.subtract(atom.conns);
        }
        if (!rest.isEmpty()) out.push({ conns: rest, allowed: false, reasons: [...seg.reasons, ...denyReasons] });
      }
      return out;
    }
    for (const seg of toNp) {
      let rest = seg.conns;
      for (const p of this.baseline) {
        if (rest.isEmpty() || !this.adminSelects(p, subject)) continue;
        for (const rule of p.rules[dir]) {
          if (rest.isEmpty()) break;
          if (!rule.peers.some((x) => this.adminPeerMatches(x, peer))) continue;
          const hit = portsToConns(rule.ports, dst).intersect(rest);
          if (hit.isEmpty()) continue;
          rest = rest.subtract(hit);
          // Pass in the baseline tier (v1alpha2) falls through to the default
          out.push({
            conns: hit,
            allowed: rule.action !== 'deny',
            reasons: [...seg.reasons, { kind: 'admin', policy: p, rule }],
          });
        }
      }
      if (!rest.isEmpty()) out.push({ conns: rest, allowed: true, reasons: [...seg.reasons, { kind: 'default' }] });
    }
    return out;
  }

  /**
   * Everything about a peer that can change the verdict of one direction at `subject`, as predicates: whether each
   * peer of every rule that applies to `subject` matches it. Two peers with equal answers (and, when rules use named
   * ports, equal container ports) get the same verdict, so verdicts can be cached per answer vector.
   */
  relevantPeers(subject: NetPod, dir: Direction): { peers: RelevantPeer[]; namedPorts: boolean; policies: object[] } {
    const peers: RelevantPeer[] = [];
    const policies: object[] = [];
    let namedPorts = false;
    if (this.isNode(subject)) return { peers, namedPorts, policies: [subject] };
    const noteNamed = (ports: NpRule['ports']) => {
      if (ports !== 'any' && ports.some((p) => p.name !== undefined)) namedPorts = true;
    };
    for (const p of [...this.admin, ...this.baseline]) {
      if (!this.adminSelects(p, subject)) continue;
      policies.push(p);
      for (const rule of p.rules[dir]) {
        noteNamed(rule.ports);
        for (const peer of rule.peers)
          peers.push({
            key: peer,
            namespaces: peer.kind === 'pods' ? (ns) => this.nsMatches(peer.namespaceSelector, ns) : undefined,
            test: (ep) => this.adminPeerMatches(peer, ep),
          });
      }
    }
    for (const np of this.selectingPolicies(subject, dir)) {
      policies.push(np);
      for (const rule of np.rules[dir]) {
        noteNamed(rule.ports);
        if (rule.peers !== 'any')
          for (const peer of rule.peers)
            peers.push({
              key: peer,
              namespaces:
                peer.kind !== 'pods'
                  ? undefined
                  : peer.namespaceSelector === undefined
                    ? (ns) => ns === np.namespace
                    : (ns) => this.nsMatches(peer.namespaceSelector as Selector, ns),
              test: (ep) => this.npPeerMatches(np, peer, ep),
            });
      }
    }
    return { peers, namedPorts, policies };
  }

  /** Both directions for src → dst. External endpoints impose no policy of their own. */
  evaluatePair(src: Endpoint, dst: Endpoint): PairVerdict {
    if (src.type === 'pod' && dst.type === 'pod' && src.pod === dst.pod) {
      const seg: Segment[] = [{ conns: ConnSet.all, allowed: true, reasons: [{ kind: 'self' }] }];
      return { allowed: ConnSet.all, egress: seg, ingress: seg };
    }
    const defaultAllow: Segment[] = [{ conns: ConnSet.all, allowed: true, reasons: [{ kind: 'default' }] }];
    const egress = src.type === 'pod' ? this.evaluateDirection(src.pod, dst, 'egress') : defaultAllow;
    const fromNode: Segment[] | undefined =
      src.type === 'pod' && this.isNode(src.pod)
        ? [{ conns: ConnSet.all, allowed: true, reasons: [{ kind: 'host-network', pod: src.pod }] }]
        : undefined;
    const ingress = dst.type === 'pod' ? (fromNode ?? this.evaluateDirection(dst.pod, src, 'ingress')) : defaultAllow;
    const e = allowedOf(egress);
    const i = allowedOf(ingress);
    return { allowed: e.intersect(i), egress, ingress };
  }

  /** Every address range that some policy names, for partitioning the outside world. */
  policyIpSets(direction?: Direction): IpSet[] {
    const sets: IpSet[] = [];
    for (const np of this.networkPolicies)
      for (const dir of direction ? [direction] : (['ingress', 'egress'] as const))
        for (const r of np.rules[dir])
          if (r.peers !== 'any')
            for (const p of r.peers)
              if (p.kind === 'ipBlock') {
                sets.push(p.set);
                // the cidr itself is a boundary too (netpol-analyzer cuts at cidr and at each except)
              }
    // ANP/CNP `networks` peers exist only in egress rules
    if (direction !== 'ingress')
      for (const a of [...this.admin, ...this.baseline])
        for (const dir of ['ingress', 'egress'] as const)
          for (const r of a.rules[dir]) for (const p of r.peers) if (p.kind === 'networks') sets.push(p.set);
    return sets;
  }
}

export function allowedOf(segs: Segment[]): ConnSet {
  let c = ConnSet.none;
  for (const s of segs) if (s.allowed) c = c.union(s.conns);
  return c;
}

/**
 * Splits `within` by which of the given sets cover each part; returns the parts covered by at least one set, each
 * with the reasons of every set covering it (so an explanation lists every rule that allows it).
 */
export function refine(
  within: ConnSet,
  sets: Array<{ conns: ConnSet; reason: Reason }>,
): Array<{ conns: ConnSet; reasons: Reason[] }> {
  let atoms: Array<{ conns: ConnSet; reasons: Reason[] }> = [];
  for (const s of sets) {
    let fresh = s.conns.intersect(within);
    if (fresh.isEmpty()) continue;
    const next: Array<{ conns: ConnSet; reasons: Reason[] }> = [];
    for (const a of atoms) {
      const both = a.conns.intersect(fresh);
      if (both.isEmpty()) {
        next.push(a);
        continue;
      }
      next.push({ conns: both, reasons: [...a.reasons, s.reason] });
      const only = a.conns.subtract(both);
      if (!only.isEmpty()) next.push({ conns: only, reasons: a.reasons });
      fresh = fresh.subtract(both);
    }
    if (!fresh.isEmpty()) next.push({ conns: fresh, reasons: [s.reason] });
    atoms = next;
  }
  return atoms;
}

export { IpSet };
