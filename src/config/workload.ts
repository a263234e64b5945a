/**
 * Workload controls beyond Pod Security (controls note POD, WID, IMG-21/22), evaluated on every pod template.
 * Each rule is a pure function of one WorkloadPod (plus the snapshot for ServiceAccount lookups).
 */
import type { Severity } from '../core/index.js';
import { allContainers, type ContainerSpec, type Snapshot, type WorkloadPod } from '../inputs/index.js';
import { imageTagDigest } from './dockerfile/rules.js';
import { DANGEROUS_CAPABILITIES, isRuntimeSocket } from './privileged.js';
import { type RuleMeta, ruleFamily } from './rule.js';
import { detectSecret, redact } from './secrets.js';

export interface WorkloadOptions {
  /** Registry prefixes images may come from (IMG-21); empty = rule not evaluated. */
  allowedRegistries?: string[];
  /** hostPath prefixes allowed when mounted read-only (POD-08). */
  hostPathAllowList?: string[];
}

export interface WorkloadHit {
  rule: RuleMeta;
  message: string;
  /** Dotted path to the offending field. */
  field: string;
  discriminator: string;
  severity?: Severity;
}

export interface WorkloadContext {
  snapshot: Snapshot;
  options: WorkloadOptions;
}

type Hit = Omit<WorkloadHit, 'rule'>;

export interface WorkloadRule {
  meta: RuleMeta;
  /** Pure: the hits of this rule on one pod template, read through its precomputed view. */
  check(p: PodView, ctx: WorkloadContext): readonly Hit[];
}

const meta = ruleFamily('workload', 'workload');

type Json = Record<string, unknown>;
const rec = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const EMPTY_LIST: readonly unknown[] = Object.freeze([]);
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : EMPTY_LIST);
const NONE: readonly Hit[] = Object.freeze([]);

/** Rules with any number of hits per container: `emit` collects them, in container order. */
function containerHits(p: PodView, visit: (x: ContainerView, emit: (hit: Hit) => void) => void): readonly Hit[] {
  let out: Hit[] | undefined;
  const emit = (hit: Hit): void => {
    (out ??= []).push(hit);
  };
  for (const x of p.containers) visit(x, emit);
  return out ?? NONE;
}

/** Rules with at most one hit per container: `hitOf` returns it, or undefined when the container is fine. */
function perContainer(p: PodView, hitOf: (x: ContainerView) => Hit | undefined): readonly Hit[] {
  return containerHits(p, (x, emit) => {
    const hit = hitOf(x);
    if (hit) emit(hit);
  });
}

export interface ContainerView {
  c: ContainerSpec;
  sc: Json | undefined;
  name: string;
  path: string;
  list: 'containers' | 'initContainers' | 'ephemeralContainers';
  /** Not an ephemeral debug container: the controls that harden long-lived processes apply. */
  hardened: boolean;
  /** Keeps running next to the app (regular containers and restartable init "sidecars"). */
  app: boolean;
  user: EffectiveUser;
}

/** One pod template read once: containers with their securityContext, field paths and effective user. */
export interface PodView {
  w: WorkloadPod;
  podSc: Json | undefined;
  containers: readonly ContainerView[];
  volumes: readonly unknown[];
}

export interface EffectiveUser {
  runAsUser?: number;
  runAsNonRoot?: boolean;
  runAsGroup?: number;
}

/** Precomputes what every workload rule reads from a pod template, so no rule walks the spec again. */
export function podView(w: WorkloadPod): PodView {
  const podSc = rec(w.spec.securityContext);
  const containers: ContainerView[] = [];
  for (const { container, list, index } of allContainers(w.spec)) {
    const sc = rec(container.securityContext);
    containers.push({
      c: container,
      sc,
      name: container.name ?? `#${index}`,
      path: `${w.specPath}.${list}[${index}]`,
      list,
      hardened: list !== 'ephemeralContainers',
      app: list === 'containers' || (list === 'initContainers' && container.restartPolicy === 'Always'),
      user: userOf(podSc, sc),
    });
  }
  return { w, podSc, containers, volumes: arr(w.spec.volumes) };
}

