import {
  CALICO_DEFAULT_TIER,
  CALICO_KNP_ORDER,
  CALICO_KUBE_ADMIN_ORDER,
  type CalicoContext,
  type CalicoNetworkSet,
  type CalicoPolicyModel,
  type CalicoRule,
  type CalicoTier,
  calicoEntityMatches,
  calicoIpSets,
  calicoPortConns,
  calicoSelects,
  hasNamedCalicoPorts,
} from './calico.js';
import {
  type CiliumPeer,
  type CiliumPolicyModel,
  type CiliumRule,
  type CiliumRuleSet,
  ciliumIpSets,
  ciliumPodLabels,
} from './cilium.js';
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

/**
 * The CNI whose enforcement is modelled (note §4–§7): which policy kinds apply and how they combine.
 * - generic: Kubernetes NetworkPolicy, ANP/BANP v1alpha1, ClusterNetworkPolicy v1alpha2; union of NP allows.
 * - vpc-cni: Amazon VPC CNI network policy agent: Kubernetes NetworkPolicy and ClusterNetworkPolicy (no ANP/BANP).
 * - calico: Calico tiers (NetworkPolicy, GlobalNetworkPolicy; Kubernetes NetworkPolicy in the default tier at order
 *   1000; ClusterNetworkPolicy in the kube-admin / kube-baseline tiers).
 * - cilium: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and Kubernetes NetworkPolicy; deny always wins.
 */
export type Cni = 'generic' | 'vpc-cni' | 'calico' | 'cilium';
export const CNIS: readonly Cni[] = ['generic', 'vpc-cni', 'calico', 'cilium'];

/** Calico and Cilium policies in force (those of the selected CNI), plus what their selectors need. */
export interface CniPolicies {
  calico?: { policies: CalicoPolicyModel[]; tiers: CalicoTier[]; networkSets: CalicoNetworkSet[] };
  cilium?: CiliumPolicyModel[];
  /** ServiceAccount labels by `ns/name` (Calico serviceAccountSelector). */
  serviceAccountLabels?: Map<string, Record<string, string>>;
}

/** A policy of any kind, for reasons. */
export interface PolicyRef {
  kind: string;
  namespace?: string;
  name: string;
  object: { source: { file: string; line?: number } };
}

export interface EngineOptions {
  /** The CNI whose enforcement is modelled; default generic. */
  cni?: Cni;
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
  | { kind: 'admin'; policy: AdminPolicyModel; rule: AdminRule }
  /** A Calico or Cilium rule that decided (or, for Calico Pass/Log, passed on) these connections. */
  | {
      kind: 'cni-rule';
      cni: 'calico' | 'cilium';
      action: 'allow' | 'deny' | 'pass';
      policy: PolicyRef;
      /** `spec.ingress[0]` and the like. */
      rule: string;
      /** Calico tier, when not the default tier. */
      tier?: string;
      /** L7 rules attached to the matching ports that are not analysed. */
      l7?: string[];
    }
  /** Calico end-of-tier drop or pass, Cilium default deny: which policies isolate the endpoint. */
  | { kind: 'cni-isolated'; cni: 'calico' | 'cilium'; tier?: string; passed: boolean; policies: PolicyRef[] }
  /** An Ingress or OpenShift Route that exposes (or, `matched: false`, does not expose) these connections. */
  | {
      kind: 'ingress-object';
      objectKind: 'Ingress' | 'Route';
      namespace: string;
      name: string;
      service: string;
      matched: boolean;
    };

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
  readonly cni: Cni;
  readonly cniPolicies: CniPolicies;
  private readonly calicoCtx: CalicoContext;
  private calicoTiers: CalicoTierEval[] = [];
  private ciliumByNamespace?: Map<string, CiliumPolicyModel[]>;

  constructor(
    pods: NetPod[],
    namespaces: NetNamespace[],
    nps: NetworkPolicyModel[],
    admins: AdminPolicyModel[],
    options: EngineOptions,
    cniPolicies: CniPolicies = {},
  ) {
    this.pods = pods;
    this.cni = options.cni ?? 'generic';
    this.cniPolicies = cniPolicies;
    this.calicoCtx = {
      namespaceLabels: (ns) => this.namespaces.get(ns)?.labels,
      serviceAccountLabels: (ns, name) => cniPolicies.serviceAccountLabels?.get(`${ns}/${name}`) ?? {},
      isNode: (p) => this.isNode(p),
      networkSets: cniPolicies.calico?.networkSets ?? [],
    };
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
    if (this.cni === 'calico') this.calicoTiers = this.buildCalicoTiers(nps);
  }

