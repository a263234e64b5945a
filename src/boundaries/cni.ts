import semver from 'semver';
import {
  type ContainerSpec,
  isRecord,
  type LoadedObject,
  type PodSpec,
  type Snapshot,
  WORKLOAD_KINDS,
} from '../inputs/index.js';

/** Which component enforces NetworkPolicy, as far as the snapshot shows. */
export type EnforcerName = 'vpc-cni' | 'calico' | 'cilium';

export interface EnforcerEvidence {
  name: EnforcerName;
  /** True when the component is present and configured to enforce policy; false when present but not enforcing. */
  enforcing: boolean;
  /** Why we think so, in one line. */
  detail: string;
  object: LoadedObject;
}

export interface EnforcementDetection {
  /**
   * `enforced`: at least one component enforces NetworkPolicy. `not-enforced`: the snapshot shows the cluster's
   * add-ons and none enforces. `unknown`: the snapshot has no kube-system workloads, so we cannot tell.
   */
  state: 'enforced' | 'not-enforced' | 'unknown';
  enforcers: EnforcerEvidence[];
  /** One line for reports. */
  summary: string;
}

/** VPC CNI releases before this one have no network policy support. */
const VPC_CNI_MIN_POLICY_VERSION = '1.14.0';

function podSpecOf(o: LoadedObject): PodSpec | undefined {
  const spec = o.raw.spec;
  if (!isRecord(spec)) return undefined;
  if (o.kind === 'Pod') return spec as PodSpec;
  const t = spec.template;
  return isRecord(t) && isRecord(t.spec) ? (t.spec as PodSpec) : undefined;
}

function containersOf(spec: PodSpec): ContainerSpec[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter((c) => isRecord(c));
}

/** `--flag=value` or `--flag value` among a container's command and args; undefined when absent. */
export function flagValue(c: ContainerSpec, flag: string): string | undefined {
  const words = [c.command, c.args].flatMap((l) => (Array.isArray(l) ? l.map(String) : []));
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === `--${flag}`) {
      const next = words[i + 1];
      return next === undefined || next.startsWith('--') ? 'true' : next;
    }
    if (w.startsWith(`--${flag}=`)) return w.slice(flag.length + 3);
  }
  return undefined;
}

export function envValue(c: ContainerSpec, name: string): string | undefined {
  const env = c.env;
  if (!Array.isArray(env)) return undefined;
  for (const e of env) if (isRecord(e) && e.name === name && typeof e.value === 'string') return e.value;
  return undefined;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes'].includes(v.trim().toLowerCase());
}

/** `…/amazon-k8s-cni:v1.18.3-eksbuild.1` → `1.18.3`. */
export function imageVersion(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.lastIndexOf('/') > colon) return undefined;
  return semver.coerce(ref.slice(colon + 1))?.version;
}

function podWorkloads(snapshot: Snapshot): LoadedObject[] {
  return WORKLOAD_KINDS.flatMap((k) => snapshot.ofKind(k));
}

function detectVpcCni(snapshot: Snapshot): EnforcerEvidence[] {
  const out: EnforcerEvidence[] = [];
  const cm = snapshot.get('ConfigMap', 'kube-system', 'amazon-vpc-cni');
  const cmData = cm && isRecord(cm.raw.data) ? cm.raw.data : {};
  const controllerSetting =
    typeof cmData['enable-network-policy-controller'] === 'string'
      ? (cmData['enable-network-policy-controller'] as string)
      : undefined;
  for (const o of podWorkloads(snapshot)) {
    const spec = podSpecOf(o);
    if (!spec) continue;
    const containers = containersOf(spec);
    const cni = containers.find((c) => c.name === 'aws-node' || (c.image ?? '').includes('amazon-k8s-cni:'));
    if (!cni) continue;
    const agent = containers.find(
      (c) => c.name === 'aws-eks-nodeagent' || (c.image ?? '').includes('aws-network-policy-agent'),
    );
    const version = imageVersion(cni.image);
    const where = `${o.kind} ${o.namespace}/${o.name}`;
    if (version && semver.lt(version, VPC_CNI_MIN_POLICY_VERSION)) {
      out.push({
        name: 'vpc-cni',
        enforcing: false,
        detail: `${where} runs VPC CNI ${version}; network policy needs ${VPC_CNI_MIN_POLICY_VERSION} or later`,
        object: o,
      });
      continue;
    }
    const agentFlag = agent ? flagValue(agent, 'enable-network-policy') : undefined;
    const envFlag =
      envValue(cni, 'ENABLE_NETWORK_POLICY') ?? (agent ? envValue(agent, 'ENABLE_NETWORK_POLICY') : undefined);
    if (controllerSetting !== undefined && !isTrue(controllerSetting)) {
      out.push({
        name: 'vpc-cni',
        enforcing: false,
        detail: `ConfigMap kube-system/amazon-vpc-cni sets enable-network-policy-controller: "${controllerSetting}"`,
        object: cm ?? o,
      });
    } else if (agent && isTrue(agentFlag)) {
      out.push({
        name: 'vpc-cni',
        enforcing: true,
        detail: `${where}: network policy agent ${agent.name ?? ''} runs with --enable-network-policy=true${version ? ` (VPC CNI ${version})` : ''}`,
        object: o,
      });
    } else if (isTrue(envFlag)) {
      out.push({
        name: 'vpc-cni',
        enforcing: true,
        detail: `${where}: ENABLE_NETWORK_POLICY=true${version ? ` (VPC CNI ${version})` : ''}`,
        object: o,
      });
    } else {
      out.push({
        name: 'vpc-cni',
        enforcing: false,
        detail: agent
          ? `${where}: network policy agent present but --enable-network-policy is ${agentFlag ?? 'not set (default false)'}`
          : `${where}: VPC CNI without the network policy agent container (aws-eks-nodeagent)`,
        object: o,
      });
    }
  }
  // EKS Auto Mode: no aws-node DaemonSet is visible; the ConfigMap alone turns the controller on.
  if (out.length === 0 && cm && isTrue(controllerSetting)) {
    out.push({
      name: 'vpc-cni',
      enforcing: true,
      detail: 'ConfigMap kube-system/amazon-vpc-cni sets enable-network-policy-controller: "true" (EKS Auto Mode)',
      object: cm,
    });
  }
  return out;
}