/** Runs every workload rule on one pod template (the view is built once) and hands each hit to `onHit`. */
export function visitWorkloadHits(
  w: WorkloadPod,
  ctx: WorkloadContext,
  onHit: (rule: RuleMeta, hit: Omit<WorkloadHit, 'rule'>) => void,
): void {
  const p = podView(w);
  for (const rule of WORKLOAD_RULES) for (const h of rule.check(p, ctx)) onHit(rule.meta, h);
}

/** Every workload rule's hits on one pod template. */
export function evaluateWorkload(w: WorkloadPod, ctx: WorkloadContext): WorkloadHit[] {
  const out: WorkloadHit[] = [];
  visitWorkloadHits(w, ctx, (rule, h) => out.push({ rule, ...h }));
  return out;
}

const privileged: WorkloadRule = {
  meta: meta(
    'privileged',
    'Privileged container',
    'CRITICAL',
    ['POD-01', 'CIS-EKS-4.2.1', 'PSS-baseline:privileged'],
    'Remove securityContext.privileged; add only the capability needed.',
  ),
  check: (p) => {
    return perContainer(p, (x) => {
      if (x.sc?.privileged !== true) return undefined;
      return {
        message: `${x.list} ${x.name} runs privileged (root on the node)`,
        field: `${x.path}.securityContext.privileged`,
        discriminator: x.name,
      };
    });
  },
};

const HOST_NAMESPACE_FIELDS = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

const hostNamespaces: WorkloadRule = {
  meta: meta(
    'host-namespaces',
    'Pod shares host namespaces',
    'HIGH',
    ['POD-06', 'CIS-EKS-4.2.2', 'CIS-EKS-4.2.3', 'CIS-EKS-4.2.4'],
    'Set hostNetwork, hostPID and hostIPC to false.',
  ),
  check: ({ w }) => {
    let out: Hit[] | undefined;
    for (const k of HOST_NAMESPACE_FIELDS) {
      if (w.spec[k] === true)
        (out ??= []).push({ message: `${k}: true`, field: `${w.specPath}.${k}`, discriminator: k });
    }
    return out ?? NONE;
  },
};

/** Whether every mount of the volume (there is at least one) is read-only. */
function mountedReadOnly(p: PodView, volume: unknown): boolean {
  let mounts = 0;
  for (const x of p.containers) {
    for (const m of arr(x.c.volumeMounts)) {
      const mount = rec(m);
      if (!mount || mount.name !== volume) continue;
      if (mount.readOnly !== true) return false;
      mounts++;
    }
  }
  return mounts > 0;
}

const hostPath: WorkloadRule = {
  meta: meta(
    'host-path',
    'hostPath volume',
    'HIGH',
    ['POD-08', 'PSS-baseline:hostPathVolumes'],
    'Avoid hostPath; if needed, allow-list the prefix in .rampart.yaml and mount it readOnly.',
  ),
  check: (p, { options }) => {
    let out: Hit[] | undefined;
    p.volumes.forEach((v, i) => {
      const vol = rec(v);
      const hp = rec(vol?.hostPath);
      if (!vol || !hp) return;
      const path = String(hp.path ?? '');
      if (isRuntimeSocket(path)) return; // reported by runtime-socket
      const readOnly = mountedReadOnly(p, vol.name);
      const allowed = (options.hostPathAllowList ?? []).some(
        (a) => path === a || path.startsWith(a.endsWith('/') ? a : `${a}/`),
      );
      if (allowed && readOnly) return;
      (out ??= []).push({
        message: `volume ${String(vol.name)} mounts host path ${path}${readOnly ? ' (read-only)' : ' read-write'}${allowed ? ' (allow-listed, but must be readOnly)' : ''}`,
        field: `${p.w.specPath}.volumes[${i}].hostPath`,
        discriminator: String(vol.name),
        severity: readOnly ? 'MEDIUM' : 'HIGH',
      });
    });
    return out ?? NONE;
  },
};

const runtimeSocket: WorkloadRule = {
  meta: meta(
    'runtime-socket',
    'Container runtime socket mounted',
    'CRITICAL',
    ['POD-09'],
    'Never mount docker/containerd/crio sockets; use a rootless builder.',
  ),
  check: (p) => {
    let out: Hit[] | undefined;
    p.volumes.forEach((v, i) => {
      const vol = rec(v);
      const path = String(rec(vol?.hostPath)?.path ?? '');
      if (!vol || !path || !isRuntimeSocket(path)) return;
      (out ??= []).push({
        message: `volume ${String(vol.name)} mounts ${path}: control of every container on the node`,
        field: `${p.w.specPath}.volumes[${i}].hostPath.path`,
        discriminator: String(vol.name),
      });
    });
    return out ?? NONE;
  },
};

