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

export interface WorkloadRule {
  meta: RuleMeta;
  check(w: WorkloadPod, ctx: { snapshot: Snapshot; options: WorkloadOptions }): Omit<WorkloadHit, 'rule'>[];
}

const meta = ruleFamily('workload', 'workload');

type Json = Record<string, unknown>;
const rec = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface ContainerCtx {
  c: ContainerSpec;
  sc: Json | undefined;
  name: string;
  path: string;
  list: 'containers' | 'initContainers' | 'ephemeralContainers';
}

const containerCache = new WeakMap<WorkloadPod, ContainerCtx[]>();

/** Every container of the pod with its securityContext and field path (computed once per workload). */
function containers(w: WorkloadPod): ContainerCtx[] {
  const cached = containerCache.get(w);
  if (cached) return cached;
  const out = allContainers(w.spec).map(({ container, list, index }) => ({
    c: container,
    sc: rec(container.securityContext),
    name: container.name ?? `#${index}`,
    path: `${w.specPath}.${list}[${index}]`,
    list,
  }));
  containerCache.set(w, out);
  return out;
}

function podSc(w: WorkloadPod): Json | undefined {
  return rec(w.spec.securityContext);
}

/** Containers that keep running (ephemeral debug containers and init containers are judged less strictly). */
function appContainers(w: WorkloadPod): ContainerCtx[] {
  return containers(w).filter(
    (x) => x.list === 'containers' || (x.list === 'initContainers' && x.c.restartPolicy === 'Always'),
  );
}

const privileged: WorkloadRule = {
  meta: meta(
    'privileged',
    'Privileged container',
    'CRITICAL',
    ['POD-01', 'CIS-EKS-4.2.1', 'PSS-baseline:privileged'],
    'Remove securityContext.privileged; add only the capability needed.',
  ),
  check: (w) =>
    containers(w)
      .filter((x) => x.sc?.privileged === true)
      .map((x) => ({
        message: `${x.list} ${x.name} runs privileged (root on the node)`,
        field: `${x.path}.securityContext.privileged`,
        discriminator: x.name,
      })),
};

const hostNamespaces: WorkloadRule = {
  meta: meta(
    'host-namespaces',
    'Pod shares host namespaces',
    'HIGH',
    ['POD-06', 'CIS-EKS-4.2.2', 'CIS-EKS-4.2.3', 'CIS-EKS-4.2.4'],
    'Set hostNetwork, hostPID and hostIPC to false.',
  ),
  check: (w) =>
    (['hostNetwork', 'hostPID', 'hostIPC'] as const)
      .filter((k) => w.spec[k] === true)
      .map((k) => ({ message: `${k}: true`, field: `${w.specPath}.${k}`, discriminator: k })),
};

