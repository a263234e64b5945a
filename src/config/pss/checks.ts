/**
 * The Pod Security Standards checks, one per upstream check id, with their versioned implementations. Behaviour
 * follows kubernetes/pod-security-admission (policy/check_*.go) as described in ../shared/conformance/pod-security/
 * MANIFEST.md; the wording of details is ours. Pods are read as plain JSON (no API defaulting has happened), so
 * the few defaults admission would see are applied here (a volume without a source is an emptyDir).
 */
import type { PssLevel, PssVersion } from './version.js';

export interface PodMeta {
  annotations?: Record<string, string>;
}

export interface CheckResult {
  allowed: boolean;
  forbiddenReason?: string;
  forbiddenDetail?: string;
}

export type CheckPod = (meta: PodMeta, spec: Record<string, unknown>) => CheckResult;

export interface VersionedCheck {
  minimumMinor: number;
  check: CheckPod;
  /** Baseline check ids this restricted implementation replaces at its versions. */
  overrides?: readonly string[];
}

export interface PssCheck {
  id: string;
  level: Exclude<PssLevel, 'privileged'>;
  /** Ascending by minimumMinor. */
  versions: readonly VersionedCheck[];
}

type Json = Record<string, unknown>;

function rec(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

interface ContainerView {
  name: string;
  c: Json;
  sc: Json | undefined;
}

const containerCache = new WeakMap<Json, ContainerView[]>();

/** init, regular and ephemeral containers, as upstream's visitContainers (computed once per pod spec). */
function containersOf(spec: Json): ContainerView[] {
  const cached = containerCache.get(spec);
  if (cached) return cached;
  const out: ContainerView[] = [];
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const item of list(spec[key])) {
      const c = rec(item);
      if (!c) continue;
      out.push({ name: str(c.name) ?? '', c, sc: rec(c.securityContext) });
    }
  }
  containerCache.set(spec, out);
  return out;
}

function podSc(spec: Json): Json | undefined {
  return rec(spec.securityContext);
}

const ALLOWED: CheckResult = { allowed: true };

function quoteList(items: readonly string[]): string {
  return items.map((s) => JSON.stringify(s)).join(', ');
}

function pluralize(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function containerPhrase(names: readonly string[]): string {
  return `${pluralize(names.length, 'container', 'containers')} ${quoteList(names)}`;
}

function isWindowsPod(spec: Json): boolean {
  return str(rec(spec.os)?.name) === 'windows';
}

/** `spec.hostUsers: false` explicitly: the pod runs in a user namespace. */
function usesUserNamespace(spec: Json): boolean {
  return spec.hostUsers === false;
}

/** Upstream 1.25 behaviour for restricted checks that do not apply to Windows pods. */
function exemptWindows(check: CheckPod): CheckPod {
  return (meta, spec) => (isWindowsPod(spec) ? ALLOWED : check(meta, spec));
}

function exemptUserNamespace(check: CheckPod): CheckPod {
  return (meta, spec) => (usesUserNamespace(spec) ? ALLOWED : check(meta, spec));
}

// ---------------------------------------------------------------- baseline

/** Names of the containers whose securityContext field has (or, with `negate`, lacks) the value. */
function containersWith(spec: Json, field: string, value: unknown, negate = false): string[] {
  const out: string[] = [];
  for (const v of containersOf(spec)) if ((v.sc?.[field] === value) !== negate) out.push(v.name);
  return out;
}

const privileged: CheckPod = (_meta, spec) => {
  const bad = containersWith(spec, 'privileged', true);
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'privileged',
    forbiddenDetail: `${containerPhrase(bad)} must not set securityContext.privileged=true`,
  };
};

const hostNamespaces: CheckPod = (_meta, spec) => {
  const set: string[] = [];
  if (spec.hostNetwork === true) set.push('hostNetwork=true');
  if (spec.hostPID === true) set.push('hostPID=true');
  if (spec.hostIPC === true) set.push('hostIPC=true');
  if (set.length === 0) return ALLOWED;
  return { allowed: false, forbiddenReason: 'host namespaces', forbiddenDetail: set.join(', ') };
};

