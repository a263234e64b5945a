import { type Finding, type KubernetesRef, makeFinding, type Reference, type Severity } from '../core/index.js';
import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { CNI_PROFILES } from '../network/index.js';
import { type EnforcementDetection, networkCniOf } from './cni.js';
import {
  defaultDenyOf,
  expandWorkloadsCached,
  isSystemNamespace,
  namespaceRole,
  otherPoliciesFor,
  type PodFacts,
  type PsaMode,
  placementOf,
  podFacts,
  podSecurityLabels,
  toleratesTaint,
  workloadLabel,
} from './facts.js';
import type { BoundaryProviders, NamespaceEdge, PermissionHolder, PermissionQuery } from './providers.js';

export const BOUNDARY_RULES = {
  verdict: 'boundary/verdict',
  enforcement: 'boundary/netpol-enforced',
  psaLabels: 'boundary/pod-security-labels',
  psaAdmission: 'boundary/pod-security-admission',
  quota: 'boundary/resource-quota',
  limitRange: 'boundary/limit-range',
  denyIngress: 'boundary/default-deny-ingress',
  denyEgress: 'boundary/default-deny-egress',
  dns: 'boundary/dns-egress',
  reachIn: 'boundary/reachability',
  rbacOutside: 'boundary/rbac-outside-reach',
  rbacFences: 'boundary/tenant-edits-fences',
  automount: 'boundary/token-automount',
  privileged: 'boundary/privileged-pods',
  hostNamespaces: 'boundary/host-network',
  nodeIsolation: 'boundary/node-isolation',
  defaultNamespace: 'boundary/default-namespace-workloads',
} as const;

const BPG_MT = 'https://docs.aws.amazon.com/eks/latest/best-practices/tenant-isolation.html';
const BPG_NET = 'https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html';
const BPG_POD = 'https://docs.aws.amazon.com/eks/latest/best-practices/pod-security.html';
const PSA_DOC = 'https://kubernetes.io/docs/concepts/security/pod-security-admission/';

export function namespaceRef(ns: LoadedObject): KubernetesRef {
  return {
    type: 'kubernetes',
    apiVersion: 'v1',
    kind: 'Namespace',
    name: ns.name,
    file: ns.synthesized ? undefined : ns.source.file,
    line: ns.synthesized ? undefined : ns.source.line,
  };
}

interface CheckSpec {
  ruleId: string;
  title: string;
  severity: Severity;
  status: Finding['status'];
  reason?: string;
  evidence?: Record<string, unknown>;
  remediation?: string;
  references?: Reference[];
  description?: string;
}

function nsFinding(ns: LoadedObject, c: CheckSpec): Finding {
  return makeFinding({ pillar: 'boundary', resource: namespaceRef(ns), ...c });
}

/** Per-namespace results before the verdict. */
export interface NamespaceChecks {
  namespace: string;
  object: LoadedObject;
  system: boolean;
  findings: Finding[];
  workloads: number;
}

interface Context {
  snapshot: Snapshot;
  enforcement: EnforcementDetection;
  providers: BoundaryProviders;
  /** Tenant namespaces (not system, not shared), for cross-tenant comparisons. */
  tenants: string[];
  pods: PodFacts[];
}