  /**
   * Calico's evaluation order: tiers by order; the ClusterNetworkPolicy Admin tier as `kube-admin` (order 1000,
   * defaultAction Pass), Kubernetes NetworkPolicies in the `default` tier at order 1000, the Baseline tier as
   * `kube-baseline` after every other tier (defaultAction Pass). Inside a tier, policies by order then name.
   */
  private buildCalicoTiers(nps: NetworkPolicyModel[]): CalicoTierEval[] {
    const calico = this.cniPolicies.calico;
    const tiers: CalicoTierEval[] = (calico?.tiers ?? [CALICO_DEFAULT_TIER]).map((tier) => ({ tier, items: [] }));
    const byName = new Map(tiers.map((t) => [t.tier.name, t]));
    for (const p of calico?.policies ?? [])
      byName.get(p.tier)?.items.push({ kind: 'calico', order: p.order, name: p.name, policy: p });
    const def = byName.get('default');
    for (const np of nps)
      def?.items.push({ kind: 'knp', order: CALICO_KNP_ORDER, name: `knp.default.${np.name}`, policy: np });
    if (this.admin.length > 0)
      tiers.push({
        tier: { name: 'kube-admin', order: CALICO_KUBE_ADMIN_ORDER, defaultAction: 'pass' },
        items: this.admin.map((a) => ({ kind: 'admin', order: a.priority, name: a.name, policy: a })),
      });
    if (this.baseline.length > 0)
      tiers.push({
        tier: { name: 'kube-baseline', order: Number.POSITIVE_INFINITY, defaultAction: 'pass' },
        items: this.baseline.map((a) => ({ kind: 'admin', order: a.priority, name: a.name, policy: a })),
      });
    const byOrder = (a: { order: number; name: string }, b: { order: number; name: string }) =>
      a.order - b.order || (a.order === b.order && a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const t of tiers) t.items.sort(byOrder);
    tiers.sort((a, b) => byOrder(a.tier, b.tier));
    return tiers;
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
    if (this.cni === 'calico') return this.evaluateCalico(subject, peer, dir);
    if (this.cni === 'cilium') return this.evaluateCilium(subject, peer, dir);
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
    if (this.cni === 'calico')
      for (const t of this.calicoTiers)
        for (const it of itemsForNamespace(t, subject.namespace)) {
          if (it.kind !== 'calico' || !this.tierItemSelects(it, subject, dir)) continue;
          const p = it.policy;
          policies.push(p);
          for (const rule of p.rules[dir]) {
            if (hasNamedCalicoPorts(rule)) namedPorts = true;
            const peerSide = dir === 'ingress' ? rule.source : rule.destination;
            const subjectSide = dir === 'ingress' ? rule.destination : rule.source;
            // subjects differing in whether the rule's own side matches them get different verdict rows
            if (this.calicoEntity(p, subjectSide, { type: 'pod', pod: subject })) policies.push(subjectSide);
            // a selector without namespaceSelector in a namespaced policy only picks pods of that namespace
            const localOnly =
              p.namespace !== undefined &&
              !peerSide.namespaceSelector &&
              (peerSide.selector !== undefined || peerSide.serviceAccounts !== undefined);
            peers.push({
              key: peerSide,
              namespaces: localOnly ? (ns) => ns === p.namespace : undefined,
              test: (ep) => this.calicoRuleSideMatches(p, rule, peerSide, ep),
            });
          }
        }
    if (this.cni === 'cilium')
      for (const { policy, ruleSet } of this.ciliumSelecting(subject)) {
        policies.push(ruleSet);
        for (const rule of ruleSet.rules[dir]) {
          noteNamed(rule.ports);
          if (rule.peers !== 'any')
            for (const peer of rule.peers)
              peers.push({
                key: peer,
                namespaces:
                  peer.kind === 'endpoints' && peer.namespace !== undefined ? (ns) => ns === peer.namespace : undefined,
                test: (ep) => this.ciliumPeerMatches(peer, ep),
              });
        }
        void policy;
      }
    return { peers, namedPorts, policies };
  }

  // ---- Calico ----

  private tierItemSelects(it: TierItem, subject: NetPod, dir: Direction): boolean {
    switch (it.kind) {
      case 'calico':
        return (
          it.policy.types[dir] && this.memo(it.policy, subject, () => calicoSelects(this.calicoCtx, it.policy, subject))
        );
      case 'knp':
        return (
          it.policy.types[dir] &&
          it.policy.namespace === subject.namespace &&
          this.memo(it.policy, subject, () => selectorMatches(it.policy.podSelector, subject.labels))
        );
      case 'admin':
        return this.adminSelects(it.policy, subject);
    }
  }

