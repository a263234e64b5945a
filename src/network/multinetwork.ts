import { parse as parseYaml } from 'yaml';
import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { NetworkModel } from './engine.js';
import { parseIp } from './ip.js';
import type { Connection } from './matrix.js';
import { type ContainerPort, type NetPod, type NetworkPolicyModel, parseProtocol, selectorMatches } from './model.js';
import { Invalid, isObj, type PolicyProblem, parseNetworkPolicy, parseSelector, toProblem } from './parse.js';

/**
 * netpol-analyzer's multi-network view (`--multiple-networks`): OVN-Kubernetes primary user-defined networks
 * (UserDefinedNetwork in a namespace, ClusterUserDefinedNetwork over selected namespaces) replace the pod network of
 * the namespaces that opt in (label `k8s.ovn.org/primary-user-defined-network`) and isolate them from every other
 * network; NetworkAttachmentDefinitions add secondary networks that pods (annotation `k8s.v1.cni.cncf.io/networks`)
 * and KubeVirt VMs (`spec.template.spec.networks[].multus`) join, governed only by MultiNetworkPolicies that name them
 * (`k8s.v1.cni.cncf.io/policy-for`). Each network is analysed on its own: its member workloads, the policies that
 * apply in it, and (primary networks only) the outside world.
 */

export const PRIMARY_UDN_LABEL = 'k8s.ovn.org/primary-user-defined-network';
const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
const POLICY_FOR_ANNOTATION = 'k8s.v1.cni.cncf.io/policy-for';

export type NetworkKind = 'pod' | 'udn' | 'cudn' | 'nad';

/** One network of the cluster with the workloads attached to it and the model that evaluates traffic inside it. */
export interface NetworkSection {
  kind: NetworkKind;
  /** `pod-network`; the namespace of a UDN; the name of a CUDN or NAD. */
  name: string;
  model: NetworkModel;
  /** The pods of the base model that take part, in the order of `model.pods`. */
  members: NetPod[];
}

/** How netpol-analyzer names a network in headers: `primary UDN blue`, `secondary NAD y`; the pod network as given. */
export function networkTitle(s: NetworkSection, podNetwork: string): string {
  switch (s.kind) {
    case 'pod':
      return podNetwork;
    case 'udn':
      return `primary UDN ${s.name}`;
    case 'cudn':
      return `primary CUDN ${s.name}`;
    case 'nad':
      return `secondary NAD ${s.name}`;
  }
}

const KIND_ORDER = { pod: 0, udn: 1, cudn: 2, nad: 3 } as const;

/** netpol-analyzer's order of networks: the pod network, then primary UDNs, CUDNs, secondary NADs, each by name. */
export function networkOrder(a: NetworkSection, b: NetworkSection): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** One network's allowed connections (or every pair, for explanations). */
export interface SectionConnections {
  section: NetworkSection;
  conns: Connection[];
}

export interface MultiNetworkLayout {
  sections: NetworkSection[];
  /** Per workload (`ns/name[Kind]`): its primary network and secondary networks as netpol-analyzer prints them. */
  mapping: Map<string, { primary: string; secondary: string[] }>;
  problems: PolicyProblem[];
}

interface Udn {
  object: LoadedObject;
  kind: 'udn' | 'cudn';
  /** Network name: the namespace for a UDN, the object name for a CUDN. */
  network: string;
  namespaces: string[];
}

const topologyOf = (spec: Record<string, unknown>) => ({
  topology: spec.topology,
  layer2: isObj(spec.layer2) ? spec.layer2 : undefined,
  layer3: isObj(spec.layer3) ? spec.layer3 : undefined,
});

/**
 * The network spec of a (C)UDN, checked as OVN-Kubernetes' CRD validation would; returns whether it is primary.
 * Messages carry netpol-analyzer's wording (its tests match on it) after our field path.
 */