const hostPath: WorkloadRule = {
  meta: meta(
    'host-path',
    'hostPath volume',
    'HIGH',
    ['POD-08', 'PSS-baseline:hostPathVolumes'],
    'Avoid hostPath; if needed, allow-list the prefix in .rampart.yaml and mount it readOnly.',
  ),
  check: (w, { options }) => {
    const out: Omit<WorkloadHit, 'rule'>[] = [];
    arr(w.spec.volumes).forEach((v, i) => {
      const vol = rec(v);
      const hp = rec(vol?.hostPath);
      if (!vol || !hp) return;
      const path = String(hp.path ?? '');
      if (isRuntimeSocket(path)) return; // reported by runtime-socket
      const mounts = containers(w).flatMap((x) =>
        arr(x.c.volumeMounts)
          .map(rec)
          .filter((m) => m?.name === vol.name),
      );
      const readOnly = mounts.length > 0 && mounts.every((m) => m?.readOnly === true);
      const allowed = (options.hostPathAllowList ?? []).some(
        (p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`),
      );
      if (allowed && readOnly) return;
      out.push({
        message: `volume ${String(vol.name)} mounts host path ${path}${readOnly ? ' (read-only)' : ' read-write'}${allowed ? ' (allow-listed, but must be readOnly)' : ''}`,
        field: `${w.specPath}.volumes[${i}].hostPath`,
        discriminator: String(vol.name),
        severity: readOnly ? 'MEDIUM' : 'HIGH',
      });
    });
    return out;
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
  check: (w) =>
    arr(w.spec.volumes).flatMap((v, i) => {
      const vol = rec(v);
      const path = String(rec(vol?.hostPath)?.path ?? '');
      return vol && path && isRuntimeSocket(path)
        ? [
            {
              message: `volume ${String(vol.name)} mounts ${path}: control of every container on the node`,
              field: `${w.specPath}.volumes[${i}].hostPath.path`,
              discriminator: String(vol.name),
            },
          ]
        : [];
    }),
};

const capabilities: WorkloadRule = {
  meta: meta(
    'capabilities',
    'Capabilities not dropped, or dangerous ones added',
    'MEDIUM',
    ['POD-05', 'PSS-restricted:capabilities_restricted'],
    'Set capabilities.drop: [ALL] and add only NET_BIND_SERVICE if needed.',
  ),
  check: (w) =>
    containers(w)
      .filter((x) => x.list !== 'ephemeralContainers')
      .flatMap((x) => {
        const caps = rec(x.sc?.capabilities);
        const out: Omit<WorkloadHit, 'rule'>[] = [];
        const dangerous = arr(caps?.add)
          .map((c) => String(c).toUpperCase().replace(/^CAP_/, ''))
          .filter((c) => DANGEROUS_CAPABILITIES.has(c));
        if (dangerous.length > 0) {
          out.push({
            message: `${x.name} adds ${dangerous.join(', ')}`,
            field: `${x.path}.securityContext.capabilities.add`,
            discriminator: `${x.name}:add`,
            severity: 'HIGH',
          });
        }
        if (!arr(caps?.drop).some((c) => String(c).toUpperCase() === 'ALL')) {
          out.push({
            message: `${x.name} does not drop ALL capabilities`,
            field: `${x.path}.securityContext.capabilities.drop`,
            discriminator: `${x.name}:drop`,
          });
        }
        return out;
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
  check: (w) =>
    containers(w)
      .filter((x) => x.list !== 'ephemeralContainers' && x.sc?.allowPrivilegeEscalation !== false)
      .map((x) => ({
        message: `${x.name}: allowPrivilegeEscalation is ${x.sc?.allowPrivilegeEscalation === true ? 'true' : 'not set (defaults to true)'}`,
        field: `${x.path}.securityContext.allowPrivilegeEscalation`,
        discriminator: x.name,
        severity: x.sc?.allowPrivilegeEscalation === true ? 'HIGH' : undefined,
      })),
};

/** The effective runAsUser / runAsNonRoot of a container: its own value, else the pod's. */
export function effectiveUser(
  w: WorkloadPod,
  sc: Json | undefined,
): { runAsUser?: number; runAsNonRoot?: boolean; runAsGroup?: number } {
  const pod = podSc(w);
  const uid = sc?.runAsUser ?? pod?.runAsUser;
  const gid = sc?.runAsGroup ?? pod?.runAsGroup;
  const nonRoot = typeof sc?.runAsNonRoot === 'boolean' ? sc.runAsNonRoot : pod?.runAsNonRoot;
  return {
    runAsUser: typeof uid === 'number' ? uid : undefined,
    runAsNonRoot: typeof nonRoot === 'boolean' ? nonRoot : undefined,
    runAsGroup: typeof gid === 'number' ? gid : undefined,
  };
}

const runAsRoot: WorkloadRule = {
  meta: meta(
    'run-as-root',
    'Container may run as root',
    'HIGH',
    ['POD-02'],
    'Set runAsNonRoot: true and a non-zero runAsUser/runAsGroup at pod level.',
  ),
  check: (w) =>
    containers(w)
      .filter((x) => x.list !== 'ephemeralContainers')
      .flatMap((x) => {
        const u = effectiveUser(w, x.sc);
        const out: Omit<WorkloadHit, 'rule'>[] = [];
        if (u.runAsUser === 0)
          out.push({
            message: `${x.name} sets runAsUser: 0`,
            field: `${x.path}.securityContext.runAsUser`,
            discriminator: `${x.name}:uid`,
          });
        if (u.runAsGroup === 0)
          out.push({
            message: `${x.name} sets runAsGroup: 0`,
            field: `${x.path}.securityContext.runAsGroup`,
            discriminator: `${x.name}:gid`,
            severity: 'LOW',
          });
        if (u.runAsNonRoot !== true && u.runAsUser !== 0) {
          out.push({
            message: `${x.name}: runAsNonRoot is ${u.runAsNonRoot === false ? 'false' : 'not set'}${u.runAsUser ? ` (runAsUser ${u.runAsUser})` : ', so the image decides (often root)'}`,
            field: `${x.path}.securityContext.runAsNonRoot`,
            discriminator: `${x.name}:nonroot`,
            severity: u.runAsUser ? 'LOW' : 'MEDIUM',
          });
        }
        return out;
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
  check: (w) =>
    containers(w)
      .filter((x) => x.list !== 'ephemeralContainers' && x.sc?.readOnlyRootFilesystem !== true)
      .map((x) => ({
        message: `${x.name}: readOnlyRootFilesystem is not true`,
        field: `${x.path}.securityContext.readOnlyRootFilesystem`,
        discriminator: x.name,
      })),
};

const seccomp: WorkloadRule = {
  meta: meta(
    'seccomp',
    'No seccomp profile',
    'LOW',
    ['POD-10'],
    'Set securityContext.seccompProfile.type: RuntimeDefault at pod level.',
  ),
  check: (w) => {
    const podType = rec(podSc(w)?.seccompProfile)?.type;
    return containers(w)
      .filter((x) => x.list !== 'ephemeralContainers')
      .flatMap((x) => {
        const t = rec(x.sc?.seccompProfile)?.type ?? podType;
        if (t === 'RuntimeDefault' || t === 'Localhost') return [];
        return [
          {
            message: `${x.name}: seccomp profile is ${t === undefined ? 'not set (Unconfined on most runtimes)' : String(t)}`,
            field: `${x.path}.securityContext.seccompProfile`,
            discriminator: x.name,
            severity: t === 'Unconfined' ? ('MEDIUM' as const) : undefined,
          },
        ];
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
  check: (w) =>
    containers(w).flatMap((x) =>
      arr(x.c.ports).flatMap((p, i) => {
        const hp = rec(p)?.hostPort;
        return typeof hp === 'number' && hp !== 0
          ? [
              {
                message: `${x.name} binds host port ${hp}`,
                field: `${x.path}.ports[${i}].hostPort`,
                discriminator: `${x.name}:${hp}`,
              },
            ]
          : [];
      }),
    ),
};

const resources: WorkloadRule = {
  meta: meta(
    'resources',
    'CPU/memory requests or limits missing',
    'LOW',
    ['POD-12'],
    'Set resources.requests and resources.limits (at least memory) on every container.',
  ),
  check: (w) =>
    appContainers(w).flatMap((x) => {
      const r = rec(x.c.resources);
      const missing: string[] = [];
      for (const kind of ['requests', 'limits'] as const) {
        for (const res of ['cpu', 'memory'])
          if (rec(r?.[kind])?.[res] === undefined && !(kind === 'limits' && res === 'cpu'))
            missing.push(`${kind}.${res}`);
      }
      return missing.length > 0
        ? [{ message: `${x.name} has no ${missing.join(', ')}`, field: `${x.path}.resources`, discriminator: x.name }]
        : [];
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
  check: (w) => {
    if (w.ownerKind === 'Job' || w.ownerKind === 'CronJob') return [];
    return appContainers(w).flatMap((x) => {
      const missing = ['readinessProbe', 'livenessProbe'].filter((p) => x.c[p] === undefined);
      return missing.length > 0
        ? [{ message: `${x.name} has no ${missing.join(' or ')}`, field: `${x.path}`, discriminator: x.name }]
        : [];
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
  check: (w) =>
    containers(w).flatMap((x) => {
      const out: Omit<WorkloadHit, 'rule'>[] = [];
      arr(x.c.env).forEach((e, i) => {
        const ev = rec(e);
        if (rec(rec(ev?.valueFrom)?.secretKeyRef))
          out.push({
            message: `${x.name} env ${String(ev?.name)} comes from a Secret`,
            field: `${x.path}.env[${i}]`,
            discriminator: `${x.name}:${String(ev?.name)}`,
          });
      });
      arr(x.c.envFrom).forEach((e, i) => {
        const sr = rec(rec(e)?.secretRef);
        if (sr)
          out.push({
            message: `${x.name} envFrom Secret ${String(sr.name)}`,
            field: `${x.path}.envFrom[${i}]`,
            discriminator: `${x.name}:from:${String(sr.name)}`,
          });
      });
      return out;
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
  check: (w) =>
    containers(w).flatMap((x) =>
      arr(x.c.env).flatMap((e, i) => {
        const ev = rec(e);
        const name = String(ev?.name ?? '');
        const value = typeof ev?.value === 'string' ? ev.value : undefined;
        const found = detectSecret(name, value);
        return found
          ? [
              {
                message: `${x.name} env ${name}=${redact(value ?? '')} (${found.kind})`,
                field: `${x.path}.env[${i}].value`,
                discriminator: `${x.name}:${name}`,
              },
            ]
          : [];
      }),
    ),
};

const serviceLinks: WorkloadRule = {
  meta: meta(
    'service-links',
    'Service links enabled',
    'INFO',
    ['POD-14'],
    'Set enableServiceLinks: false unless the app reads *_SERVICE_HOST variables.',
  ),
  check: (w) =>
    w.spec.enableServiceLinks === false
      ? []
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
  check: (w) =>
    serviceAccountOf(w) === 'default'
      ? [{ message: 'runs as ServiceAccount default', field: `${w.specPath}.serviceAccountName`, discriminator: 'sa' }]
      : [],
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
  check: (w, { snapshot }) => {
    const t = tokenAutomounted(w, snapshot);
    if (!t.mounted) return [];
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
  check: (w) =>
    containers(w)
      .filter((x) => typeof x.c.image === 'string')
      .flatMap((x) => {
        const image = x.c.image as string;
        const { tag, digest } = imageTagDigest(image);
        if (digest) return [];
        const latest = !tag || tag === 'latest';
        return [
          {
            message: `${x.name} image ${image} ${latest ? 'uses :latest (or no tag)' : 'is pinned by tag only'}`,
            field: `${x.path}.image`,
            discriminator: x.name,
            severity: latest ? ('HIGH' as const) : ('LOW' as const),
          },
        ];
      }),
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
  check: (w, { options }) => {
    const allow = options.allowedRegistries ?? [];
    if (allow.length === 0) return [];
    return containers(w)
      .filter((x) => typeof x.c.image === 'string')
      .filter((x) => !allow.some((a) => (x.c.image as string).startsWith(a) || registryOf(x.c.image as string) === a))
      .map((x) => ({
        message: `${x.name} image ${x.c.image as string} is not from ${allow.join(', ')}`,
        field: `${x.path}.image`,
        discriminator: x.name,
      }));
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