function normalizeCapability(c: unknown): string {
  const s = String(c).toUpperCase();
  return s.startsWith('CAP_') ? s.slice(4) : s;
}

const capabilities: WorkloadRule = {
  meta: meta(
    'capabilities',
    'Capabilities not dropped, or dangerous ones added',
    'MEDIUM',
    ['POD-05', 'PSS-restricted:capabilities_restricted'],
    'Set capabilities.drop: [ALL] and add only NET_BIND_SERVICE if needed.',
  ),
  check: (p) =>
    containerHits(p, (x, emit) => {
      if (!x.hardened) return;
      const caps = rec(x.sc?.capabilities);
      let dangerous: string[] | undefined;
      for (const c of arr(caps?.add)) {
        const name = normalizeCapability(c);
        if (DANGEROUS_CAPABILITIES.has(name)) (dangerous ??= []).push(name);
      }
      if (dangerous) {
        emit({
          message: `${x.name} adds ${dangerous.join(', ')}`,
          field: `${x.path}.securityContext.capabilities.add`,
          discriminator: `${x.name}:add`,
          severity: 'HIGH',
        });
      }
      if (!arr(caps?.drop).some((c) => String(c).toUpperCase() === 'ALL')) {
        emit({
          message: `${x.name} does not drop ALL capabilities`,
          field: `${x.path}.securityContext.capabilities.drop`,
          discriminator: `${x.name}:drop`,
        });
      }
    }),
};

const privilegeEscalation: WorkloadRule = {
  meta: meta(
    'allow-privilege-escalation',
    'allowPrivilegeEscalation not false',
    'MEDIUM',
    ['POD-03', 'CIS-EKS-4.2.5'],
    'Set securityContext.allowPrivilegeEscalation: false.',
  ),
  check: (p) => {
    return perContainer(p, (x) => {
      const ape = x.sc?.allowPrivilegeEscalation;
      if (!x.hardened || ape === false) return undefined;
      return {
        message: `${x.name}: allowPrivilegeEscalation is ${ape === true ? 'true' : 'not set (defaults to true)'}`,
        field: `${x.path}.securityContext.allowPrivilegeEscalation`,
        discriminator: x.name,
        severity: ape === true ? 'HIGH' : undefined,
      };
    });
  },
};

function userOf(pod: Json | undefined, sc: Json | undefined): EffectiveUser {
  const uid = sc?.runAsUser ?? pod?.runAsUser;
  const gid = sc?.runAsGroup ?? pod?.runAsGroup;
  const nonRoot = typeof sc?.runAsNonRoot === 'boolean' ? sc.runAsNonRoot : pod?.runAsNonRoot;
  return {
    runAsUser: typeof uid === 'number' ? uid : undefined,
    runAsNonRoot: typeof nonRoot === 'boolean' ? nonRoot : undefined,
    runAsGroup: typeof gid === 'number' ? gid : undefined,
  };
}

/** The effective runAsUser / runAsNonRoot of a container: its own value, else the pod's. */
export function effectiveUser(w: WorkloadPod, sc: Json | undefined): EffectiveUser {
  return userOf(rec(w.spec.securityContext), sc);
}