function checkUdnSpec(network: Record<string, unknown>, field: string, id: string): boolean {
  const { topology, layer2, layer3 } = topologyOf(network);
  const head = `(cluster-)user-defined-network: ${id}`;
  if (topology !== 'Layer2' && topology !== 'Layer3')
    throw new Invalid(`${field}.topology`, `${head}; Invalid value: ${String(topology)} for key: topology`);
  if ((topology === 'Layer2' && layer3) || (topology === 'Layer3' && layer2))
    throw new Invalid(
      `${field}.topology`,
      `${head}; Mismatch between topology value: ${topology} and actual layer configuration`,
    );
  const layer = topology === 'Layer2' ? layer2 : layer3;
  for (const l of [layer2, layer3])
    if (l && l.role !== 'Primary' && l.role !== 'Secondary')
      throw new Invalid(
        `${field}.${l === layer2 ? 'layer2' : 'layer3'}.role`,
        `${head}; Invalid value: ${String(l.role)} for key: role`,
      );
  return layer?.role === 'Primary';
}

const bySource = (a: LoadedObject, b: LoadedObject) =>
  a.source.file < b.source.file ? -1 : a.source.file > b.source.file ? 1 : (a.source.line ?? 0) - (b.source.line ?? 0);

/**
 * Primary (C)UDNs that apply, in input order, with problems for invalid ones (errors) and ignored ones (warnings),
 * worded as netpol-analyzer words them.
 */
function readUdns(snapshot: Snapshot, problems: PolicyProblem[]): Udn[] {
  const out: Udn[] = [];
  const nsObjects = new Map(snapshot.ofKind('Namespace').map((n) => [n.name, n]));
  const warn = (object: LoadedObject, field: string, message: string) =>
    problems.push({ object, field, message, level: 'warning', unknown: true });
  const objects = [...snapshot.ofKind('UserDefinedNetwork'), ...snapshot.ofKind('ClusterUserDefinedNetwork')].sort(
    bySource,
  );
  for (const o of objects) {
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    if (o.kind === 'UserDefinedNetwork') {
      const ns = o.namespace ?? 'default';
      const id = `${ns}/${o.name}`;
      try {
        if (o.name === 'default')
          throw new Invalid(
            'metadata.name',
            `illegal name of user-defined-network:  ${id}; Name of UserDefinedNetwork resource should not be default`,
          );
        if (ns === 'default' || ns.startsWith('openshift'))
          throw new Invalid(
            'metadata.namespace',
            `(cluster-)user-defined-network: ${o.name} is assigned to namespace: ${ns}; UserDefinedNetwork CRs should not be created in this namespace. This can result in no isolation and, as a result, could introduce security risks to the cluster.`,
          );
        if (!checkUdnSpec(spec, 'spec', id)) {
          warn(
            o,
            'spec',
            `user-defined-network: ${id} is ignored. Secondary (cluster-)user-defined-network is not supported`,
          );
          continue;
        }
      } catch (err) {
        problems.push(toProblem(o, err));
        continue;
      }
      const nsObject = nsObjects.get(ns);
      const ignored = `user-defined-network: ${id} is ignored. Namespace ${ns}`;
      if (!nsObject || nsObject.synthesized)
        warn(o, 'metadata.namespace', `${ignored} does not exist in the input resources`);
      else if (!(PRIMARY_UDN_LABEL in nsObject.labels))
        warn(o, 'metadata.namespace', `${ignored} does not contain ${PRIMARY_UDN_LABEL} label`);
      else out.push({ object: o, kind: 'udn', network: ns, namespaces: [ns] });
      continue;
    }
    let namespaces: string[];
    try {
      if (!checkUdnSpec(isObj(spec.network) ? spec.network : {}, 'spec.network', o.name)) {
        warn(
          o,
          'spec.network',
          `cluster-user-defined-network: ${o.name} is ignored. Secondary (cluster-)user-defined-network is not supported`,
        );
        continue;
      }
      const selector = parseSelector(spec.namespaceSelector ?? {}, 'spec.namespaceSelector');
      namespaces = [...nsObjects.values()]
        .filter(
          (n) => !n.synthesized && selectorMatches(selector, { ...n.labels, 'kubernetes.io/metadata.name': n.name }),
        )
        .map((n) => n.name);
    } catch (err) {
      problems.push(toProblem(o, err));
      continue;
    }
    const labelled = namespaces.filter((ns) => PRIMARY_UDN_LABEL in (nsObjects.get(ns)?.labels ?? {}));
    for (const ns of namespaces)
      if (!labelled.includes(ns))
        warn(
          o,
          'spec.namespaceSelector',
          `selecting ${ns} by cluster-user-defined-network: ${o.name} is ignored; Namespace ${ns} does not contain ${PRIMARY_UDN_LABEL} label`,
        );
    if (namespaces.length === 0)
      warn(
        o,
        'spec.namespaceSelector',
        `cluster-user-defined-network: ${o.name} is ignored; It does not select any namespace in the cluster`,
      );
    if (labelled.length > 0) out.push({ object: o, kind: 'cudn', network: o.name, namespaces: labelled });
  }
  return out;
}

