import {
  allContainers,
  expandWorkloads,
  isRecord,
  type LoadedObject,
  matchesLabelSelector,
  type Snapshot,
  type WorkloadPod,
} from '../inputs/index.js';

/** Namespaces that hold the cluster's own add-ons: reported, but not judged as tenant boundaries. */
export function isSystemNamespace(name: string): boolean {
  return name === 'kube-system' || name === 'kube-public' || name === 'kube-node-lease';
}

/** Label that marks a namespace as a shared service (ingress, monitoring) rather than a tenant. */
export const ROLE_LABEL = 'rampart.io/role';

export type NamespaceRole = 'tenant' | 'shared' | 'system';

/**
 * System namespaces are not judged; shared ones (`rampart.io/role: shared` or `platform`) are judged like tenants,
 * but traffic from them does not count as tenant-to-tenant.
 */
export function namespaceRole(ns: LoadedObject): NamespaceRole {
  if (isSystemNamespace(ns.name)) return 'system';
  const role = ns.labels[ROLE_LABEL];
  return role === 'shared' || role === 'platform' ? 'shared' : 'tenant';
}

export type PsaLevel = 'privileged' | 'baseline' | 'restricted';
export interface PsaMode {
  /** Undefined when the label is absent; an invalid value is kept in `invalid`. */
  level?: PsaLevel;
  /** `latest` when absent or invalid (as the API server reads it). */
  version: string;
  invalid?: string;
}
export interface PodSecurityLabels {
  enforce: PsaMode;
  audit: PsaMode;
  warn: PsaMode;
}

const PSA_PREFIX = 'pod-security.kubernetes.io/';

function psaMode(labels: Record<string, string>, mode: 'enforce' | 'audit' | 'warn'): PsaMode {
  const raw = labels[`${PSA_PREFIX}${mode}`];
  const rawVersion = labels[`${PSA_PREFIX}${mode}-version`];
  const version = rawVersion && /^(latest|v1\.\d+)$/.test(rawVersion) ? rawVersion : 'latest';
  if (raw === undefined) return { version };
  if (raw === 'privileged' || raw === 'baseline' || raw === 'restricted') return { level: raw, version };
  // The API server rejects an invalid level on the namespace; read it as absent and say so.
  return { version, invalid: raw };
}

export function podSecurityLabels(ns: LoadedObject): PodSecurityLabels {
  return {
    enforce: psaMode(ns.labels, 'enforce'),
    audit: psaMode(ns.labels, 'audit'),
    warn: psaMode(ns.labels, 'warn'),
  };
}

/** A pod selector that selects every pod of the namespace: `{}` or one with no requirements. */
export function selectsAllPods(selector: unknown): boolean {
  if (!isRecord(selector)) return false;
  const ml = selector.matchLabels;
  const me = selector.matchExpressions;
  const noLabels = ml === undefined || ml === null || (isRecord(ml) && Object.keys(ml).length === 0);
  const noExprs = me === undefined || me === null || (Array.isArray(me) && me.length === 0);
  return noLabels && noExprs;
}

/** policyTypes as the API server defaults them: Ingress always, Egress when egress rules exist. */
export function policyTypes(spec: Record<string, unknown>): Set<'Ingress' | 'Egress'> {
  const out = new Set<'Ingress' | 'Egress'>();
  if (Array.isArray(spec.policyTypes)) {
    for (const t of spec.policyTypes) if (t === 'Ingress' || t === 'Egress') out.add(t);
    return out;
  }
  out.add('Ingress');
  if (Array.isArray(spec.egress) && spec.egress.length > 0) out.add('Egress');
  return out;
}

export interface DefaultDeny {
  /** Policies that isolate every pod of the namespace for ingress and allow nothing. */
  ingress: LoadedObject[];
  egress: LoadedObject[];
  /** A policy that lets every pod of the namespace reach DNS (UDP 53) in kube-system or anywhere. */
  dns?: LoadedObject;
  /** Every Kubernetes NetworkPolicy of the namespace. */
  policies: LoadedObject[];
}

function rulesOf(spec: Record<string, unknown>, key: 'ingress' | 'egress'): unknown[] {
  const r = spec[key];
  return Array.isArray(r) ? r : [];
}

function allowsDnsUdp(ports: unknown): boolean {
  if (ports === undefined || ports === null) return true;
  if (!Array.isArray(ports)) return false;
  if (ports.length === 0) return true;
  return ports.some((p) => {
    if (!isRecord(p)) return false;
    const proto = typeof p.protocol === 'string' ? p.protocol : 'TCP';
    if (proto !== 'UDP') return false;
    if (p.port === undefined) return true;
    if (p.port === 53 || p.port === 'dns' || p.port === '53') return true;
    return typeof p.port === 'number' && typeof p.endPort === 'number' && p.port <= 53 && p.endPort >= 53;
  });
}