  private calicoEntity(p: CalicoPolicyModel, e: CalicoRule['source'], ep: Endpoint): boolean {
    if (ep.type === 'pod') return this.memo(e, ep.pod, () => calicoEntityMatches(this.calicoCtx, p, e, ep));
    return calicoEntityMatches(this.calicoCtx, p, e, ep);
  }

  private calicoRuleSideMatches(
    p: CalicoPolicyModel,
    rule: CalicoRule,
    e: CalicoRule['source'],
    ep: Endpoint,
  ): boolean {
    if (rule.ipVersion !== undefined) {
      if (ep.type === 'ip' && ep.range.family !== rule.ipVersion) return false;
      if (ep.type === 'pod' && ep.pod.ips.length > 0 && !ep.pod.ips.some((ip) => ip.family === rule.ipVersion))
        return false;
    }
    return this.calicoEntity(p, e, ep);
  }

  /** What one tier item's rules match for this pair, in evaluation order. */
  private tierItemRules(
    it: TierItem,
    tier: CalicoTier,
    subject: NetPod,
    peer: Endpoint,
    dir: Direction,
    dst: NetPod | undefined,
  ): Array<{ conns: ConnSet; action: 'allow' | 'deny' | 'pass' | 'log'; reason: Reason }> {
    const out: Array<{ conns: ConnSet; action: 'allow' | 'deny' | 'pass' | 'log'; reason: Reason }> = [];
    if (it.kind === 'knp') {
      for (const rule of it.policy.rules[dir]) {
        if (rule.peers !== 'any' && !rule.peers.some((x) => this.npPeerMatches(it.policy, x, peer))) continue;
        out.push({
          conns: portsToConns(rule.ports, dst),
          action: 'allow',
          reason: { kind: 'np-allow', policy: it.policy, rule },
        });
      }
    } else if (it.kind === 'admin') {
      for (const rule of it.policy.rules[dir]) {
        if (!rule.peers.some((x) => this.adminPeerMatches(x, peer))) continue;
        out.push({
          conns: portsToConns(rule.ports, dst),
          action: rule.action,
          reason: { kind: 'admin', policy: it.policy, rule },
        });
      }
    } else {
      const p = it.policy;
      const self: Endpoint = { type: 'pod', pod: subject };
      for (const rule of p.rules[dir]) {
        const [srcSide, dstSide] = dir === 'ingress' ? [peer, self] : [self, peer];
        if (!this.calicoRuleSideMatches(p, rule, rule.source, srcSide)) continue;
        if (!this.calicoRuleSideMatches(p, rule, rule.destination, dstSide)) continue;
        out.push({
          conns: calicoPortConns(rule, dst),
          action: rule.action,
          reason: {
            kind: 'cni-rule',
            cni: 'calico',
            action: rule.action === 'log' ? 'pass' : rule.action,
            policy: refOf(p),
            rule: rule.path,
            tier: tier.name === 'default' ? undefined : tier.name,
            l7: rule.l7 ? [rule.l7] : undefined,
          },
        });
      }
    }
    return out;
  }

  /**
   * Calico: tiers in order; in each tier that selects the subject, policies and rules in order, the first Allow or
   * Deny decides, Log goes on, Pass goes to the next tier; what a selecting tier leaves undecided meets the tier's
   * defaultAction (Deny: end-of-tier drop). After the last tier, the namespace profile allows.
   */
  private evaluateCalico(subject: NetPod, peer: Endpoint, dir: Direction): Segment[] {
    const dst = dir === 'ingress' ? subject : peer.type === 'pod' ? peer.pod : undefined;
    const out: Segment[] = [];
    let carried: Array<{ conns: ConnSet; reasons: Reason[] }> = [{ conns: ConnSet.all, reasons: [] }];
    for (const t of this.calicoTiers) {
      const items = itemsForNamespace(t, subject.namespace).filter((it) => this.tierItemSelects(it, subject, dir));
      if (items.length === 0) continue;
      const hits = items.flatMap((it) => this.tierItemRules(it, t.tier, subject, peer, dir, dst));
      const next: typeof carried = [];
      for (const seg of carried) {
        let pending = seg.conns;
        for (const h of hits) {
          if (pending.isEmpty()) break;
          if (h.action === 'log') continue;
          const hit = h.conns.intersect(pending);
          if (hit.isEmpty()) continue;
          pending = pending.subtract(hit);
          const reasons = [...seg.reasons, h.reason];
          if (h.action === 'pass') next.push({ conns: hit, reasons });
          else out.push({ conns: hit, allowed: h.action === 'allow', reasons });
        }
        if (pending.isEmpty()) continue;
        const passed = t.tier.defaultAction === 'pass';
        const end: Reason = {
          kind: 'cni-isolated',
          cni: 'calico',
          tier: t.tier.name,
          passed,
          policies: items.map((it) => refOf(it.policy)),
        };
        if (passed) next.push({ conns: pending, reasons: [...seg.reasons, end] });
        else out.push({ conns: pending, allowed: false, reasons: [...seg.reasons, end] });
      }
      carried = next;
      if (carried.length === 0) break;
    }
    for (const seg of carried)
      out.push({ conns: seg.conns, allowed: true, reasons: [...seg.reasons, { kind: 'default' }] });
    return out;
  }