/**
 * Namespaces that a primary UserDefinedNetwork or ClusterUserDefinedNetwork takes off the cluster pod network, with
 * the object that does so (`UserDefinedNetwork ns/name`). The native engine models only the pod network, so a
 * verdict for a pod there is unknown.
 */
export function primaryNetworkNamespaces(snapshot: Snapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const u of readUdns(snapshot, []))
    for (const ns of u.namespaces)
      if (!out.has(ns))
        out.set(ns, `${u.object.kind} ${u.kind === 'udn' ? `${u.object.namespace}/` : ''}${u.object.name}`);
  return out;
}

/** One secondary attachment request: NAD `namespace/name`, with the addresses asked for (static IPAM). */
interface Attachment {
  namespace: string;
  name: string;
  ips: string[];
}

/** `k8s.v1.cni.cncf.io/networks`: `a,b`, `ns/a@eth1`, or a JSON list of `{name, namespace, ips}`. */
function attachmentsOfAnnotation(value: string, podNamespace: string): Attachment[] {
  const text = value.trim();
  if (text.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      return [];
    }
    if (!Array.isArray(list)) return [];
    return list.filter(isObj).flatMap((e) =>
      typeof e.name === 'string'
        ? [
            {
              name: e.name,
              namespace: typeof e.namespace === 'string' && e.namespace ? e.namespace : podNamespace,
              ips: Array.isArray(e.ips) ? e.ips.filter((x): x is string => typeof x === 'string') : [],
            },
          ]
        : [],
    );
  }
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const ref = s.split('@')[0] as string;
      const [a, b] = ref.split('/');
      return b === undefined
        ? { namespace: podNamespace, name: a as string, ips: [] }
        : { namespace: a as string, name: b, ips: [] };
    });
}

/** Addresses a VM configures itself through cloud-init `networkData` (`ethernets.<if>.addresses`). */
function vmAddresses(spec: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  for (const v of spec && Array.isArray(spec.volumes) ? spec.volumes.filter(isObj) : [])
    for (const key of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      const ci = isObj(v[key]) ? v[key] : undefined;
      if (!ci || typeof ci.networkData !== 'string') continue;
      let data: unknown;
      try {
        data = parseYaml(ci.networkData);
      } catch {
        continue;
      }
      const eths = isObj(data) && isObj(data.ethernets) ? data.ethernets : {};
      for (const e of Object.values(eths))
        if (isObj(e) && Array.isArray(e.addresses)) for (const a of e.addresses) if (typeof a === 'string') out.push(a);
    }
  return out;
}

