import { expandWorkloads, type LoadedObject, type Snapshot, WORKLOAD_KINDS } from '../inputs/index.js';
import { CALICO_API, parseCalico } from './calico.js';
import { CILIUM_API, parseCilium } from './cilium.js';
import { podDecodeProblem } from './compat-diagnostics.js';
import { type Cni, type CniPolicies, NetworkModel } from './engine.js';
import { parseIp } from './ip.js';
import { type ContainerPort, type NetNamespace, type NetPod, parseProtocol, podIpsOf } from './model.js';
import { isObj, type ParsedPolicies, type PolicyProblem, parsePolicies } from './parse.js';

/**
 * Which policy kinds each CNI enforces (note §0, §3–§7): the VPC CNI agent implements NetworkPolicy and, since
 * v1.21.1, ClusterNetworkPolicy; Calico implements its own kinds, NetworkPolicy and ClusterNetworkPolicy (it dropped
 * ANP/BANP v1alpha1); Cilium implements its own kinds and NetworkPolicy, no admin tiers. ipBlock/CIDR peers match pod
 * IPs except under Cilium (CIDR rules never select endpoints).
 */
export const CNI_PROFILES: Record<
  Cni,
  { anpV1alpha1: boolean; clusterNetworkPolicy: boolean; calico: boolean; cilium: boolean; ipblockMatchesPods: boolean }
> = {
  generic: { anpV1alpha1: true, clusterNetworkPolicy: true, calico: false, cilium: false, ipblockMatchesPods: true },
  'vpc-cni': { anpV1alpha1: false, clusterNetworkPolicy: true, calico: false, cilium: false, ipblockMatchesPods: true },
  calico: { anpV1alpha1: false, clusterNetworkPolicy: true, calico: true, cilium: false, ipblockMatchesPods: true },
  cilium: { anpV1alpha1: false, clusterNetworkPolicy: false, calico: false, cilium: true, ipblockMatchesPods: false },
};

export interface BuildOptions {
  /** Default per CNI (true except Cilium); netpol-analyzer compatibility turns it off. */
  ipblockMatchesPods?: boolean;
  /** The CNI whose enforcement is modelled (default generic; netpol-analyzer compatibility: generic). */
  cni?: Cni;
  /** netpol-analyzer's naming: a pod is shown as its direct controller owner; pods without IPs are ignored. */
  compat?: 'netpol-analyzer';
}

export interface BuiltNetwork {
  model: NetworkModel;
  policies: ParsedPolicies;
  problems: PolicyProblem[];
  /** Namespace objects by name (defined or synthesised by the loader), for findings' file:line. */
  namespaceObjects: Map<string, LoadedObject>;
}

export function containerPorts(spec: unknown): ContainerPort[] {
  const out: ContainerPort[] = [];
  if (!isObj(spec)) return out;
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (!Array.isArray(cs)) continue;
    for (const c of cs) {
      if (!isObj(c) || !Array.isArray(c.ports)) continue;
      for (const p of c.ports) {
        if (!isObj(p) || typeof p.containerPort !== 'number') continue;
        const protocol = parseProtocol(p.protocol);
        if (!protocol) continue;
        out.push({ name: typeof p.name === 'string' ? p.name : undefined, port: p.containerPort, protocol });
      }
    }
  }
  return out;
}

function namespacesOf(snapshot: Snapshot): NetNamespace[] {
  return snapshot.ofKind('Namespace').map((n) => ({
    name: n.name,
    labels: { ...n.labels, 'kubernetes.io/metadata.name': n.name },
  }));
}

/** Pods as Rampart names them: one per workload (top owner folded), `ns/name[Kind]`. */
function podsDefault(snapshot: Snapshot): NetPod[] {
  return expandWorkloads(snapshot).map((w, index) => ({
    index,
    namespace: w.namespace,
    name: w.name,
    kind: w.ownerKind,
    display: `${w.namespace}/${w.name}[${w.ownerKind}]`,
    labels: w.labels,
    ips: podIpsOf(w.status),
    hostNetwork: w.spec.hostNetwork === true,
    ports: containerPorts(w.spec),
    serviceAccount: typeof w.spec.serviceAccountName === 'string' ? w.spec.serviceAccountName : undefined,
    object: w.owner,
  }));
}

/**
 * netpol-analyzer's pods: Pods with a host IP and pod IPs, named after their direct controller owner
 * (`ns/rs-name[ReplicaSet]`) or `ns/name[Pod]`; every workload object stands for its own pod template.
 */