function detectCalico(snapshot: Snapshot): EnforcerEvidence[] {
  const out: EnforcerEvidence[] = [];
  for (const o of podWorkloads(snapshot)) {
    const spec = podSpecOf(o);
    if (!spec) continue;
    const node = containersOf(spec).find(
      (c) => c.name === 'calico-node' || /(^|\/)calico\/node(:|@|$)/.test(c.image ?? ''),
    );
    if (!node && o.name !== 'calico-node') continue;
    out.push({
      name: 'calico',
      enforcing: true,
      detail: `${o.kind} ${o.namespace}/${o.name} runs calico-node (Calico enforces NetworkPolicy)`,
      object: o,
    });
  }
  return out;
}

function detectCilium(snapshot: Snapshot): EnforcerEvidence[] {
  const out: EnforcerEvidence[] = [];
  const config = snapshot.ofKind('ConfigMap').find((c) => c.name === 'cilium-config');
  const data = config && isRecord(config.raw.data) ? config.raw.data : {};
  const mode = typeof data['enable-policy'] === 'string' ? (data['enable-policy'] as string) : 'default';
  for (const o of podWorkloads(snapshot)) {
    if (o.kind !== 'DaemonSet') continue;
    const spec = podSpecOf(o);
    if (!spec) continue;
    const agent = containersOf(spec).find(
      (c) => c.name === 'cilium-agent' || /(^|\/)cilium\/cilium(:|@|$)/.test(c.image ?? ''),
    );
    if (!agent) continue;
    const enforcing = mode.toLowerCase() !== 'never';
    out.push({
      name: 'cilium',
      enforcing,
      detail: `${o.kind} ${o.namespace}/${o.name} runs the Cilium agent; cilium-config enable-policy: ${mode}`,
      object: o,
    });
  }
  return out;
}

/** Reads the snapshot's add-ons to tell whether NetworkPolicy is enforced at all (control NET-13). */
export function detectPolicyEnforcement(snapshot: Snapshot): EnforcementDetection {
  const enforcers = [...detectVpcCni(snapshot), ...detectCalico(snapshot), ...detectCilium(snapshot)];
  const enforcing = enforcers.filter((e) => e.enforcing);
  if (enforcing.length > 0) {
    const names = [...new Set(enforcing.map((e) => e.name))];
    return {
      state: 'enforced',
      enforcers,
      summary: `NetworkPolicy enforced by ${names.join(' and ')}`,
    };
  }
  const hasSystemWorkloads = podWorkloads(snapshot).some((o) => o.namespace === 'kube-system');
  if (enforcers.length > 0) {
    return {
      state: 'not-enforced',
      enforcers,
      summary: `NetworkPolicy not enforced: ${enforcers.map((e) => e.detail).join('; ')}`,
    };
  }
  if (!hasSystemWorkloads) {
    return {
      state: 'unknown',
      enforcers,
      summary:
        'the snapshot has no kube-system workloads, so the CNI cannot be seen; whether NetworkPolicy is enforced is unknown',
    };
  }
  return {
    state: 'not-enforced',
    enforcers,
    summary:
      'NetworkPolicy not enforced: no enforcing CNI found (VPC CNI network policy agent, calico-node or Cilium agent)',
  };
}

/**
 * The network engine's CNI profile for what the snapshot shows enforcing policy. Calico or Cilium win over the VPC
 * CNI when both enforce: they also evaluate their own policy kinds, which the VPC CNI's agent ignores. Nothing
 * enforcing (or nothing known) keeps the generic profile: reachability is then what the policies say, and the
 * enforcement finding states separately that they are not (or may not be) enforced.
 */
export function networkCniOf(enforcement: EnforcementDetection): 'generic' | EnforcerName {
  const enforcing = new Set(enforcement.enforcers.filter((e) => e.enforcing).map((e) => e.name));
  if (enforcing.has('cilium')) return 'cilium';
  if (enforcing.has('calico')) return 'calico';
  if (enforcing.has('vpc-cni')) return 'vpc-cni';
  return 'generic';
}