  // ---- Cilium ----

  private readonly ciliumLabelCache: Array<Record<string, string> | undefined> = [];

  /** The labels Cilium derives for a pod, built once per pod. */
  private ciliumLabels(pod: NetPod): Record<string, string> {
    const known = pod.index < this.pods.length ? this.ciliumLabelCache[pod.index] : undefined;
    if (known) return known;
    const labels = ciliumPodLabels(pod, this.namespaces.get(pod.namespace)?.labels);
    if (pod.index < this.pods.length) this.ciliumLabelCache[pod.index] = labels;
    return labels;
  }

  private ciliumSelecting(pod: NetPod): Array<{ policy: CiliumPolicyModel; ruleSet: CiliumRuleSet }> {
    const out: Array<{ policy: CiliumPolicyModel; ruleSet: CiliumRuleSet }> = [];
    if (this.isNode(pod)) return out;
    if (!this.ciliumByNamespace) {
      this.ciliumByNamespace = new Map();
      for (const p of this.cniPolicies.cilium ?? []) {
        const k = p.namespace ?? '';
        const l = this.ciliumByNamespace.get(k);
        if (l) l.push(p);
        else this.ciliumByNamespace.set(k, [p]);
      }
    }
    const candidates = [
      ...(this.ciliumByNamespace.get('') ?? []),
      ...(this.ciliumByNamespace.get(pod.namespace) ?? []),
    ];
    for (const policy of candidates) {
      for (const ruleSet of policy.ruleSets)
        if (this.memo(ruleSet, pod, () => selectorMatches(ruleSet.endpointSelector, this.ciliumLabels(pod))))
          out.push({ policy, ruleSet });
    }
    return out;
  }

  ciliumPeerMatches(peer: CiliumPeer, ep: Endpoint): boolean {
    switch (peer.kind) {
      case 'endpoints': {
        if (ep.type !== 'pod' || this.isNode(ep.pod)) return false;
        const pod = ep.pod;
        if (peer.namespace !== undefined && pod.namespace !== peer.namespace) return false;
        return this.memo(peer, pod, () => selectorMatches(peer.selector, this.ciliumLabels(pod)));
      }
      case 'cidr':
        // CIDR peers select addresses outside the cluster, never endpoints or nodes (unless told otherwise)
        if (ep.type === 'ip') return peer.set.containsRange(ep.range);
        return this.options.ipblockMatchesPods && ep.pod.ips.some((ip) => peer.set.containsIp(ip.family, ip.value));
      case 'entity':
        switch (peer.entity) {
          case 'all':
            return true;
          case 'world':
            return ep.type === 'ip';
          case 'world-ipv4':
            return ep.type === 'ip' && ep.range.family === 4;
          case 'world-ipv6':
            return ep.type === 'ip' && ep.range.family === 6;
          case 'cluster':
            return ep.type === 'pod';
          case 'host':
          case 'remote-node':
            return ep.type === 'pod' && this.isNode(ep.pod);
          default:
            // kube-apiserver, health, init, ingress, unmanaged: no such endpoint in a snapshot
            return false;
        }
      case 'unresolved':
        return false;
    }
  }

  private ciliumRuleMatches(rule: CiliumRule, ep: Endpoint): boolean {
    return rule.peers === 'any' || rule.peers.some((p) => this.ciliumPeerMatches(p, ep));
  }