function podsNetpolAnalyzer(snapshot: Snapshot): NetPod[] {
  const byDisplay = new Map<string, NetPod>();
  const add = (p: Omit<NetPod, 'index'>) => {
    if (!byDisplay.has(p.display)) byDisplay.set(p.display, { ...p, index: byDisplay.size });
  };
  for (const kind of WORKLOAD_KINDS) {
    for (const o of snapshot.ofKind(kind)) {
      if (
        !['v1', 'apps/v1', 'batch/v1', 'batch/v1beta1', 'extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2'].includes(
          o.apiVersion,
        )
      )
        continue;
      // an object whose pod fields do not decode is skipped (compat-diagnostics reports it)
      if (podDecodeProblem(o)) continue;
      const ns = o.namespace ?? 'default';
      if (kind === 'Pod') {
        const st = isObj(o.raw.status) ? o.raw.status : {};
        const ips = podIpsOf(st);
        const owner = controllerOf(o);
        const spec = isObj(o.raw.spec) ? o.raw.spec : {};
        add({
          namespace: ns,
          name: owner ? owner.name : o.name,
          kind: owner ? owner.kind : 'Pod',
          display: owner ? `${ns}/${owner.name}[${owner.kind}]` : `${ns}/${o.name}[Pod]`,
          labels: o.labels,
          ips,
          hostNetwork: spec.hostNetwork === true,
          ports: containerPorts(spec),
          object: o,
        });
        continue;
      }
      const t = templateOf(o, kind);
      if (!t) continue;
      add({
        namespace: ns,
        name: o.name,
        kind,
        display: `${ns}/${o.name}[${kind}]`,
        labels: t.labels,
        ips: [],
        hostNetwork: isObj(t.spec) && t.spec.hostNetwork === true,
        ports: containerPorts(t.spec),
        object: o,
      });
    }
  }
  return [...byDisplay.values()];
}

function controllerOf(o: LoadedObject): { kind: string; name: string } | undefined {
  const refs = o.raw.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const c = refs.find((r) => r && r.controller === true && typeof r.name === 'string');
  if (!c || c.kind === 'Node') return undefined;
  // an owner reference without a kind is shown as a Pod, as netpol-analyzer does
  return { kind: typeof c.kind === 'string' && c.kind ? c.kind : 'Pod', name: c.name as string };
}

function templateOf(o: LoadedObject, kind: string): { labels: Record<string, string>; spec: unknown } | undefined {
  const spec = isObj(o.raw.spec) ? o.raw.spec : undefined;
  if (!spec) return undefined;
  let t: unknown = spec.template;
  if (kind === 'CronJob') {
    const jt = isObj(spec.jobTemplate) ? spec.jobTemplate : undefined;
    t = jt && isObj(jt.spec) ? jt.spec.template : undefined;
  }
  if (!isObj(t)) return undefined;
  const meta = isObj(t.metadata) ? t.metadata : {};
  const labels: Record<string, string> = {};
  if (isObj(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) labels[k] = String(v);
  return { labels, spec: t.spec };
}

/** Reads pods, namespaces and policies of a snapshot into an evaluable model. */
export function buildNetwork(snapshot: Snapshot, options: BuildOptions = {}): BuiltNetwork {
  // netpol-analyzer does not check object names (e.g. underscores); the API server does
  const policies = parsePolicies(snapshot, {
    checkNames: options.compat !== 'netpol-analyzer',
    analyzerStrict: options.compat === 'netpol-analyzer',
  });
  const pods = options.compat === 'netpol-analyzer' ? podsNetpolAnalyzer(snapshot) : podsDefault(snapshot);
  const cni: Cni = options.compat === 'netpol-analyzer' ? 'generic' : (options.cni ?? 'generic');
  const profile = CNI_PROFILES[cni];
  const ipblockMatchesPods =
    options.compat === 'netpol-analyzer' ? false : (options.ipblockMatchesPods ?? profile.ipblockMatchesPods);
  const problems = [...policies.problems];
  const notEnforced = (o: LoadedObject, what: string) =>
    problems.push({
      object: o,
      field: 'kind',
      message: `${what} is not enforced by --cni ${cni}: not applied${cni === 'generic' ? ' (pass --cni calico or --cni cilium to evaluate it)' : ''}`,
      level: 'warning',
      unknown: true,
    });
  const admins = policies.adminPolicies.filter((a) => {
    const enforced = a.kind === 'ClusterNetworkPolicy' ? profile.clusterNetworkPolicy : profile.anpV1alpha1;
    if (!enforced) notEnforced(a.object, a.kind);
    return enforced;
  });
  const cniPolicies: CniPolicies = {};
  if (profile.calico) {
    const calico = parseCalico(snapshot);
    problems.push(...calico.problems);
    cniPolicies.calico = calico;
    cniPolicies.serviceAccountLabels = new Map(
      snapshot.ofKind('ServiceAccount').map((sa) => [`${sa.namespace ?? 'default'}/${sa.name}`, { ...sa.labels }]),
    );
  } else
    for (const kind of ['NetworkPolicy', 'GlobalNetworkPolicy', 'Tier', 'NetworkSet', 'GlobalNetworkSet'])
      for (const o of snapshot.ofKind(kind))
        if (CALICO_API.test(o.apiVersion) && kind.endsWith('Policy')) notEnforced(o, `Calico ${kind}`);
  if (profile.cilium) {
    const cilium = parseCilium(snapshot);
    problems.push(...cilium.problems);
    cniPolicies.cilium = cilium.policies;
  } else
    for (const kind of ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'])
      for (const o of snapshot.ofKind(kind)) if (CILIUM_API.test(o.apiVersion)) notEnforced(o, kind);
  const model = new NetworkModel(
    pods,
    namespacesOf(snapshot),
    policies.networkPolicies,
    admins,
    { ipblockMatchesPods, hostNetworkAsNode: options.compat !== 'netpol-analyzer', cni },
    cniPolicies,
  );
  const namespaceObjects = new Map(snapshot.ofKind('Namespace').map((n) => [n.name, n]));
  return { model, policies, problems, namespaceObjects };
}

export { parseIp };