function vmNetworks(spec: Record<string, unknown> | undefined, namespace: string): Attachment[] {
  const nets = spec && Array.isArray(spec.networks) ? spec.networks.filter(isObj) : [];
  const ips = vmAddresses(spec);
  return nets.flatMap((n) => {
    const multus = isObj(n.multus) ? n.multus : undefined;
    if (!multus || typeof multus.networkName !== 'string' || multus.default === true) return [];
    const [a, b] = multus.networkName.split('/');
    return [b === undefined ? { namespace, name: a as string, ips } : { namespace: a as string, name: b, ips }];
  });
}

function vmPorts(spec: Record<string, unknown> | undefined): ContainerPort[] {
  const domain = spec && isObj(spec.domain) ? spec.domain : undefined;
  const devices = domain && isObj(domain.devices) ? domain.devices : undefined;
  const out: ContainerPort[] = [];
  for (const i of devices && Array.isArray(devices.interfaces) ? devices.interfaces.filter(isObj) : [])
    for (const p of Array.isArray(i.ports) ? i.ports.filter(isObj) : []) {
      const protocol = parseProtocol(p.protocol);
      if (typeof p.port === 'number' && protocol)
        out.push({ name: typeof p.name === 'string' ? p.name : undefined, port: p.port, protocol });
    }
  return out;
}

const controllerKind = (o: LoadedObject): string | undefined => {
  const refs = o.raw.metadata?.ownerReferences;
  return Array.isArray(refs) ? refs.find((r) => isObj(r) && r.controller === true)?.kind : undefined;
};

/**
 * The workloads of the multi-network view: the base pods without KubeVirt's launcher pods (each stands for a VM),
 * plus one pod per VirtualMachine (and per VirtualMachineInstance that no VM owns), with what each asks to attach.
 */
function workloadsOf(
  snapshot: Snapshot,
  base: NetPod[],
  problems: PolicyProblem[],
): Array<{ pod: NetPod; attachments: Attachment[] }> {
  const out: Array<{ pod: NetPod; attachments: Attachment[] }> = [];
  for (const pod of base) {
    const o = pod.object;
    if (o?.kind === 'Pod' && controllerKind(o) === 'VirtualMachineInstance') {
      problems.push({
        object: o,
        field: 'metadata.ownerReferences',
        message: `skipping virt-launcher pod: ${pod.namespace}/${o.name} as it is a launcher pod managing a VirtualMachine`,
        level: 'warning',
      });
      continue;
    }
    const annotation = o?.kind === 'Pod' ? o.annotations[NETWORKS_ANNOTATION] : templateAnnotation(o);
    out.push({ pod, attachments: annotation ? attachmentsOfAnnotation(annotation, pod.namespace) : [] });
  }
  const vms = [
    ...snapshot.ofKind('VirtualMachine'),
    ...snapshot.ofKind('VirtualMachineInstance').filter((o) => controllerKind(o) !== 'VirtualMachine'),
  ];
  for (const o of vms) {
    const ns = o.namespace ?? 'default';
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    const template =
      o.kind === 'VirtualMachine' ? (isObj(spec.template) ? spec.template : {}) : { spec, metadata: o.raw.metadata };
    const meta = isObj(template.metadata) ? template.metadata : {};
    const labels: Record<string, string> = {};
    if (isObj(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) labels[k] = String(v);
    const tspec = isObj(template.spec) ? template.spec : undefined;
    out.push({
      pod: {
        index: 0,
        namespace: ns,
        name: o.name,
        kind: o.kind,
        display: `${ns}/${o.name}[${o.kind}]`,
        labels,
        ips: [],
        hostNetwork: false,
        ports: vmPorts(tspec),
        object: o,
      },
      attachments: vmNetworks(tspec, ns),
    });
  }
  return out;
}

function templateAnnotation(o: LoadedObject | undefined): string | undefined {
  const spec = o && isObj(o.raw.spec) ? o.raw.spec : undefined;
  let t: unknown = spec?.template;
  if (o?.kind === 'CronJob' && spec && isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec))
    t = spec.jobTemplate.spec.template;
  const meta = isObj(t) && isObj(t.metadata) ? t.metadata : undefined;
  const a = meta && isObj(meta.annotations) ? meta.annotations[NETWORKS_ANNOTATION] : undefined;
  return typeof a === 'string' ? a : undefined;
}