function peerReachesKubeDns(peer: unknown, snapshot: Snapshot): boolean {
  if (!isRecord(peer)) return false;
  if (isRecord(peer.ipBlock)) return peer.ipBlock.cidr === '0.0.0.0/0' || peer.ipBlock.cidr === '::/0';
  if (peer.namespaceSelector === undefined) return false; // own namespace only
  const kubeSystem = snapshot.get('Namespace', undefined, 'kube-system');
  const labels = kubeSystem?.labels ?? { 'kubernetes.io/metadata.name': 'kube-system' };
  if (!matchesLabelSelector(peer.namespaceSelector, labels)) return false;
  if (peer.podSelector === undefined) return true;
  const dnsPods = expandWorkloadsCached(snapshot).filter(
    (p) => p.namespace === 'kube-system' && matchesLabelSelector(peer.podSelector, p.labels),
  );
  return dnsPods.some((p) => p.labels['k8s-app'] === 'kube-dns') || selectsAllPods(peer.podSelector);
}

const workloadCache = new WeakMap<Snapshot, WorkloadPod[]>();
export function expandWorkloadsCached(snapshot: Snapshot): WorkloadPod[] {
  let w = workloadCache.get(snapshot);
  if (!w) workloadCache.set(snapshot, (w = expandWorkloads(snapshot)));
  return w;
}

/** Which switch of a network-engine CNI profile (`CNI_PROFILES`) says whether a policy kind is enforced. */
export type PolicyFamily = 'calico' | 'cilium' | 'anpV1alpha1' | 'clusterNetworkPolicy';

/**
 * Policy objects that may deny traffic to or from a namespace but that the default-deny check does not read: Calico
 * and Cilium policies (namespaced in it or cluster-wide) and the cluster-wide AdminNetworkPolicy tiers. With any of
 * them present (and enforced), a namespace without a Kubernetes default-deny may still be fenced.
 */
export function otherPoliciesFor(
  snapshot: Snapshot,
  namespace: string,
): Array<{ label: string; family: PolicyFamily }> {
  const namespaced = (kind: string, group: string, family: PolicyFamily) =>
    snapshot
      .ofKind(kind, namespace)
      .filter((o) => o.apiVersion.startsWith(group))
      .map((o) => ({ label: `${kind} ${namespace}/${o.name}`, family }));
  const clusterWide = (kind: string, family: PolicyFamily) =>
    snapshot.ofKind(kind).map((o) => ({ label: `${kind} ${o.name}`, family }));
  return [
    ...namespaced('NetworkPolicy', 'projectcalico.org/', 'calico'),
    ...namespaced('NetworkPolicy', 'crd.projectcalico.org/', 'calico'),
    ...namespaced('CiliumNetworkPolicy', 'cilium.io/', 'cilium'),
    ...clusterWide('GlobalNetworkPolicy', 'calico'),
    ...clusterWide('CiliumClusterwideNetworkPolicy', 'cilium'),
    ...clusterWide('AdminNetworkPolicy', 'anpV1alpha1'),
    ...clusterWide('BaselineAdminNetworkPolicy', 'anpV1alpha1'),
    ...clusterWide('ClusterNetworkPolicy', 'clusterNetworkPolicy'),
  ];
}

/** Reads a namespace's Kubernetes NetworkPolicies for the default-deny fence (controls NET-01, NET-02, NET-03). */
export function defaultDenyOf(snapshot: Snapshot, namespace: string): DefaultDeny {
  const policies = snapshot
    .ofKind('NetworkPolicy', namespace)
    .filter((p) => p.apiVersion.startsWith('networking.k8s.io/'));
  const out: DefaultDeny = { ingress: [], egress: [], policies };
  for (const p of policies) {
    const spec = isRecord(p.raw.spec) ? p.raw.spec : undefined;
    if (!spec || !selectsAllPods(spec.podSelector)) continue;
    const types = policyTypes(spec);
    if (types.has('Ingress') && rulesOf(spec, 'ingress').length === 0) out.ingress.push(p);
    if (types.has('Egress') && rulesOf(spec, 'egress').length === 0) out.egress.push(p);
    if (types.has('Egress') && !out.dns) {
      const allowsDns = rulesOf(spec, 'egress').some((rule) => {
        if (!isRecord(rule) || !allowsDnsUdp(rule.ports)) return false;
        const to = rule.to;
        if (to === undefined || to === null || (Array.isArray(to) && to.length === 0)) return true;
        return Array.isArray(to) && to.some((peer) => peerReachesKubeDns(peer, snapshot));
      });
      if (allowsDns) out.dns = p;
    }
  }
  return out;
}