function listOrNone(items: string[], max = 8): string {
  if (items.length === 0) return 'none';
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

function checkPodSecurity(ns: LoadedObject): Finding {
  const psa = podSecurityLabels(ns);
  const evidence: Record<string, unknown> = {
    enforce: psa.enforce.level ? `${psa.enforce.level}:${psa.enforce.version}` : 'unset',
    audit: psa.audit.level ? `${psa.audit.level}:${psa.audit.version}` : 'unset',
    warn: psa.warn.level ? `${psa.warn.level}:${psa.warn.version}` : 'unset',
  };
  const invalid = (['enforce', 'audit', 'warn'] as const).filter((m) => psa[m].invalid !== undefined);
  if (invalid.length > 0) evidence.invalid = invalid.map((m) => `${m}=${psa[m].invalid}`).join(', ');
  const base = {
    ruleId: BOUNDARY_RULES.psaLabels,
    evidence,
    references: [{ id: 'TEN-01' }, { id: 'BPG-POD', url: BPG_POD }, { url: PSA_DOC }],
  };
  if (!psa.enforce.level || psa.enforce.level === 'privileged') {
    return nsFinding(ns, {
      ...base,
      title: psa.enforce.level
        ? 'Pod Security enforce level is privileged: admission lets any pod in'
        : 'No Pod Security enforce label: EKS admits any pod (cluster default privileged)',
      severity: 'HIGH',
      status: 'fail',
      remediation: `kubectl label namespace ${ns.name} pod-security.kubernetes.io/enforce=baseline pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted`,
    });
  }
  if (!psa.audit.level || !psa.warn.level) {
    return nsFinding(ns, {
      ...base,
      title: `Pod Security enforce=${psa.enforce.level}, but ${[!psa.audit.level && 'audit', !psa.warn.level && 'warn'].filter(Boolean).join(' and ')} not set`,
      severity: 'LOW',
      status: 'fail',
      remediation: `Add pod-security.kubernetes.io/audit and /warn labels (e.g. restricted) so violations show before they are enforced.`,
    });
  }
  return nsFinding(ns, {
    ...base,
    title: `Pod Security enforce=${psa.enforce.level}, audit=${psa.audit.level}, warn=${psa.warn.level}`,
    severity: 'INFO',
    status: 'pass',
  });
}

/** Workloads of the namespace that a Pod Security level rejects, with the violations. */
function violators(ns: LoadedObject, ctx: Context, mode: PsaMode): Record<string, string> {
  const out: Record<string, string> = {};
  if (!mode.level || mode.level === 'privileged' || !ctx.providers.pss.available) return out;
  const evaluator = ctx.providers.pss.value;
  for (const f of ctx.pods.filter((p) => p.pod.namespace === ns.name)) {
    const r = evaluator.evaluate(
      f.pod.spec,
      { labels: f.pod.labels, annotations: f.pod.annotations },
      mode.level,
      mode.version,
    );
    if (!r.allowed) out[workloadLabel(f.pod)] = r.violations.join('; ');
  }
  return out;
}

function checkAdmission(ns: LoadedObject, ctx: Context): Finding {
  const psa = podSecurityLabels(ns);
  const base = {
    ruleId: BOUNDARY_RULES.psaAdmission,
    references: [{ id: 'POD-15' }, { url: PSA_DOC }],
  };
  // What audit and warn would flag: shown with the verdict, never a failure (those modes do not block).
  const flagged: Record<string, unknown> = {};
  for (const mode of ['warn', 'audit'] as const) {
    const v = violators(ns, ctx, psa[mode]);
    if (Object.keys(v).length) flagged[`${mode} (${psa[mode].level}:${psa[mode].version})`] = v;
  }
  const evidence = Object.keys(flagged).length ? flagged : undefined;
  const level = psa.enforce.level;
  if (!level || level === 'privileged') {
    return nsFinding(ns, {
      ...base,
      title: 'Pod Security admission rejects nothing in this namespace',
      severity: 'INFO',
      status: 'skipped',
      reason: level ? 'enforce level is privileged' : 'no enforce label',
      evidence,
    });
  }
  if (!ctx.providers.pss.available) {
    return nsFinding(ns, {
      ...base,
      title: `Which workloads Pod Security "${level}" would reject is not known`,
      severity: 'MEDIUM',
      status: 'unknown',
      reason: ctx.providers.pss.reason,
    });
  }
  const rejected = violators(ns, ctx, psa.enforce);
  const names = Object.keys(rejected);
  if (names.length > 0) {
    return nsFinding(ns, {
      ...base,
      title: `Pod Security "${level}:${psa.enforce.version}" would reject pods of ${names.length} workload(s): ${listOrNone(names)}`,
      severity: 'MEDIUM',
      status: 'fail',
      evidence: { rejected, ...evidence },
      remediation:
        'Fix the pod templates (securityContext) so they meet the level, or the controller keeps failing to create pods.',
    });
  }
  return nsFinding(ns, {
    ...base,
    title: `Every workload meets Pod Security "${level}:${psa.enforce.version}"${evidence ? '; warn/audit flag some (see evidence)' : ''}`,
    severity: 'INFO',
    status: 'pass',
    evidence,
  });
}

/** A namespace object that should exist (ResourceQuota, LimitRange): pass naming them, or fail with the fix. */
function presence(
  ns: LoadedObject,
  ctx: Context,
  kind: string,
  ruleId: string,
  missing: { title: string; severity: Severity; remediation: string; control: string },
): Finding {
  const names = ctx.snapshot.ofKind(kind, ns.name).map((q) => q.name);
  return nsFinding(ns, {
    ruleId,
    title: names.length ? `${kind}: ${names.join(', ')}` : missing.title,
    severity: names.length ? 'INFO' : missing.severity,
    status: names.length ? 'pass' : 'fail',
    references: [{ id: missing.control }, { id: 'BPG-MT', url: BPG_MT }],
    remediation: names.length ? undefined : missing.remediation,
  });
}

function checkQuota(ns: LoadedObject, ctx: Context): Finding[] {
  return [
    presence(ns, ctx, 'ResourceQuota', BOUNDARY_RULES.quota, {
      title: 'No ResourceQuota: one tenant can starve the others',
      severity: 'MEDIUM',
      remediation: 'Add a ResourceQuota (cpu, memory, pods, services.loadbalancers).',
      control: 'TEN-03',
    }),
    presence(ns, ctx, 'LimitRange', BOUNDARY_RULES.limitRange, {
      title: 'No LimitRange: pods without requests/limits get none by default',
      severity: 'LOW',
      remediation: 'Add a LimitRange with default requests and limits for containers.',
      control: 'TEN-04',
    }),
  ];
}

function notEnforced(ctx: Context): { status: 'fail' | 'unknown'; reason: string } | undefined {
  const e = ctx.enforcement;
  if (e.state === 'enforced') return undefined;
  return e.state === 'unknown'
    ? { status: 'unknown', reason: e.summary }
    : { status: 'fail', reason: `not enforced — ${e.summary}` };
}

function checkDefaultDeny(ns: LoadedObject, ctx: Context): Finding[] {
  const dd = defaultDenyOf(ctx.snapshot, ns.name);
  const ne = notEnforced(ctx);
  const out: Finding[] = [];
  const refs = (id: string) => [{ id }, { id: 'TEN-05' }, { id: 'BPG-NET', url: BPG_NET }];
  // Other policy kinds make a missing Kubernetes default-deny undecidable from the NetworkPolicies alone — unless the
  // CNI detected as enforcing policy ignores them (they then fence nothing), or the network model, which applies
  // what that CNI enforces, decides: a pod that no policy isolates takes any traffic. Pods that do not exist yet are
  // not covered, so "all isolated" stays unknown, and so does any admin-tier policy (a deny that fences without
  // isolating) or enforcement that could not be established.
  const candidates = otherPoliciesFor(ctx.snapshot, ns.name);
  const cni = ne ? undefined : networkCniOf(ctx.enforcement);
  const ignored = cni ? candidates.filter((o) => !CNI_PROFILES[cni][o.family]).map((o) => o.label) : [];
  const enforced = cni ? candidates.filter((o) => CNI_PROFILES[cni][o.family]) : candidates;
  const others = enforced.map((o) => o.label);
  const isolation = ctx.providers.isolation;
  // The model decides only next to Calico/Cilium policies: admin-tier denies fence without isolating.
  const model =
    cni !== undefined &&
    isolation?.available &&
    !enforced.some((o) => o.family === 'anpV1alpha1' || o.family === 'clusterNetworkPolicy')
      ? isolation.value
      : undefined;
  const ignoredNote = ignored.length > 0 ? { notEnforcedByCni: ignored } : {};
  const direction = (dir: 'ingress' | 'egress', ruleId: string, sev: Severity) => {
    const found = dd[dir];
    const open = found.length === 0 && others.length > 0 && model ? model.unisolatedPods(ns.name, dir) : [];
    if (open.length > 0) {
      out.push(
        nsFinding(ns, {
          ruleId,
          title: `No default-deny ${dir}: ${open.length} pod${open.length === 1 ? '' : 's'} that no policy isolates for ${dir} (${listOrNone(open, 3)})`,
          severity: sev,
          status: 'fail',
          description: `No Kubernetes default-deny, and none of the other policies (${listOrNone(others, 5)}), as ${cni} enforces them, isolates ${listOrNone(open, 5)} for ${dir}: ${dir === 'ingress' ? 'any pod in the cluster can connect to them' : 'they can connect anywhere'}.`,
          evidence: {
            networkPolicies: dd.policies.map((p) => p.name),
            otherPolicies: others,
            unisolatedPods: open,
            ...ignoredNote,
          },
          references: refs(dir === 'ingress' ? 'NET-01' : 'NET-02'),
          remediation: `Add a NetworkPolicy with podSelector: {} and policyTypes: [${dir === 'ingress' ? 'Ingress' : 'Egress'}] and no rules.`,
        }),
      );
    } else if (found.length === 0 && others.length > 0) {
      out.push(
        nsFinding(ns, {
          ruleId,
          title: `No Kubernetes default-deny ${dir} NetworkPolicy; whether other policies deny by default is not known`,
          severity: sev,
          status: 'unknown',
          reason: `policies this check does not read may apply: ${listOrNone(others, 5)}`,
          evidence: { networkPolicies: dd.policies.map((p) => p.name), otherPolicies: others },
          references: refs(dir === 'ingress' ? 'NET-01' : 'NET-02'),
        }),
      );
    } else if (found.length === 0) {
      out.push(
        nsFinding(ns, {
          ruleId,
          title: `No default-deny ${dir} NetworkPolicy: ${dir === 'ingress' ? 'any pod in the cluster can connect in' : 'pods can connect anywhere'}`,
          severity: sev,
          status: 'fail',
          ...(ignored.length > 0
            ? {
                description: `${listOrNone(ignored, 5)}: not enforced by ${cni}, so ${ignored.length === 1 ? 'it fences' : 'they fence'} nothing.`,
              }
            : {}),
          evidence: { networkPolicies: dd.policies.map((p) => p.name), ...ignoredNote },
          references: refs(dir === 'ingress' ? 'NET-01' : 'NET-02'),
          remediation: `Add a NetworkPolicy with podSelector: {} and policyTypes: [${dir === 'ingress' ? 'Ingress' : 'Egress'}] and no rules.`,
        }),
      );
    } else if (ne) {
      out.push(
        nsFinding(ns, {
          ruleId,
          title: `Default-deny ${dir} is declared (${found.map((p) => p.name).join(', ')}) but not enforced`,
          severity: sev,
          status: ne.status,
          reason: ne.status === 'unknown' ? ne.reason : undefined,
          description: ne.reason,
          evidence: { networkPolicies: found.map((p) => p.name), enforcement: ctx.enforcement.state },
          references: [...refs(dir === 'ingress' ? 'NET-01' : 'NET-02'), { id: 'NET-13' }],
        }),
      );
    } else {
      out.push(
        nsFinding(ns, {
          ruleId,
          title: `Default-deny ${dir}: ${found.map((p) => p.name).join(', ')}`,
          severity: 'INFO',
          status: 'pass',
          evidence: { networkPolicies: found.map((p) => p.name) },
          references: refs(dir === 'ingress' ? 'NET-01' : 'NET-02'),
        }),
      );
    }
  };
  direction('ingress', BOUNDARY_RULES.denyIngress, 'HIGH');
  direction('egress', BOUNDARY_RULES.denyEgress, 'MEDIUM');
  const dnsRefs = [{ id: 'NET-03' }, { id: 'BPG-NET', url: BPG_NET }];
  if (dd.egress.length === 0) {
    out.push(
      nsFinding(ns, {
        ruleId: BOUNDARY_RULES.dns,
        title: 'DNS egress allow not needed',
        severity: 'INFO',
        status: 'skipped',
        reason: 'no Kubernetes NetworkPolicy denies egress by default in this namespace',
        references: dnsRefs,
      }),
    );
  } else {
    out.push(
      nsFinding(ns, {
        ruleId: BOUNDARY_RULES.dns,
        title: dd.dns
          ? `DNS allowed under default-deny egress by ${dd.dns.name}`
          : 'Egress is denied but no policy for all pods allows DNS (UDP 53) to kube-system: name lookups fail',
        severity: dd.dns ? 'INFO' : 'LOW',
        status: dd.dns ? 'pass' : 'fail',
        references: dnsRefs,
        remediation: dd.dns
          ? undefined
          : 'Allow egress to namespaceSelector kubernetes.io/metadata.name: kube-system, podSelector k8s-app: kube-dns, UDP and TCP 53.',
      }),
    );
  }
  return out;
}

function checkReachability(ns: LoadedObject, ctx: Context): Finding {
  const base = { ruleId: BOUNDARY_RULES.reachIn, references: [{ id: 'NET-12' }, { id: 'BPG-NET', url: BPG_NET }] };
  if (!ctx.providers.reachability.available) {
    return nsFinding(ns, {
      ...base,
      title: 'Which namespaces can reach into this one is not known',
      severity: 'MEDIUM',
      status: 'unknown',
      reason: ctx.providers.reachability.reason,
    });
  }
  const edges = ctx.providers.reachability.value.edges;
  const inbound = edges.filter((e) => e.to === ns.name && e.from !== ns.name);
  const outbound = edges.filter((e) => e.from === ns.name && e.to !== ns.name);
  // A shared service (ingress, monitoring) is meant to be reached by tenants; a tenant is not.
  const shared = namespaceRole(ns) === 'shared';
  const fromTenants = shared ? [] : inbound.filter((e) => ctx.tenants.includes(e.from));
  const ranges = (e: NamespaceEdge) => (e.ranges?.length ? ` [${listOrNone(e.ranges, 4)}]` : '');
  const evidence = {
    inbound: inbound.map((e) => `${e.from}${ranges(e)}: ${e.connections}`),
    outbound: outbound.map((e) => `${e.to}${ranges(e)}: ${e.connections}`),
  };
  const ne = notEnforced(ctx);
  if (ne) {
    return nsFinding(ns, {
      ...base,
      title: 'Reachability computed from the policies, but nothing enforces them: every pod can reach this namespace',
      severity: 'HIGH',
      status: ne.status,
      reason: ne.status === 'unknown' ? ne.reason : undefined,
      description: ne.reason,
      evidence,
    });
  }
  if (fromTenants.length > 0) {
    return nsFinding(ns, {
      ...base,
      title: `Reachable from other tenant namespaces: ${listOrNone(fromTenants.map((e) => `${e.from} (${e.connections})`))}`,
      severity: 'MEDIUM',
      status: 'fail',
      evidence,
      remediation:
        'If this traffic is not intended, narrow the ingress rules to the namespaces and ports that need it.',
    });
  }
  return nsFinding(ns, {
    ...base,
    title: inbound.length
      ? `Reachable only from: ${listOrNone(inbound.map((e) => `${e.from} (${e.connections})`))}`
      : 'Not reachable from other namespaces',
    severity: 'INFO',
    status: 'pass',
    evidence,
  });
}

/** Subjects that are the cluster's own machinery or its administrators, not tenants. */
function isPlatformSubject(h: PermissionHolder): boolean {
  if (h.kind === 'Group' && (h.name === 'system:masters' || h.name === 'system:nodes')) return true;
  if (h.kind === 'User' && h.name.startsWith('system:') && !h.name.startsWith('system:serviceaccount:')) return true;
  if (h.kind === 'ServiceAccount' && h.namespace !== undefined && isSystemNamespace(h.namespace)) return true;
  return false;
}

function holderLabel(h: PermissionHolder): string {
  const who = h.kind === 'ServiceAccount' ? `ServiceAccount ${h.namespace ?? '?'}/${h.name}` : `${h.kind} ${h.name}`;
  return `${who} (via ${h.via})${h.assumed ? ' [assumed built-in role rules]' : ''}`;
}

const OUTSIDE_QUESTIONS: Array<{ what: string; q: Omit<PermissionQuery, 'namespace'> }> = [
  { what: 'read its secrets', q: { verb: 'get', resource: 'secrets' } },
  { what: 'exec into its pods', q: { verb: 'create', resource: 'pods', subresource: 'exec' } },
  {
    what: 'change its network policies',
    q: { verb: 'patch', resource: 'networkpolicies', group: 'networking.k8s.io' },
  },
];

const FENCE_QUESTIONS: Array<{ what: string; q: Omit<PermissionQuery, 'namespace'> }> = [
  { what: 'edit NetworkPolicies', q: { verb: 'patch', resource: 'networkpolicies', group: 'networking.k8s.io' } },
  { what: 'delete NetworkPolicies', q: { verb: 'delete', resource: 'networkpolicies', group: 'networking.k8s.io' } },
  { what: 'edit ResourceQuotas', q: { verb: 'patch', resource: 'resourcequotas' } },
  { what: 'edit LimitRanges', q: { verb: 'patch', resource: 'limitranges' } },
  { what: 'create RoleBindings', q: { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io' } },
];

function checkRbac(ns: LoadedObject, ctx: Context): Finding[] {
  const outsideBase = {
    ruleId: BOUNDARY_RULES.rbacOutside,
    references: [{ id: 'TEN-07' }, { id: 'BPG-MT', url: BPG_MT }],
  };
  const fenceBase = {
    ruleId: BOUNDARY_RULES.rbacFences,
    references: [{ id: 'TEN-06' }, { id: 'BPG-MT', url: BPG_MT }],
  };
  if (!ctx.providers.rbac.available) {
    const reason = ctx.providers.rbac.reason;
    return [
      nsFinding(ns, {
        ...outsideBase,
        title: 'Who outside the namespace can read its secrets, exec into its pods or change its policies is not known',
        severity: 'HIGH',
        status: 'unknown',
        reason,
      }),
      nsFinding(ns, {
        ...fenceBase,
        title: 'Whether tenants can dismantle their own fences is not known',
        severity: 'MEDIUM',
        status: 'unknown',
        reason,
      }),
    ];
  }
  const oracle = ctx.providers.rbac.value;
  const outside: Record<string, string[]> = {};
  const admins = new Set<string>();
  const incomplete = new Set<string>();
  let assumption: string | undefined;
  const ask = (q: Omit<PermissionQuery, 'namespace'>, namespace?: string, name?: string) => {
    const r = oracle.whoCan({ ...q, namespace, name });
    for (const u of r.incomplete) incomplete.add(u);
    assumption ??= r.assumption;
    return r.holders.filter((h) => {
      if (isPlatformSubject(h)) return false;
      if (h.admin) admins.add(holderLabel(h));
      return !h.admin;
    });
  };
  for (const { what, q } of OUTSIDE_QUESTIONS) {
    const holders = ask(q, ns.name).filter(
      (h) => !h.local || (h.kind === 'ServiceAccount' && h.namespace !== undefined && h.namespace !== ns.name),
    );
    if (holders.length) outside[what] = holders.map(holderLabel);
  }
  const labelers = ask({ verb: 'patch', resource: 'namespaces' }, undefined, ns.name);
  if (labelers.length) outside['patch its labels (Pod Security, selectors)'] = labelers.map(holderLabel);
  const out: Finding[] = [];
  const outsideKeys = Object.keys(outside);
  const outsideUndecided = outsideKeys.length === 0 && incomplete.size > 0;
  out.push(
    nsFinding(ns, {
      ...outsideBase,
      title: outsideKeys.length
        ? `Subjects from outside the namespace can ${outsideKeys.join(', ')}`
        : outsideUndecided
          ? 'No RBAC subject from outside reaches in, but some EKS access policies could not be evaluated'
          : 'No subject from outside the namespace (besides cluster administrators) can read its secrets, exec into its pods, change its policies or labels',
      severity: outsideKeys.length ? 'HIGH' : outsideUndecided ? 'MEDIUM' : 'INFO',
      status: outsideKeys.length ? 'fail' : outsideUndecided ? 'unknown' : 'pass',
      reason: outsideUndecided ? [...incomplete].join('; ') : undefined,
      evidence: {
        ...outside,
        ...(admins.size ? { 'cluster administrators (not counted)': [...admins] } : {}),
        ...(assumption ? { assumed: assumption } : {}),
      },
      remediation: outsideKeys.length
        ? 'Replace ClusterRoleBindings and cross-namespace RoleBindings with RoleBindings inside the namespace; keep cluster-wide grants for administrators.'
        : undefined,
    }),
  );
  const fences: Record<string, string[]> = {};
  const incompleteBeforeFences = incomplete.size;
  for (const { what, q } of FENCE_QUESTIONS) {
    const holders = ask(q, ns.name).filter((h) => h.local);
    if (holders.length) fences[what] = holders.map(holderLabel);
  }
  const fenceKeys = Object.keys(fences);
  // A binding to a role that is not in the snapshot (e.g. the built-in admin) may grant exactly this: not a pass.
  const fenceUndecided = fenceKeys.length === 0 && (incomplete.size > 0 || incompleteBeforeFences > 0);
  out.push(
    nsFinding(ns, {
      ...fenceBase,
      title: fenceKeys.length
        ? `Tenant subjects can dismantle their own fences: ${fenceKeys.join(', ')}`
        : fenceUndecided
          ? 'Whether tenants can edit their own fences is not fully known'
          : 'Tenant subjects cannot edit their NetworkPolicies, quotas, limits or bindings',
      severity: fenceKeys.length || fenceUndecided ? 'MEDIUM' : 'INFO',
      status: fenceKeys.length ? 'fail' : fenceUndecided ? 'unknown' : 'pass',
      reason: fenceUndecided ? [...incomplete].join('; ') : undefined,
      evidence:
        fenceKeys.length || assumption ? { ...fences, ...(assumption ? { assumed: assumption } : {}) } : undefined,
      remediation: fenceKeys.length
        ? 'Bind tenants to a role without write access to networkpolicies, resourcequotas, limitranges and rolebindings (not the built-in admin/edit).'
        : undefined,
    }),
  );
  return out;
}

function checkPods(ns: LoadedObject, ctx: Context): Finding[] {
  const pods = ctx.pods.filter((p) => p.pod.namespace === ns.name);
  const privileged = pods.filter((p) => p.privileged.length > 0);
  const host = pods.filter((p) => p.hostNetwork || p.hostPID || p.hostIPC);
  const mounting = pods.filter((p) => p.automountToken);
  const out: Finding[] = [];
  out.push(
    nsFinding(ns, {
      ruleId: BOUNDARY_RULES.privileged,
      title: privileged.length
        ? `Privileged containers (root on the node, the namespace is no boundary): ${listOrNone(privileged.map((p) => `${workloadLabel(p.pod)} [${p.privileged.join(', ')}]`))}`
        : 'No privileged containers',
      severity: privileged.length ? 'HIGH' : 'INFO',
      status: privileged.length ? 'fail' : 'pass',
      evidence: privileged.length
        ? { workloads: privileged.map((p) => `${workloadLabel(p.pod)}: ${p.privileged.join(', ')}`) }
        : undefined,
      references: [{ id: 'POD-01' }, { id: 'CIS-EKS-4.2.1' }],
    }),
  );
  out.push(
    nsFinding(ns, {
      ruleId: BOUNDARY_RULES.hostNamespaces,
      title: host.length
        ? `Pods in host namespaces (hostNetwork bypasses NetworkPolicy): ${listOrNone(host.map((p) => `${workloadLabel(p.pod)} [${[p.hostNetwork && 'hostNetwork', p.hostPID && 'hostPID', p.hostIPC && 'hostIPC'].filter(Boolean).join(', ')}]`))}`
        : 'No pods use hostNetwork, hostPID or hostIPC',
      severity: host.length ? 'HIGH' : 'INFO',
      status: host.length ? 'fail' : 'pass',
      evidence: host.length
        ? {
            workloads: host.map(
              (p) =>
                `${workloadLabel(p.pod)}: ${[p.hostNetwork && 'hostNetwork', p.hostPID && 'hostPID', p.hostIPC && 'hostIPC'].filter(Boolean).join(', ')}`,
            ),
          }
        : undefined,
      references: [{ id: 'POD-06' }, { id: 'CIS-EKS-4.2.2' }],
    }),
  );
  out.push(
    nsFinding(ns, {
      ruleId: BOUNDARY_RULES.automount,
      title: mounting.length
        ? `Service-account tokens mounted in ${mounting.length} of ${pods.length} workload(s): ${listOrNone(mounting.map((p) => `${workloadLabel(p.pod)} (sa ${p.serviceAccount})`))}`
        : pods.length
          ? 'No workload mounts a service-account token'
          : 'No workloads',
      severity: mounting.length ? 'LOW' : 'INFO',
      status: mounting.length ? 'fail' : 'pass',
      references: [{ id: 'WID' }, { id: 'BPG-MT', url: BPG_MT }],
      remediation: mounting.length
        ? 'Set automountServiceAccountToken: false on pods (or their ServiceAccount) that do not call the Kubernetes API.'
        : undefined,
    }),
  );
  return out;
}

/**
 * Node isolation (TEN-09) applies only where it is intended: when the namespace's pods are pinned to nodes
 * (nodeSelector/affinity) and tolerate a dedicated taint. Then every pod of the namespace must carry them and no
 * other tenant may tolerate that taint.
 */
function checkNodeIsolation(ns: LoadedObject, ctx: Context): Finding {
  const base = { ruleId: BOUNDARY_RULES.nodeIsolation, references: [{ id: 'TEN-09' }, { id: 'BPG-MT', url: BPG_MT }] };
  const pods = ctx.pods.filter((p) => p.pod.namespace === ns.name);
  const placements = pods.map((p) => ({ pod: p.pod, placement: placementOf(p.pod) }));
  const dedicated = placements.filter(
    (p) => p.placement.nodeLabels.length > 0 && p.placement.tolerations.some((t) => t !== '*'),
  );
  if (dedicated.length === 0) {
    return nsFinding(ns, {
      ...base,
      title: 'Node isolation not intended',
      severity: 'INFO',
      status: 'skipped',
      reason: 'no pod of this namespace is pinned to nodes with a nodeSelector and a matching toleration',
    });
  }
  const taints = [...new Set(dedicated.flatMap((p) => p.placement.tolerations.filter((t) => t !== '*')))];
  const problems: string[] = [];
  for (const p of placements) {
    if (p.placement.nodeLabels.length === 0)
      problems.push(`${workloadLabel(p.pod)} has no nodeSelector/affinity: it can land on shared nodes`);
  }
  for (const other of ctx.pods) {
    if (other.pod.namespace === ns.name || !ctx.tenants.includes(other.pod.namespace)) continue;
    const tolerated = placementOf(other.pod).tolerations.filter((t) =>
      taints.some((taint) => toleratesTaint(t, taint)),
    );
    if (tolerated.length > 0)
      problems.push(
        `${other.pod.namespace}/${workloadLabel(other.pod)} also tolerates ${tolerated.join(', ')}: another tenant can schedule onto these nodes`,
      );
  }
  const nodeSelectors = [...new Set(dedicated.flatMap((p) => p.placement.nodeLabels))];
  const nodes = ctx.snapshot.ofKind('Node');
  let nodesChecked: string;
  if (nodes.length === 0) {
    nodesChecked = 'no Node objects in the snapshot: the taints on the nodes themselves are not verified';
  } else {
    const pool = nodes.filter((n) =>
      nodeSelectors.every((kv) => {
        const i = kv.indexOf('=');
        return n.labels[kv.slice(0, i)] === kv.slice(i + 1);
      }),
    );
    const untainted = pool.filter((n) => !nodeTaints(n).some((t) => taints.some((tol) => toleratesTaint(tol, t))));
    if (pool.length === 0) problems.push(`no node carries ${nodeSelectors.join(', ')}: the pods cannot be scheduled`);
    for (const n of untainted)
      problems.push(`node ${n.name} (${nodeSelectors.join(', ')}) has no taint that keeps other pods off`);
    nodesChecked = `${pool.length} node(s) in the pool, ${pool.length - untainted.length} tainted`;
  }
  const evidence = { nodeSelectors, tolerations: taints, nodes: nodesChecked };
  return nsFinding(ns, {
    ...base,
    title: problems.length
      ? `Node isolation intended but leaky: ${problems[0]}`
      : `Pods pinned to dedicated nodes (${evidence.nodeSelectors.join(', ')})`,
    severity: problems.length ? 'MEDIUM' : 'INFO',
    status: problems.length ? 'fail' : 'pass',
    evidence: problems.length ? { ...evidence, problems } : evidence,
  });
}

/** A Node's NoSchedule/NoExecute taints as `key=value:effect`. */
function nodeTaints(node: LoadedObject): string[] {
  const spec = node.raw.spec;
  const list =
    spec && typeof spec === 'object' && Array.isArray((spec as { taints?: unknown }).taints)
      ? ((spec as { taints: unknown[] }).taints as Array<Record<string, unknown>>)
      : [];
  return list
    .filter((t) => t && (t.effect === 'NoSchedule' || t.effect === 'NoExecute'))
    .map((t) => `${String(t.key)}${t.value !== undefined ? `=${String(t.value)}` : ''}:${String(t.effect)}`);
}

function checkDefaultNamespace(ns: LoadedObject, ctx: Context): Finding | undefined {
  if (ns.name !== 'default') return undefined;
  const pods = ctx.pods.filter((p) => p.pod.namespace === 'default');
  return nsFinding(ns, {
    ruleId: BOUNDARY_RULES.defaultNamespace,
    title: pods.length
      ? `Workloads in the default namespace: ${listOrNone(pods.map((p) => workloadLabel(p.pod)))}`
      : 'No workloads in the default namespace',
    severity: pods.length ? 'MEDIUM' : 'INFO',
    status: pods.length ? 'fail' : 'pass',
    references: [{ id: 'TEN-02' }, { id: 'CIS-EKS-4.5.2' }],
  });
}

export function enforcementFinding(enforcement: EnforcementDetection): Finding {
  const first = enforcement.enforcers.find((e) => e.enforcing) ?? enforcement.enforcers[0];
  const resource: KubernetesRef = first
    ? {
        type: 'kubernetes',
        apiVersion: first.object.apiVersion,
        kind: first.object.kind,
        namespace: first.object.namespace,
        name: first.object.name,
        file: first.object.source.file,
        line: first.object.source.line,
      }
    : { type: 'kubernetes', kind: 'Namespace', name: 'kube-system' };
  const status = enforcement.state === 'enforced' ? 'pass' : enforcement.state === 'unknown' ? 'unknown' : 'fail';
  const enforcing = enforcement.enforcers.filter((e) => e.enforcing);
  const engines = [...new Set(enforcing.map((e) => e.name))];
  const multiple = engines.length > 1;
  return makeFinding({
    ruleId: BOUNDARY_RULES.enforcement,
    pillar: 'network',
    title: multiple
      ? `NetworkPolicy enforced by more than one engine (${engines.join(', ')}): the effective rules are the intersection`
      : enforcement.summary,
    severity: status === 'pass' && !multiple ? 'INFO' : status === 'pass' ? 'LOW' : 'HIGH',
    status: multiple ? 'fail' : status,
    reason: status === 'unknown' ? enforcement.summary : undefined,
    resource,
    evidence: {
      enforcers: enforcement.enforcers.map(
        (e) => `${e.name}: ${e.enforcing ? 'enforcing' : 'not enforcing'} — ${e.detail}`,
      ),
    },
    references: [{ id: 'NET-13' }, { id: 'BPG-NET', url: BPG_NET }],
    remediation:
      status === 'pass'
        ? undefined
        : 'Enable the VPC CNI network policy agent (addon configuration enableNetworkPolicy: "true", VPC CNI 1.14+), or run Calico or Cilium as the policy engine.',
  });
}

export interface CheckInputs {
  snapshot: Snapshot;
  enforcement: EnforcementDetection;
  providers: BoundaryProviders;
}

/** Runs every boundary check on every namespace of the snapshot. */
export function checkNamespaces(inputs: CheckInputs): NamespaceChecks[] {
  const { snapshot } = inputs;
  const namespaces = snapshot.ofKind('Namespace').sort((a, b) => a.name.localeCompare(b.name));
  const pods = expandWorkloadsCached(snapshot).map((p) => podFacts(snapshot, p));
  const tenants = namespaces.filter((n) => namespaceRole(n) === 'tenant').map((n) => n.name);
  const ctx: Context = { ...inputs, tenants, pods };
  return namespaces.map((ns) => {
    const workloads = pods.filter((p) => p.pod.namespace === ns.name).length;
    const system = isSystemNamespace(ns.name);
    if (system) return { namespace: ns.name, object: ns, system, findings: [], workloads };
    if (ns.name === 'default' && workloads === 0) {
      const f = checkDefaultNamespace(ns, ctx);
      return { namespace: ns.name, object: ns, system: true, findings: f ? [f] : [], workloads };
    }
    const findings: Finding[] = [
      checkPodSecurity(ns),
      checkAdmission(ns, ctx),
      ...checkQuota(ns, ctx),
      ...checkDefaultDeny(ns, ctx),
      checkReachability(ns, ctx),
      ...checkRbac(ns, ctx),
      ...checkPods(ns, ctx),
      checkNodeIsolation(ns, ctx),
    ];
    const d = checkDefaultNamespace(ns, ctx);
    if (d) findings.push(d);
    return { namespace: ns.name, object: ns, system, findings, workloads };
  });
}
