import type { KubeObject, LoadedObject } from './kube.js';
import { isRecord, stringMap } from './kube.js';
import type { Snapshot } from './snapshot.js';

/** Kinds that produce pods, in the order engines usually list them. */
export const WORKLOAD_KINDS = [
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'Pod',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** The pod spec as engines read it; only the fields most engines touch are typed, the rest is kept. */
export interface PodSpec {
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  ephemeralContainers?: ContainerSpec[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  volumes?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export interface ContainerSpec {
  name?: string;
  image?: string;
  ports?: Array<{ name?: string; containerPort?: number; protocol?: string; hostPort?: number }>;
  securityContext?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * One pod template of a workload — what every engine sees as "a pod". A bare Pod is its own owner. Workloads owned
 * by another workload in the snapshot (a ReplicaSet of a Deployment, a Job of a CronJob, a Pod with a controller
 * ownerReference) are folded into the top owner so nothing is counted twice.
 */
export interface WorkloadPod {
  namespace: string;
  /** Name of the owning workload. */
  name: string;
  owner: LoadedObject;
  ownerKind: WorkloadKind;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
  /** Declared replicas (1 when not set; DaemonSets: 1 per node is unknown offline, so 1). */
  replicas: number;
  /** Bare Pods only: the pod's status (IPs, phase, hostIP) if the snapshot has it. */
  status?: Record<string, unknown>;
  /** Dotted path of the template within the owner, for findings (`spec.template.spec`). */
  specPath: string;
}

/** Pod template location per workload kind. */
function templateOf(o: KubeObject, kind: WorkloadKind): { meta: unknown; spec: unknown; path: string } | undefined {
  const spec = isRecord(o.spec) ? o.spec : undefined;
  if (kind === 'Pod') return { meta: o.metadata, spec: o.spec, path: 'spec' };
  if (!spec) return undefined;
  if (kind === 'CronJob') {
    const jt = isRecord(spec.jobTemplate) ? spec.jobTemplate : undefined;
    const jspec = jt && isRecord(jt.spec) ? jt.spec : undefined;
    const t = jspec && isRecord(jspec.template) ? jspec.template : undefined;
    return t ? { meta: t.metadata, spec: t.spec, path: 'spec.jobTemplate.spec.template.spec' } : undefined;
  }
  const t = isRecord(spec.template) ? spec.template : undefined;
  return t ? { meta: t.metadata, spec: t.spec, path: 'spec.template.spec' } : undefined;
}

/** Expands every workload of a snapshot into its pod template(s). */
export function expandWorkloads(snapshot: Snapshot): WorkloadPod[] {
  const present = new Set<string>();
  for (const kind of WORKLOAD_KINDS)
    for (const o of snapshot.ofKind(kind)) present.add(`${kind}/${o.namespace}/${o.name}`);
  const out: WorkloadPod[] = [];
  for (const kind of WORKLOAD_KINDS) {
    for (const o of snapshot.ofKind(kind)) {
      if (
        !o.apiVersion.startsWith('apps/') &&
        !o.apiVersion.startsWith('batch/') &&
        o.apiVersion !== 'v1' &&
        !o.apiVersion.startsWith('extensions/')
      )
        continue;
      if (ownedByPresentWorkload(o, present)) continue;
      const t = templateOf(o.raw, kind);
      if (!t || !isRecord(t.spec)) continue;
      const meta = isRecord(t.meta) ? t.meta : {};
      const spec = o.raw.spec as Record<string, unknown> | undefined;
      const replicas =
        kind === 'Pod' || kind === 'DaemonSet' || kind === 'CronJob' || kind === 'Job'
          ? 1
          : typeof spec?.replicas === 'number'
            ? spec.replicas
            : 1;
      out.push({
        namespace: o.namespace ?? 'default',
        name: o.name,
        owner: o,
        ownerKind: kind,
        labels: stringMap(meta.labels),
        annotations: stringMap(meta.annotations),
        spec: t.spec as PodSpec,
        replicas,
        status: kind === 'Pod' && isRecord(o.raw.status) ? o.raw.status : undefined,
        specPath: t.path,
      });
    }
  }
  return out;
}

function ownedByPresentWorkload(o: LoadedObject, present: Set<string>): boolean {
  const refs = o.raw.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return false;
  return refs.some((r) => r && typeof r.kind === 'string' && present.has(`${r.kind}/${o.namespace}/${r.name}`));
}

/** All containers of a pod spec with the list they come from. */
export function allContainers(
  spec: PodSpec,
): Array<{ container: ContainerSpec; list: 'containers' | 'initContainers' | 'ephemeralContainers'; index: number }> {
  const out: Array<{
    container: ContainerSpec;
    list: 'containers' | 'initContainers' | 'ephemeralContainers';
    index: number;
  }> = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const cs = spec[list];
    if (!Array.isArray(cs)) continue;
    cs.forEach((c, index) => {
      if (isRecord(c)) out.push({ container: c as ContainerSpec, list, index });
    });
  }
  return out;
}
