import { type LoadedObject, matchesLabelSelector } from '../inputs/index.js';
import { ConnSet, type Protocol, parseProtocol } from './conn.js';
import { type IpSet, parseIp } from './ip.js';

/** A label selector as the engine evaluates it; `undefined` fields mean "not set". */
export interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }>;
}

/** A validated selector has the shape of a Kubernetes LabelSelector, so the loader's matcher applies as is. */
export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  return matchesLabelSelector(sel, labels);
}

export function selectorIsEmpty(sel: Selector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** A container port a named port can resolve to. */
export interface ContainerPort {
  name?: string;
  port: number;
  protocol: Protocol;
}

export interface NetNamespace {
  name: string;
  labels: Record<string, string>;
}

/** A pod as the engine sees it: one representative per workload (all replicas share labels and ports). */
export interface NetPod {
  index: number;
  namespace: string;
  /** `ns/name[Kind]`. */
  display: string;
  name: string;
  kind: string;
  labels: Record<string, string>;
  ips: Array<{ family: 4 | 6; value: bigint }>;
  hostNetwork: boolean;
  ports: ContainerPort[];
  /** spec.serviceAccountName (Calico and Cilium can select by it); undefined = `default`. */
  serviceAccount?: string;
  object?: LoadedObject;
}

/** One entry of a rule's `ports`; `port`/`name` unset means every port of `protocol`. */
export interface PortSpec {
  protocol: Protocol;
  port?: number;
  endPort?: number;
  name?: string;
}

/** Conns of a port list toward one destination (named ports resolve on the destination pod's containers). */
export function portsToConns(ports: PortSpec[] | 'any', dst: NetPod | undefined): ConnSet {
  if (ports === 'any') return ConnSet.all;
  let out = ConnSet.none;
  for (const p of ports) {
    if (p.name !== undefined) {
      if (!dst) continue;
      for (const cp of dst.ports)
        if (cp.name === p.name && cp.protocol === p.protocol) out = out.union(ConnSet.of(p.protocol, cp.port));
    } else if (p.port !== undefined) out = out.union(ConnSet.of(p.protocol, p.port, p.endPort ?? p.port));
    else out = out.union(ConnSet.of(p.protocol));
  }
  return out;
}

/** Whether the conns of a port list depend on the destination (named ports). */
export function hasNamedPorts(ports: PortSpec[] | 'any'): boolean {
  return ports !== 'any' && ports.some((p) => p.name !== undefined);
}

/** A NetworkPolicy peer after validation. `namespaceSelector: undefined` means the policy's namespace. */
export type NpPeer =
  | { kind: 'pods'; namespaceSelector?: Selector; podSelector?: Selector; path: string }
  | { kind: 'ipBlock'; set: IpSet; cidr: string; except: string[]; path: string };

export interface NpRule {
  /** 1-based, as netpol-analyzer prints it. */
  index: number;
  peers: NpPeer[] | 'any';
  ports: PortSpec[] | 'any';
  path: string;
}

export type Direction = 'ingress' | 'egress';

export interface NetworkPolicyModel {
  kind: 'NetworkPolicy';
  namespace: string;
  name: string;
  podSelector: Selector;
  /** Effective policyTypes. */
  types: Record<Direction, boolean>;
  /** Rules per direction (empty when the direction has no rules). */
  rules: Record<Direction, NpRule[]>;
  /** Whether spec.ingress/spec.egress had rules that policyTypes makes inert. */
  ignoredRules: Record<Direction, boolean>;
  object: LoadedObject;
}

export type AdminAction = 'allow' | 'deny' | 'pass';

export type AdminPeer =
  | { kind: 'pods'; namespaceSelector: Selector; podSelector?: Selector }
  | { kind: 'networks'; set: IpSet }
  | { kind: 'nodes' }
  | { kind: 'unknown'; what: string };

export interface AdminRule {
  name: string;
  action: AdminAction;
  peers: AdminPeer[];
  ports: PortSpec[] | 'any';
}

/** AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2), unified. */
export interface AdminPolicyModel {
  kind: 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy' | 'ClusterNetworkPolicy';
  tier: 'admin' | 'baseline';
  name: string;
  priority: number;
  subject: { namespaceSelector: Selector; podSelector?: Selector };
  rules: Record<Direction, AdminRule[]>;
  object: LoadedObject;
}

export function peerIpMatches(set: IpSet, ip: { family: 4 | 6; value: bigint }): boolean {
  return set.containsIp(ip.family, ip.value);
}

export function podIpsOf(status: unknown): Array<{ family: 4 | 6; value: bigint }> {
  const out: Array<{ family: 4 | 6; value: bigint }> = [];
  if (!status || typeof status !== 'object') return out;
  const st = status as Record<string, unknown>;
  const texts = new Set<string>();
  if (typeof st.podIP === 'string') texts.add(st.podIP);
  if (Array.isArray(st.podIPs))
    for (const p of st.podIPs) if (p && typeof p === 'object' && typeof p.ip === 'string') texts.add(p.ip);
  for (const t of texts) {
    const ip = parseIp(t);
    if (ip) out.push(ip);
  }
  return out;
}

export { parseProtocol };