/** MultiNetworkPolicies by the network name they are for (`policy-for`: `name` or `ns/name`, comma-separated). */
function multiNetworkPolicies(snapshot: Snapshot, problems: PolicyProblem[]): Map<string, NetworkPolicyModel[]> {
  const out = new Map<string, NetworkPolicyModel[]>();
  for (const o of snapshot.ofKind('MultiNetworkPolicy')) {
    let policy: NetworkPolicyModel;
    try {
      policy = parseNetworkPolicy(o, false);
    } catch (err) {
      problems.push(toProblem(o, err));
      continue;
    }
    const targets = (o.annotations[POLICY_FOR_ANNOTATION] ?? '')
      .split(',')
      .map((s) => s.trim().split('/').pop() ?? '')
      .filter(Boolean);
    if (targets.length === 0)
      problems.push({
        object: o,
        field: `metadata.annotations.${POLICY_FOR_ANNOTATION}`,
        message: 'names no network: the policy applies nowhere',
        level: 'warning',
      });
    for (const t of targets) out.set(t, [...(out.get(t) ?? []), policy]);
  }
  return out;
}

/** Copies of the pods for one network's model: indexed from 0, named as netpol-analyzer names them there. */
function reindex(pods: NetPod[], display: (p: NetPod) => string, ips?: (p: NetPod) => NetPod['ips']): NetPod[] {
  return pods.map((p, index) => ({ ...p, index, display: display(p), ips: ips ? ips(p) : p.ips }));
}

/**
 * Splits the cluster into its networks. `base` is the compat-mode model (pods, NetworkPolicies, admin policies); the
 * pod network and each primary (C)UDN keep those policies, each NAD gets only its MultiNetworkPolicies, where
 * ipBlocks match the addresses pods ask for on that attachment.
 */