const hostPathVolumes: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  for (const item of list(spec.volumes)) {
    const v = rec(item);
    if (v !== undefined && v.hostPath !== undefined && v.hostPath !== null) bad.push(str(v.name) ?? '');
  }
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'hostPath volumes',
    forbiddenDetail: `${pluralize(bad.length, 'volume', 'volumes')} ${quoteList(bad)}`,
  };
};

const hostPorts: CheckPod = (_meta, spec) => {
  const containers: string[] = [];
  const ports: string[] = [];
  for (const v of containersOf(spec)) {
    let any = false;
    for (const p of list(v.c.ports)) {
      const hp = rec(p)?.hostPort;
      if (typeof hp === 'number' && hp !== 0) {
        any = true;
        ports.push(String(hp));
      }
    }
    if (any) containers.push(v.name);
  }
  if (containers.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'hostPort',
    forbiddenDetail: `${containerPhrase(containers)} ${pluralize(ports.length, 'uses hostPort', 'use hostPorts')} ${ports.join(', ')}`,
  };
};

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const capabilitiesBaseline: CheckPod = (_meta, spec) => {
  const containers: string[] = [];
  const caps = new Set<string>();
  for (const v of containersOf(spec)) {
    let any = false;
    for (const cap of list(rec(v.sc?.capabilities)?.add)) {
      const name = String(cap);
      if (!BASELINE_CAPABILITIES.has(name)) {
        any = true;
        caps.add(name);
      }
    }
    if (any) containers.push(v.name);
  }
  if (containers.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'non-default capabilities',
    forbiddenDetail: `${containerPhrase(containers)} must not include ${quoteList([...caps].sort())} in securityContext.capabilities.add`,
  };
};

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function allowedAppArmorField(profile: unknown): boolean {
  if (profile === undefined || profile === null) return true;
  const t = rec(profile)?.type;
  return t === 'RuntimeDefault' || t === 'Localhost';
}

const appArmorProfile: CheckPod = (meta, spec) => {
  const bad: string[] = [];
  const annotations = meta.annotations ?? {};
  for (const key in annotations) {
    const value = annotations[key] as string;
    if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    if (value === '' || value === 'runtime/default' || value.startsWith('localhost/')) continue;
    bad.push(`${key}="${value}"`);
  }
  if (!allowedAppArmorField(podSc(spec)?.appArmorProfile)) {
    bad.push(
      `pod must not set securityContext.appArmorProfile.type to ${JSON.stringify(rec(podSc(spec)?.appArmorProfile)?.type ?? '')}`,
    );
  }
  for (const v of containersOf(spec)) {
    if (!allowedAppArmorField(v.sc?.appArmorProfile)) {
      bad.push(
        `container ${JSON.stringify(v.name)} must not set securityContext.appArmorProfile.type to ${JSON.stringify(rec(v.sc?.appArmorProfile)?.type ?? '')}`,
      );
    }
  }
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: pluralize(bad.length, 'forbidden AppArmor profile', 'forbidden AppArmor profiles'),
    forbiddenDetail: bad.sort().join(', '),
  };
};

function inspectSeLinux(allowedTypes: ReadonlySet<string>, who: () => string, opts: unknown, problems: string[]): void {
  const o = rec(opts);
  if (!o) return;
  const t = str(o.type) ?? '';
  if (!allowedTypes.has(t))
    problems.push(`${who()} set forbidden securityContext.seLinuxOptions: type ${JSON.stringify(t)}`);
  if ((str(o.user) ?? '') !== '')
    problems.push(`${who()} set forbidden securityContext.seLinuxOptions: user ${JSON.stringify(o.user)}`);
  if ((str(o.role) ?? '') !== '')
    problems.push(`${who()} set forbidden securityContext.seLinuxOptions: role ${JSON.stringify(o.role)}`);
}

const POD_WHO = (): string => 'pod';

function seLinuxCheck(allowedTypes: ReadonlySet<string>): CheckPod {
  return (_meta, spec) => {
    const problems: string[] = [];
    inspectSeLinux(allowedTypes, POD_WHO, podSc(spec)?.seLinuxOptions, problems);
    for (const v of containersOf(spec)) {
      const opts = v.sc?.seLinuxOptions;
      if (opts !== undefined) inspectSeLinux(allowedTypes, () => `container ${JSON.stringify(v.name)}`, opts, problems);
    }
    if (problems.length === 0) return ALLOWED;
    return { allowed: false, forbiddenReason: 'seLinuxOptions', forbiddenDetail: problems.join('; ') };
  };
}

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