const runAsRoot: WorkloadRule = {
  meta: meta(
    'run-as-root',
    'Container may run as root',
    'HIGH',
    ['POD-02'],
    'Set runAsNonRoot: true and a non-zero runAsUser/runAsGroup at pod level.',
  ),
  check: (p) =>
    containerHits(p, (x, emit) => {
      if (!x.hardened) return;
      const u = x.user;
      if (u.runAsUser === 0)
        emit({
          message: `${x.name} sets runAsUser: 0`,
          field: `${x.path}.securityContext.runAsUser`,
          discriminator: `${x.name}:uid`,
        });
      if (u.runAsGroup === 0)
        emit({
          message: `${x.name} sets runAsGroup: 0`,
          field: `${x.path}.securityContext.runAsGroup`,
          discriminator: `${x.name}:gid`,
          severity: 'LOW',
        });
      if (u.runAsNonRoot !== true && u.runAsUser !== 0) {
        emit({
          message: `${x.name}: runAsNonRoot is ${u.runAsNonRoot === false ? 'false' : 'not set'}${u.runAsUser ? ` (runAsUser ${u.runAsUser})` : ', so the image decides (often root)'}`,
          field: `${x.path}.securityContext.runAsNonRoot`,
          discriminator: `${x.name}:nonroot`,
          severity: u.runAsUser ? 'LOW' : 'MEDIUM',
        });
      }
    }),
};

const readOnlyRoot: WorkloadRule = {
  meta: meta(
    'read-only-root-filesystem',
    'Root filesystem writable',
    'LOW',
    ['POD-04'],
    'Set readOnlyRootFilesystem: true and mount emptyDir where the app writes.',
  ),
  check: (p) => {
    return perContainer(p, (x) => {
      if (!x.hardened || x.sc?.readOnlyRootFilesystem === true) return undefined;
      return {
        message: `${x.name}: readOnlyRootFilesystem is not true`,
        field: `${x.path}.securityContext.readOnlyRootFilesystem`,
        discriminator: x.name,
      };
    });
  },
};

const seccomp: WorkloadRule = {
  meta: meta(
    'seccomp',
    'No seccomp profile',
    'LOW',
    ['POD-10'],
    'Set securityContext.seccompProfile.type: RuntimeDefault at pod level.',
  ),
  check: (p) => {
    const podType = rec(p.podSc?.seccompProfile)?.type;
    return perContainer(p, (x) => {
      if (!x.hardened) return undefined;
      const t = rec(x.sc?.seccompProfile)?.type ?? podType;
      if (t === 'RuntimeDefault' || t === 'Localhost') return undefined;
      return {
        message: `${x.name}: seccomp profile is ${t === undefined ? 'not set (Unconfined on most runtimes)' : String(t)}`,
        field: `${x.path}.securityContext.seccompProfile`,
        discriminator: x.name,
        severity: t === 'Unconfined' ? 'MEDIUM' : undefined,
      };
    });
  },
};

const hostPorts: WorkloadRule = {
  meta: meta(
    'host-port',
    'hostPort used',
    'MEDIUM',
    ['POD-07'],
    'Expose the port through a Service instead of hostPort.',
  ),
  check: (p) =>
    containerHits(p, (x, emit) => {
      const ports = arr(x.c.ports);
      for (let i = 0; i < ports.length; i++) {
        const hp = rec(ports[i])?.hostPort;
        if (typeof hp !== 'number' || hp === 0) continue;
        emit({
          message: `${x.name} binds host port ${hp}`,
          field: `${x.path}.ports[${i}].hostPort`,
          discriminator: `${x.name}:${hp}`,
        });
      }
    }),
};

/** requests.cpu, requests.memory and limits.memory (a CPU limit only throttles, so it is not required). */
const REQUIRED_RESOURCES = [
  ['requests', 'cpu'],
  ['requests', 'memory'],
  ['limits', 'memory'],
] as const;

const resources: WorkloadRule = {
  meta: meta(
    'resources',
    'CPU/memory requests or limits missing',
    'LOW',
    ['POD-12'],
    'Set resources.requests and resources.limits (at least memory) on every container.',
  ),
  check: (p) =>
    containerHits(p, (x, emit) => {
      if (!x.app) return;
      const r = rec(x.c.resources);
      let missing: string[] | undefined;
      for (const [kind, res] of REQUIRED_RESOURCES)
        if (rec(r?.[kind])?.[res] === undefined) (missing ??= []).push(`${kind}.${res}`);
      if (missing)
        emit({
          message: `${x.name} has no ${missing.join(', ')}`,
          field: `${x.path}.resources`,
          discriminator: x.name,
        });
    }),
};