export function layoutNetworks(snapshot: Snapshot, base: NetworkModel): MultiNetworkLayout {
  const problems: PolicyProblem[] = [];
  const udns = readUdns(snapshot, problems);
  // one primary network per namespace
  const primaryOf = new Map<string, Udn>();
  for (const u of udns)
    for (const ns of u.namespaces) {
      const other = primaryOf.get(ns);
      if (other) {
        const name = (x: Udn) => (x.kind === 'udn' ? `${x.object.namespace}/${x.object.name}` : x.object.name);
        problems.push({
          object: u.object,
          field: 'metadata.name',
          message: `only one primary (Cluster)UserDefinedNetwork may be assigned to a single namespace.However both (C)UDNs: ${name(other)} and ${name(u)} are assigned to namespace: ${ns}`,
          level: 'error',
        });
      } else primaryOf.set(ns, u);
    }
  const workloads = workloadsOf(snapshot, base.pods, problems);
  const nads = new Set(
    snapshot.ofKind('NetworkAttachmentDefinition').map((o) => `${o.namespace ?? 'default'}/${o.name}`),
  );
  const admins = [...base.admin, ...base.baseline];
  const namespaces = [...base.namespaces.values()];
  const sections: NetworkSection[] = [];
  const mapping: MultiNetworkLayout['mapping'] = new Map();
  // primary networks: the pod network, then each (C)UDN
  const primaryGroups = new Map<string, { udn?: Udn; pods: NetPod[] }>([['', { pods: [] }]]);
  for (const u of udns) primaryGroups.set(`${u.kind}/${u.network}`, { udn: u, pods: [] });
  const secondary = new Map<string, Array<{ pod: NetPod; ips: string[] }>>();
  for (const { pod, attachments } of workloads) {
    const u = primaryOf.get(pod.namespace);
    (primaryGroups.get(u ? `${u.kind}/${u.network}` : '') as { pods: NetPod[] }).pods.push(pod);
    const joined: string[] = [];
    for (const a of attachments) {
      if (!nads.has(`${a.namespace}/${a.name}`)) {
        if (pod.object)
          problems.push({
            object: pod.object,
            field: `metadata.annotations.${NETWORKS_ANNOTATION}`,
            message: `NetworkAttachmentDefinition ${a.namespace}/${a.name} is not in the input: attachment ignored`,
            level: 'warning',
          });
        continue;
      }
      if (joined.includes(a.name)) continue;
      joined.push(a.name);
      secondary.set(a.name, [...(secondary.get(a.name) ?? []), { pod, ips: a.ips }]);
    }
    mapping.set(pod.display, {
      primary: u ? `${u.network}[${u.kind === 'udn' ? 'UDN' : 'CUDN'}]` : 'pod-network',
      secondary: joined.sort().map((n) => `${n}[NAD]`),
    });
  }
  for (const g of primaryGroups.values()) {
    const u = g.udn;
    const pods = reindex(g.pods, (p) => (u?.kind === 'udn' ? `${p.namespace}[udn]/${p.name}[${p.kind}]` : p.display));
    sections.push({
      kind: u ? u.kind : 'pod',
      name: u ? u.network : 'pod-network',
      model: new NetworkModel(pods, namespaces, base.networkPolicies, admins, base.options),
      members: g.pods,
    });
  }
  const mnps = multiNetworkPolicies(snapshot, problems);
  for (const name of [...secondary.keys()].sort()) {
    const members = secondary.get(name) as Array<{ pod: NetPod; ips: string[] }>;
    const ipsOf = new Map(members.map((m) => [m.pod, m.ips]));
    const pods = reindex(
      members.map((m) => m.pod),
      (p) => p.display,
      (p) =>
        (ipsOf.get(p) ?? []).flatMap((text) => {
          const ip = parseIp(text.split('/')[0] as string);
          return ip ? [ip] : [];
        }),
    );
    sections.push({
      kind: 'nad',
      name,
      model: new NetworkModel(pods, namespaces, mnps.get(name) ?? [], [], {
        ...base.options,
        ipblockMatchesPods: true,
      }),
      members: members.map((m) => m.pod),
    });
  }
  return { sections, mapping, problems };
}

/**
 * Outside `--compat netpol-analyzer --multiple-networks` these objects are recognised but not analysed: each is
 * reported as a warning that says what stays unknown (never silently ignored).
 */
export function multiNetworkNotices(snapshot: Snapshot): PolicyProblem[] {
  const note = (object: LoadedObject, message: string): PolicyProblem => ({
    object,
    field: 'kind',
    message: `${message} (analysed only by --compat netpol-analyzer --multiple-networks)`,
    level: 'warning',
    unknown: true,
  });
  const out: PolicyProblem[] = [];
  for (const o of snapshot.ofKind('UserDefinedNetwork'))
    out.push(
      note(
        o,
        `a primary UserDefinedNetwork isolates namespace ${o.namespace ?? 'default'} from the pod network: its pods' connections are unknown`,
      ),
    );
  for (const o of snapshot.ofKind('ClusterUserDefinedNetwork'))
    out.push(
      note(
        o,
        "a primary ClusterUserDefinedNetwork isolates the namespaces it selects: their pods' connections are unknown",
      ),
    );
  for (const o of snapshot.ofKind('NetworkAttachmentDefinition'))
    out.push(note(o, 'connections over this secondary network are unknown'));
  for (const o of snapshot.ofKind('MultiNetworkPolicy'))
    out.push(note(o, 'applies on secondary networks only, which are not analysed: not applied'));
  for (const kind of ['VirtualMachine', 'VirtualMachineInstance'])
    for (const o of snapshot.ofKind(kind))
      out.push(note(o, `KubeVirt ${kind} is not a workload here: its connections are unknown`));
  return out;
}