const procMountStrict: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  const values = new Set<string>();
  for (const v of containersOf(spec)) {
    const pm = v.sc?.procMount;
    if (pm !== undefined && pm !== null && pm !== 'Default') {
      bad.push(v.name);
      values.add(String(pm));
    }
  }
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'procMount',
    forbiddenDetail: `${containerPhrase(bad)} must not set securityContext.procMount to ${quoteList([...values].sort())}`,
  };
};

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function validSeccompAnnotation(value: string): boolean {
  return value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');
}

/** Before 1.19 seccomp was configured by alpha annotations only. */
const seccompBaseline_1_0: CheckPod = (meta, spec) => {
  const bad: string[] = [];
  const ann = meta.annotations ?? {};
  const podValue = ann[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !validSeccompAnnotation(podValue)) bad.push(`${SECCOMP_POD_ANNOTATION}="${podValue}"`);
  for (const v of containersOf(spec)) {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + v.name;
    const value = ann[key];
    if (value !== undefined && !validSeccompAnnotation(value)) bad.push(`${key}="${value}"`);
  }
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'seccompProfile',
    forbiddenDetail: `forbidden annotations ${bad.join(', ')}`,
  };
};

function seccompType(profile: unknown): string | undefined {
  const p = rec(profile);
  if (!p) return undefined;
  return str(p.type) ?? '';
}

function validSeccompType(t: string): boolean {
  return t === 'RuntimeDefault' || t === 'Localhost';
}

const seccompBaseline_1_19: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  const podType = seccompType(podSc(spec)?.seccompProfile);
  if (podType !== undefined && !validSeccompType(podType)) {
    bad.push(`pod must not set securityContext.seccompProfile.type to ${JSON.stringify(podType)}`);
  }
  for (const v of containersOf(spec)) {
    const t = seccompType(v.sc?.seccompProfile);
    if (t !== undefined && !validSeccompType(t)) {
      bad.push(
        `container ${JSON.stringify(v.name)} must not set securityContext.seccompProfile.type to ${JSON.stringify(t)}`,
      );
    }
  }
  if (bad.length === 0) return ALLOWED;
  return { allowed: false, forbiddenReason: 'seccompProfile', forbiddenDetail: bad.join('; ') };
};

const SYSCTLS_1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const SYSCTLS_1_37 = [...SYSCTLS_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctlsCheck(allowedNames: readonly string[]): CheckPod {
  const allowed = new Set(allowedNames);
  return (_meta, spec) => {
    const bad: string[] = [];
    for (const item of list(podSc(spec)?.sysctls)) {
      const name = str(rec(item)?.name) ?? '';
      if (!allowed.has(name)) bad.push(name);
    }
    if (bad.length === 0) return ALLOWED;
    return {
      allowed: false,
      forbiddenReason: pluralize(bad.length, 'forbidden sysctl', 'forbidden sysctls'),
      forbiddenDetail: bad.join(', '),
    };
  };
}

const windowsHostProcess: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  if (rec(podSc(spec)?.windowsOptions)?.hostProcess === true) bad.push('pod');
  for (const v of containersOf(spec)) {
    if (rec(v.sc?.windowsOptions)?.hostProcess === true) bad.push(`container ${JSON.stringify(v.name)}`);
  }
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'hostProcess',
    forbiddenDetail: `${bad.join(', ')} must not set securityContext.windowsOptions.hostProcess=true`,
  };
};

const PROBE_FIELDS = ['livenessProbe', 'readinessProbe', 'startupProbe'];
const LIFECYCLE_FIELDS = ['postStart', 'preStop'];

const HANDLER_KINDS = ['httpGet', 'tcpSocket'];

function inspectHandlerHost(container: string, where: string, handler: unknown, bad: string[]): void {
  const h = rec(handler);
  if (!h) return;
  for (const kind of HANDLER_KINDS) {
    const host = str(rec(h[kind])?.host);
    if (host !== undefined && host !== '')
      bad.push(`container ${JSON.stringify(container)} ${where}.${kind}.host=${JSON.stringify(host)}`);
  }
}