const probes: WorkloadRule = {
  meta: meta(
    'probes',
    'Liveness or readiness probe missing',
    'LOW',
    ['BPG-reliability'],
    'Define readinessProbe and livenessProbe for long-running containers.',
  ),
  check: (p) => {
    if (p.w.ownerKind === 'Job' || p.w.ownerKind === 'CronJob') return NONE;
    return perContainer(p, (x) => {
      if (!x.app) return undefined;
      const noReadiness = x.c.readinessProbe === undefined;
      const noLiveness = x.c.livenessProbe === undefined;
      if (!noReadiness && !noLiveness) return undefined;
      const missing =
        noReadiness && noLiveness
          ? 'readinessProbe or livenessProbe'
          : noReadiness
            ? 'readinessProbe'
            : 'livenessProbe';
      return { message: `${x.name} has no ${missing}`, field: `${x.path}`, discriminator: x.name };
    });
  },
};

const secretEnv: WorkloadRule = {
  meta: meta(
    'secret-in-env',
    'Secret consumed through environment variables',
    'LOW',
    ['POD-13', 'CIS-EKS-4.4.1'],
    'Mount Secrets as files (volumes) instead of env/envFrom.',
  ),
  check: (p) =>
    containerHits(p, (x, emit) => {
      const env = arr(x.c.env);
      for (let i = 0; i < env.length; i++) {
        const ev = rec(env[i]);
        if (ev?.valueFrom === undefined || !rec(rec(ev.valueFrom)?.secretKeyRef)) continue;
        emit({
          message: `${x.name} env ${String(ev.name)} comes from a Secret`,
          field: `${x.path}.env[${i}]`,
          discriminator: `${x.name}:${String(ev.name)}`,
        });
      }
      const envFrom = arr(x.c.envFrom);
      for (let i = 0; i < envFrom.length; i++) {
        const sr = rec(rec(envFrom[i])?.secretRef);
        if (!sr) continue;
        emit({
          message: `${x.name} envFrom Secret ${String(sr.name)}`,
          field: `${x.path}.envFrom[${i}]`,
          discriminator: `${x.name}:from:${String(sr.name)}`,
        });
      }
    }),
};

const literalSecretEnv: WorkloadRule = {
  meta: meta(
    'plaintext-secret-env',
    'Plaintext secret in an environment variable',
    'HIGH',
    ['POD-16'],
    'Move the value into a Secret (or AWS Secrets Manager) and rotate it.',
  ),
  check: (p) =>
    containerHits(p, (x, emit) => {
      const env = arr(x.c.env);
      for (let i = 0; i < env.length; i++) {
        const ev = rec(env[i]);
        if (typeof ev?.value !== 'string') continue;
        const name = String(ev.name ?? '');
        const found = detectSecret(name, ev.value);
        if (!found) continue;
        emit({
          message: `${x.name} env ${name}=${redact(ev.value)} (${found.kind})`,
          field: `${x.path}.env[${i}].value`,
          discriminator: `${x.name}:${name}`,
        });
      }
    }),
};

const serviceLinks: WorkloadRule = {
  meta: meta(
    'service-links',
    'Service links enabled',
    'INFO',
    ['POD-14'],
    'Set enableServiceLinks: false unless the app reads *_SERVICE_HOST variables.',
  ),
  check: ({ w }) =>
    w.spec.enableServiceLinks === false
      ? NONE
      : [
          {
            message: 'enableServiceLinks is not false: every Service in the namespace is injected as env vars',
            field: `${w.specPath}.enableServiceLinks`,
            discriminator: 'links',
          },
        ],
};

function serviceAccountOf(w: WorkloadPod): string {
  const sa =
    w.spec.serviceAccountName ?? (typeof w.spec.serviceAccount === 'string' ? w.spec.serviceAccount : undefined);
  return sa && sa !== '' ? sa : 'default';
}

const defaultServiceAccount: WorkloadRule = {
  meta: meta(
    'default-service-account',
    'Workload uses the default ServiceAccount',
    'LOW',
    ['WID-08', 'CIS-EKS-4.1.5'],
    'Create a dedicated ServiceAccount per application.',
  ),
  check: ({ w }) =>
    serviceAccountOf(w) === 'default'
      ? [{ message: 'runs as ServiceAccount default', field: `${w.specPath}.serviceAccountName`, discriminator: 'sa' }]
      : NONE,
};