export interface PodFacts {
  pod: WorkloadPod;
  privileged: string[];
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  /** True when a service-account token is mounted (pod field, else the ServiceAccount's, else the default true). */
  automountToken: boolean;
  serviceAccount: string;
}

export function podFacts(snapshot: Snapshot, pod: WorkloadPod): PodFacts {
  const spec = pod.spec;
  const privileged = allContainers(spec)
    .filter(({ container }) => isRecord(container.securityContext) && container.securityContext.privileged === true)
    .map(({ container, list, index }) => container.name ?? `${list}[${index}]`);
  const serviceAccount =
    typeof spec.serviceAccountName === 'string' && spec.serviceAccountName
      ? spec.serviceAccountName
      : typeof spec.serviceAccount === 'string' && spec.serviceAccount
        ? spec.serviceAccount
        : 'default';
  let automountToken = true;
  if (typeof spec.automountServiceAccountToken === 'boolean') automountToken = spec.automountServiceAccountToken;
  else {
    const sa = snapshot.get('ServiceAccount', pod.namespace, serviceAccount);
    if (sa && typeof sa.raw.automountServiceAccountToken === 'boolean')
      automountToken = sa.raw.automountServiceAccountToken;
  }
  return {
    pod,
    privileged,
    hostNetwork: spec.hostNetwork === true,
    hostPID: spec.hostPID === true,
    hostIPC: spec.hostIPC === true,
    automountToken,
    serviceAccount,
  };
}

export function workloadLabel(p: WorkloadPod): string {
  return `${p.ownerKind}/${p.name}`;
}

/** Where a namespace's pods may be scheduled: the node selector labels and the taints they tolerate. */
export interface Placement {
  /** `key=value` node labels the pod requires (nodeSelector and required node affinity with one `In` value). */
  nodeLabels: string[];
  /** `key=value:effect` (or `key:effect`, `*` for tolerate-everything) of NoSchedule/NoExecute tolerations. */
  tolerations: string[];
}

export function placementOf(pod: WorkloadPod): Placement {
  const spec = pod.spec;
  const nodeLabels: string[] = [];
  if (isRecord(spec.nodeSelector))
    for (const [k, v] of Object.entries(spec.nodeSelector)) nodeLabels.push(`${k}=${String(v)}`);
  const affinity = isRecord(spec.affinity) ? spec.affinity : undefined;
  const nodeAffinity = affinity && isRecord(affinity.nodeAffinity) ? affinity.nodeAffinity : undefined;
  const required =
    nodeAffinity && isRecord(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)
      ? nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      : undefined;
  const terms = required && Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [];
  // Only a single term can pin a pod to one node group; several terms are ORed.
  if (terms.length === 1 && isRecord(terms[0]) && Array.isArray(terms[0].matchExpressions)) {
    for (const e of terms[0].matchExpressions) {
      if (isRecord(e) && e.operator === 'In' && Array.isArray(e.values) && e.values.length === 1)
        nodeLabels.push(`${String(e.key)}=${String(e.values[0])}`);
    }
  }
  const tolerations: string[] = [];
  for (const t of Array.isArray(spec.tolerations) ? spec.tolerations : []) {
    if (!isRecord(t)) continue;
    const effect = typeof t.effect === 'string' && t.effect ? t.effect : '*';
    if (effect === 'PreferNoSchedule') continue;
    if (t.key === undefined || t.key === '') {
      if (t.operator === 'Exists') tolerations.push('*');
      continue;
    }
    const value = t.operator === 'Exists' ? '' : `=${String(t.value ?? '')}`;
    tolerations.push(`${String(t.key)}${value}:${effect}`);
  }
  return { nodeLabels: [...new Set(nodeLabels)].sort(), tolerations: [...new Set(tolerations)].sort() };
}

/** Whether toleration text `key[=value]:effect` (from placementOf) tolerates taint `key=value:effect`. */
export function toleratesTaint(toleration: string, taint: string): boolean {
  if (toleration === '*') return true;
  const [tKey, tEffect] = splitEffect(toleration);
  const [aKey, aEffect] = splitEffect(taint);
  if (tEffect !== '*' && tEffect !== aEffect) return false;
  if (!tKey.includes('=')) return tKey === aKey.split('=')[0];
  return tKey === aKey;
}

function splitEffect(s: string): [string, string] {
  const i = s.lastIndexOf(':');
  return i < 0 ? [s, '*'] : [s.slice(0, i), s.slice(i + 1)];
}