const hostProbesAndHostLifecycle: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  for (const v of containersOf(spec)) {
    for (const p of PROBE_FIELDS) inspectHandlerHost(v.name, p, v.c[p], bad);
    const lc = rec(v.c.lifecycle);
    if (lc) for (const l of LIFECYCLE_FIELDS) inspectHandlerHost(v.name, `lifecycle.${l}`, lc[l], bad);
  }
  if (bad.length === 0) return ALLOWED;
  return { allowed: false, forbiddenReason: 'probe or lifecycle host', forbiddenDetail: bad.join(', ') };
};

// ---------------------------------------------------------------- restricted

const allowPrivilegeEscalation: CheckPod = (_meta, spec) => {
  const bad = containersWith(spec, 'allowPrivilegeEscalation', false, true);
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'allowPrivilegeEscalation != false',
    forbiddenDetail: `${containerPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  };
};

const capabilitiesRestricted: CheckPod = (_meta, spec) => {
  const noDropAll: string[] = [];
  const badAdd: string[] = [];
  const added = new Set<string>();
  for (const v of containersOf(spec)) {
    const caps = rec(v.sc?.capabilities);
    if (!list(caps?.drop).includes('ALL')) noDropAll.push(v.name);
    let any = false;
    for (const cap of list(caps?.add)) {
      if (cap !== 'NET_BIND_SERVICE') {
        any = true;
        added.add(String(cap));
      }
    }
    if (any) badAdd.push(v.name);
  }
  if (noDropAll.length === 0 && badAdd.length === 0) return ALLOWED;
  const details: string[] = [];
  if (noDropAll.length > 0)
    details.push(`${containerPhrase(noDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (badAdd.length > 0) {
    details.push(
      `${containerPhrase(badAdd)} must not include ${quoteList([...added].sort())} in securityContext.capabilities.add`,
    );
  }
  return { allowed: false, forbiddenReason: 'unrestricted capabilities', forbiddenDetail: details.join('; ') };
};

const RESTRICTED_VOLUME_SOURCES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const restrictedVolumes: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  const kinds = new Set<string>();
  for (const item of list(spec.volumes)) {
    const v = rec(item);
    if (!v) continue;
    const sources: string[] = [];
    let allowedSource = false;
    for (const k in v) {
      if (k === 'name' || v[k] === null || v[k] === undefined) continue;
      sources.push(k);
      if (RESTRICTED_VOLUME_SOURCES.has(k)) allowedSource = true;
    }
    // API defaulting turns a volume without any source into an emptyDir before admission sees it.
    if (sources.length === 0 || allowedSource) continue;
    bad.push(str(v.name) ?? '');
    for (const s of sources) kinds.add(s);
  }
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'restricted volume types',
    forbiddenDetail: `${pluralize(bad.length, 'volume', 'volumes')} ${quoteList(bad)} ${pluralize(kinds.size, 'uses', 'use')} restricted volume ${pluralize(kinds.size, 'type', 'types')} ${quoteList([...kinds].sort())}`,
  };
};