/** Whether the API token is mounted: the pod's field wins, else the ServiceAccount's, else true. */
export function tokenAutomounted(
  w: WorkloadPod,
  snapshot: Snapshot,
): { mounted: boolean; decidedBy: 'pod' | 'serviceaccount' | 'default' | 'unknown' } {
  if (typeof w.spec.automountServiceAccountToken === 'boolean')
    return { mounted: w.spec.automountServiceAccountToken, decidedBy: 'pod' };
  const sa = snapshot.get('ServiceAccount', w.namespace, serviceAccountOf(w));
  if (sa && typeof sa.raw.automountServiceAccountToken === 'boolean')
    return { mounted: sa.raw.automountServiceAccountToken, decidedBy: 'serviceaccount' };
  return { mounted: true, decidedBy: sa || serviceAccountOf(w) === 'default' ? 'default' : 'unknown' };
}

const tokenAutomount: WorkloadRule = {
  meta: meta(
    'token-automount',
    'ServiceAccount token mounted',
    'LOW',
    ['WID-10', 'WID-09', 'CIS-EKS-4.1.6'],
    'Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it calls the Kubernetes API.',
  ),
  check: ({ w }, { snapshot }) => {
    const t = tokenAutomounted(w, snapshot);
    if (!t.mounted) return NONE;
    const via =
      t.decidedBy === 'pod'
        ? 'the pod sets automountServiceAccountToken: true'
        : t.decidedBy === 'serviceaccount'
          ? `ServiceAccount ${serviceAccountOf(w)} sets it`
          : 'neither the pod nor its ServiceAccount disables it';
    return [
      {
        message: `API token mounted: ${via}`,
        field: `${w.specPath}.automountServiceAccountToken`,
        discriminator: 'token',
      },
    ];
  },
};

const imageTag: WorkloadRule = {
  meta: meta(
    'image-not-pinned',
    'Image not pinned by digest',
    'MEDIUM',
    ['IMG-22'],
    'Reference images by digest (or an immutable ECR tag), never :latest.',
  ),
  check: (p) => {
    return perContainer(p, (x) => {
      const image = x.c.image;
      if (typeof image !== 'string') return undefined;
      const { tag, digest } = imageTagDigest(image);
      if (digest) return undefined;
      const latest = !tag || tag === 'latest';
      return {
        message: `${x.name} image ${image} ${latest ? 'uses :latest (or no tag)' : 'is pinned by tag only'}`,
        field: `${x.path}.image`,
        discriminator: x.name,
        severity: latest ? 'HIGH' : 'LOW',
      };
    });
  },
};

/** Registry host of an image reference (Docker Hub when the first part is not a host). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

const allowedRegistries: WorkloadRule = {
  meta: meta(
    'registry-not-allowed',
    'Image from a registry not on the allow-list',
    'HIGH',
    ['IMG-21', 'CIS-EKS-5.1.4'],
    'Pull from the account ECR or a pull-through cache; add approved registries to .rampart.yaml allowedRegistries.',
  ),
  check: (p, { options }) => {
    const allow = options.allowedRegistries ?? [];
    if (allow.length === 0) return NONE;
    return perContainer(p, (x) => {
      const image = x.c.image;
      if (typeof image !== 'string') return undefined;
      if (allow.some((a) => image.startsWith(a) || registryOf(image) === a)) return undefined;
      return {
        message: `${x.name} image ${image} is not from ${allow.join(', ')}`,
        field: `${x.path}.image`,
        discriminator: x.name,
      };
    });
  },
};

export const WORKLOAD_RULES: readonly WorkloadRule[] = [
  privileged,
  hostNamespaces,
  hostPath,
  runtimeSocket,
  capabilities,
  privilegeEscalation,
  runAsRoot,
  readOnlyRoot,
  seccomp,
  hostPorts,
  resources,
  probes,
  secretEnv,
  literalSecretEnv,
  serviceLinks,
  defaultServiceAccount,
  tokenAutomount,
  imageTag,
  allowedRegistries,
];

/** ServiceAccounts named `default` that do not disable token automount (WID-09). */
export const DEFAULT_SA_RULE = meta(
  'default-sa-automount',
  'default ServiceAccount mounts its token',
  'LOW',
  ['WID-09', 'CIS-EKS-4.1.6'],
  'Set automountServiceAccountToken: false on each namespace default ServiceAccount.',
);