  /**
   * Cilium: every deny rule (any policy) wins; then the union of every allow rule (CiliumNetworkPolicy,
   * CiliumClusterwideNetworkPolicy, Kubernetes NetworkPolicy); the rest is denied when some selecting policy puts the
   * endpoint into default deny for this direction, else allowed.
   */
  private evaluateCilium(subject: NetPod, peer: Endpoint, dir: Direction): Segment[] {
    const dst = dir === 'ingress' ? subject : peer.type === 'pod' ? peer.pod : undefined;
    const allows: Array<{ conns: ConnSet; reason: Reason }> = [];
    const denies: Array<{ conns: ConnSet; reason: Reason }> = [];
    const isolating: PolicyRef[] = [];
    for (const np of this.selectingPolicies(subject, dir)) {
      isolating.push(np);
      for (const rule of np.rules[dir]) {
        if (rule.peers !== 'any' && !rule.peers.some((x) => this.npPeerMatches(np, x, peer))) continue;
        allows.push({ conns: portsToConns(rule.ports, dst), reason: { kind: 'np-allow', policy: np, rule } });
      }
    }
    for (const { policy, ruleSet } of this.ciliumSelecting(subject)) {
      if (ruleSet.defaultDeny[dir] && !isolating.includes(policy)) isolating.push(policy);
      for (const rule of ruleSet.rules[dir]) {
        if (!this.ciliumRuleMatches(rule, peer)) continue;
        const conns = portsToConns(rule.ports, dst);
        if (conns.isEmpty()) continue;
        const reason: Reason = {
          kind: 'cni-rule',
          cni: 'cilium',
          action: rule.deny ? 'deny' : 'allow',
          policy: refOf(policy),
          rule: rule.path,
          l7: rule.l7.length > 0 ? rule.l7 : undefined,
        };
        (rule.deny ? denies : allows).push({ conns, reason });
      }
    }
    const out: Segment[] = [];
    let rest = ConnSet.all;
    for (const atom of refine(rest, denies)) {
      out.push({ conns: atom.conns, allowed: false, reasons: atom.reasons });
      rest = rest.subtract(atom.conns);
    }
    for (const atom of refine(rest, allows)) {
      out.push({ conns: atom.conns, allowed: true, reasons: atom.reasons });
      rest = rest.subtract(atom.conns);
    }
    if (!rest.isEmpty())
      out.push(
        isolating.length > 0
          ? {
              conns: rest,
              allowed: false,
              reasons: [{ kind: 'cni-isolated', cni: 'cilium', passed: false, policies: isolating }],
            }
          : { conns: rest, allowed: true, reasons: [{ kind: 'default' }] },
      );
    return out;
  }

  /** Whether any policy in force isolates `pod` for `dir` (unmatched traffic is denied). */
  isIsolated(pod: NetPod, dir: Direction): boolean {
    if (this.isNode(pod)) return false;
    if (this.selectingPolicies(pod, dir).length > 0) return true;
    if (this.cni === 'cilium') return this.ciliumSelecting(pod).some((x) => x.ruleSet.defaultDeny[dir]);
    if (this.cni === 'calico')
      return this.calicoTiers.some(
        (t) =>
          t.tier.defaultAction === 'deny' &&
          itemsForNamespace(t, pod.namespace).some((it) => this.tierItemSelects(it, pod, dir)),
      );
    return false;
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
    if (this.cniPolicies.calico) sets.push(...calicoIpSets(this.cniPolicies.calico));
    if (this.cniPolicies.cilium) sets.push(...ciliumIpSets(this.cniPolicies.cilium));
    return sets;
  }
}

type TierItem =
  | { kind: 'calico'; order: number; name: string; policy: CalicoPolicyModel }
  | { kind: 'knp'; order: number; name: string; policy: NetworkPolicyModel }
  | { kind: 'admin'; order: number; name: string; policy: AdminPolicyModel };

interface CalicoTierEval {
  tier: CalicoTier;
  items: TierItem[];
  /** The items that can select pods of one namespace (namespaced ones of that namespace and the cluster-wide ones). */
  byNamespace?: Map<string, TierItem[]>;
}

function itemsForNamespace(t: CalicoTierEval, ns: string): TierItem[] {
  if (!t.byNamespace) t.byNamespace = new Map();
  let list = t.byNamespace.get(ns);
  if (!list) {
    list = t.items.filter(
      (it) => it.kind === 'admin' || it.policy.namespace === undefined || it.policy.namespace === ns,
    );
    t.byNamespace.set(ns, list);
  }
  return list;
}

function refOf(p: PolicyRef | CalicoPolicyModel): PolicyRef {
  // a Calico NetworkPolicy shares its kind name with the Kubernetes one: say which
  const calico = 'tier' in p && p.kind === 'NetworkPolicy';
  return { kind: calico ? 'Calico NetworkPolicy' : p.kind, namespace: p.namespace, name: p.name, object: p.object };
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