const runAsNonRoot: CheckPod = (_meta, spec) => {
  const podValue = podSc(spec)?.runAsNonRoot;
  const badSetters: string[] = [];
  if (podValue === false) badSetters.push('pod');
  const podTrue = podValue === true;
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const v of containersOf(spec)) {
    const cv = v.sc?.runAsNonRoot;
    if (typeof cv === 'boolean') {
      if (!cv) explicit.push(v.name);
    } else if (!podTrue) implicit.push(v.name);
  }
  if (explicit.length > 0) badSetters.push(containerPhrase(explicit));
  if (badSetters.length === 0 && implicit.length === 0) return ALLOWED;
  const details: string[] = [];
  if (badSetters.length > 0)
    details.push(`${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  if (implicit.length > 0) {
    details.push(`pod or ${containerPhrase(implicit)} must set securityContext.runAsNonRoot=true`);
  }
  return { allowed: false, forbiddenReason: 'runAsNonRoot != true', forbiddenDetail: details.join('; ') };
};

const runAsUser: CheckPod = (_meta, spec) => {
  const bad: string[] = [];
  if (podSc(spec)?.runAsUser === 0) bad.push('pod');
  const containers = containersWith(spec, 'runAsUser', 0);
  if (containers.length > 0) bad.push(containerPhrase(containers));
  if (bad.length === 0) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'runAsUser=0',
    forbiddenDetail: `${bad.join(' and ')} must not set runAsUser=0`,
  };
};

const seccompRestricted: CheckPod = (_meta, spec) => {
  const podType = seccompType(podSc(spec)?.seccompProfile);
  const badSetters: string[] = [];
  let podSet = false;
  if (podType !== undefined) {
    if (validSeccompType(podType)) podSet = true;
    else badSetters.push('pod');
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const v of containersOf(spec)) {
    const t = seccompType(v.sc?.seccompProfile);
    if (t !== undefined) {
      if (!validSeccompType(t)) explicit.push(v.name);
    } else if (!podSet) implicit.push(v.name);
  }
  if (explicit.length > 0) badSetters.push(containerPhrase(explicit));
  if (badSetters.length === 0 && implicit.length === 0) return ALLOWED;
  const details: string[] = [];
  if (badSetters.length > 0) {
    details.push(
      `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to a value other than "RuntimeDefault" or "Localhost"`,
    );
  }
  if (implicit.length > 0) {
    details.push(
      `pod or ${containerPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  }
  return { allowed: false, forbiddenReason: 'seccompProfile', forbiddenDetail: details.join('; ') };
};

// ---------------------------------------------------------------- registry

/** Every check, in upstream's evaluation order: baseline ids sorted, then restricted ids sorted. */
export const PSS_CHECKS: readonly PssCheck[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimumMinor: 0, check: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ minimumMinor: 0, check: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimumMinor: 0, check: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ minimumMinor: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimumMinor: 0, check: hostPorts }] },
  {
    id: 'hostProbesAndHostLifecycle',
    level: 'baseline',
    versions: [{ minimumMinor: 34, check: hostProbesAndHostLifecycle }],
  },
  { id: 'privileged', level: 'baseline', versions: [{ minimumMinor: 0, check: privileged }] },
  {
    id: 'procMount',
    level: 'baseline',
    versions: [
      { minimumMinor: 0, check: procMountStrict },
      { minimumMinor: 35, check: exemptUserNamespace(procMountStrict) },
    ],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    versions: [
      { minimumMinor: 0, check: seccompBaseline_1_0 },
      { minimumMinor: 19, check: seccompBaseline_1_19 },
    ],
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { minimumMinor: 0, check: seLinuxCheck(SELINUX_TYPES_1_0) },
      { minimumMinor: 31, check: seLinuxCheck(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minimumMinor: 0, check: sysctlsCheck(SYSCTLS_1_0) },
      { minimumMinor: 27, check: sysctlsCheck(SYSCTLS_1_27) },
      { minimumMinor: 29, check: sysctlsCheck(SYSCTLS_1_29) },
      { minimumMinor: 32, check: sysctlsCheck(SYSCTLS_1_32) },
      { minimumMinor: 37, check: sysctlsCheck(SYSCTLS_1_37) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimumMinor: 0, check: windowsHostProcess }] },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [
      { minimumMinor: 8, check: allowPrivilegeEscalation },
      { minimumMinor: 25, check: exemptWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minimumMinor: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minimumMinor: 25, check: exemptWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  {
    id: 'procMount_restricted',
    level: 'restricted',
    versions: [{ minimumMinor: 35, check: procMountStrict, overrides: ['procMount'] }],
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    versions: [{ minimumMinor: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }],
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    versions: [
      { minimumMinor: 0, check: runAsNonRoot },
      { minimumMinor: 35, check: exemptUserNamespace(runAsNonRoot) },
    ],
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    versions: [
      { minimumMinor: 23, check: runAsUser },
      { minimumMinor: 35, check: exemptUserNamespace(runAsUser) },
    ],
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minimumMinor: 19, check: seccompRestricted, overrides: ['seccompProfile_baseline'] },
      { minimumMinor: 25, check: exemptWindows(seccompRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
];

/** The implementation of a check in force at a version, or undefined when the check is newer than the version. */
export function implementationAt(check: PssCheck, version: PssVersion): VersionedCheck | undefined {
  let chosen: VersionedCheck | undefined;
  for (const v of check.versions) if (v.minimumMinor <= version.minor) chosen = v;
  return chosen;
}
