import {
  type Finding,
  type KubernetesRef,
  makeFinding,
  type ResourceRef,
  type ScanResult,
  type Severity,
} from '../core/index.js';
import { ACCESS_POLICY_ARN_PREFIX } from './access-policies.js';
import {
  type AccessEntry,
  type AwsAuthMapping,
  canonicalizeArn,
  defaultAccessEntryUsername,
  isSsoRolePath,
  stripRolePath,
} from './identity.js';
import { type AccessModel, iamPrincipalsFor } from './model.js';
import {
  type PolicyRule,
  type RbacBinding,
  type RbacRole,
  type RequestAttributes,
  ruleAllows,
  SYSTEM_ANONYMOUS,
  SYSTEM_AUTHENTICATED,
  SYSTEM_MASTERS,
  SYSTEM_UNAUTHENTICATED,
} from './rbac.js';

/**
 * Risky grants (catalogue in docs: shared notes §5.6). Each RBAC risk is a set of probe requests: a binding has
 * the risk when its role allows any probe inside the binding's scope. Findings sit on the binding (file:line).
 */
interface RiskProbe {
  ruleId: string;
  severity: Severity;
  title: string;
  remediation: string;
  /** Requests with namespace left for the binding's scope to fill; `clusterScoped` ones only count for CRBs. */
  requests: Array<Omit<RequestAttributes, 'namespace'> & { clusterScoped?: boolean; namespace?: string }>;
  /** Only RoleBindings in this namespace (or CRBs) can carry the risk. */
  onlyNamespace?: string;
}

const res = (verb: string, apiGroup: string, resource: string, subresource = '', name = '') => ({
  resourceRequest: true as const,
  verb,
  apiGroup,
  resource,
  subresource,
  name,
});
const cluster = <T extends object>(r: T) => ({ ...r, clusterScoped: true });
const RBAC = 'rbac.authorization.k8s.io';

const PROBES: RiskProbe[] = [
  {
    ruleId: 'ACCESS-RBAC-CLUSTER-ADMIN',
    severity: 'CRITICAL',
    title: 'Grants every verb on every resource (cluster-admin equivalent)',
    remediation: 'Bind a role listing the resources and verbs actually needed instead of "*" on "*".',
    requests: [res('*', '*', '*')],
  },
  {
    ruleId: 'ACCESS-RBAC-ESCALATE-BIND',
    severity: 'CRITICAL',
    title: 'Can escalate or bind roles (grant itself any permission)',
    remediation: 'Remove the escalate and bind verbs on roles/clusterroles.',
    requests: ['escalate', 'bind'].flatMap((v) => [res(v, RBAC, 'roles'), cluster(res(v, RBAC, 'clusterroles'))]),
  },
  {
    ruleId: 'ACCESS-RBAC-IMPERSONATE',
    severity: 'CRITICAL',
    title: 'Can impersonate users, groups or service accounts',
    remediation:
      'Remove the impersonate verb; on EKS the Edit and Admin access policies grant it for service accounts.',
    requests: [
      cluster(res('impersonate', '', 'users')),
      cluster(res('impersonate', '', 'groups')),
      res('impersonate', '', 'serviceaccounts'),
    ],
  },
  {
    ruleId: 'ACCESS-RBAC-AWS-AUTH-WRITE',
    severity: 'CRITICAL',
    title: 'Can modify the aws-auth ConfigMap (become cluster-admin through IAM)',
    remediation:
      'Do not grant update/patch on configmaps in kube-system; move to access entries (authentication mode API).',
    requests: ['update', 'patch'].map((v) => ({
      ...res(v, '', 'configmaps', '', 'aws-auth'),
      namespace: 'kube-system',
    })),
    onlyNamespace: 'kube-system',
  },
  {
    ruleId: 'ACCESS-RBAC-BINDINGS-WRITE',
    severity: 'HIGH',
    title: 'Can create or change RoleBindings / ClusterRoleBindings',
    remediation: 'Limit who can write RBAC bindings; the escalation check still applies but bind grants are common.',
    requests: ['create', 'update', 'patch'].flatMap((v) => [
      res(v, RBAC, 'rolebindings'),
      cluster(res(v, RBAC, 'clusterrolebindings')),
    ]),
  },
  {
    ruleId: 'ACCESS-RBAC-SECRETS-READ',
    severity: 'HIGH',
    title: 'Can read Secrets',
    remediation: 'Grant get on named secrets (resourceNames) only; avoid list/watch, which return every secret.',
    requests: ['get', 'list', 'watch'].map((v) => res(v, '', 'secrets')),
  },
  {
    ruleId: 'ACCESS-RBAC-SA-TOKEN',
    severity: 'CRITICAL',
    title: 'Can create service account tokens',
    remediation: 'Remove create on serviceaccounts/token.',
    requests: [res('create', '', 'serviceaccounts', 'token')],
  },
  {
    ruleId: 'ACCESS-RBAC-NODES-PROXY',
    severity: 'CRITICAL',
    title: 'Can reach the kubelet API through nodes/proxy',
    remediation: 'Remove nodes/proxy; it bypasses admission and audit of pod exec.',
    requests: ['get', 'create'].map((v) => cluster(res(v, '', 'nodes', 'proxy'))),
  },
  {
    ruleId: 'ACCESS-RBAC-CSR-APPROVE',
    severity: 'CRITICAL',
    title: 'Can approve certificate signing requests',
    remediation: 'Only the controller manager should approve CSRs.',
    requests: [cluster(res('update', 'certificates.k8s.io', 'certificatesigningrequests', 'approval'))],
  },
  {
    ruleId: 'ACCESS-RBAC-WEBHOOK-WRITE',
    severity: 'CRITICAL',
    title: 'Can write admission webhook configurations',
    remediation: 'Only cluster operators should create or change webhook configurations.',
    requests: ['create', 'update', 'patch'].flatMap((v) => [
      cluster(res(v, 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations')),
      cluster(res(v, 'admissionregistration.k8s.io', 'validatingwebhookconfigurations')),
    ]),
  },
  {
    ruleId: 'ACCESS-RBAC-POD-EXEC',
    severity: 'HIGH',
    title: 'Can exec into, attach to or port-forward pods',
    remediation: 'Remove pods/exec, pods/attach and pods/portforward outside break-glass roles.',
    requests: [
      res('create', '', 'pods', 'exec'),
      res('create', '', 'pods', 'attach'),
      res('create', '', 'pods', 'portforward'),
      res('get', '', 'pods', 'exec'),
    ],
  },
  {
    ruleId: 'ACCESS-RBAC-POD-CREATE',
    severity: 'HIGH',
    title: 'Can create pods or workload controllers (run as any service account of the namespace)',
    remediation: 'Keep workload creation with CI identities; pair it with Pod Security "restricted".',
    requests: [
      res('create', '', 'pods'),
      res('create', 'apps', 'deployments'),
      res('create', 'apps', 'daemonsets'),
      res('create', 'apps', 'statefulsets'),
      res('create', 'batch', 'jobs'),
      res('create', 'batch', 'cronjobs'),
    ],
  },
];

const CLUSTER_ADMIN_PROBE = PROBES.find((p) => p.ruleId === 'ACCESS-RBAC-CLUSTER-ADMIN') as RiskProbe;

function bindingRef(b: RbacBinding): KubernetesRef {
  return {
    type: 'kubernetes',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: b.namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    namespace: b.namespace,
    name: b.name,
    file: b.origin?.file,
    line: b.origin?.line,
  };
}

function subjectsText(b: RbacBinding): string[] {
  return b.subjects.map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`);
}

/** Bootstrap bindings and those to system:masters are how Kubernetes works; they are not findings. */
function isBootstrap(b: RbacBinding): boolean {
  return (
    b.name.startsWith('system:') || b.name.startsWith('eks:') || b.subjects.every((s) => s.name === SYSTEM_MASTERS)
  );
}

function probeMatches(probe: RiskProbe, rules: PolicyRule[], b: RbacBinding): PolicyRule | undefined {
  if (probe.onlyNamespace && b.namespace && b.namespace !== probe.onlyNamespace) return undefined;
  for (const p of probe.requests) {
    if (p.clusterScoped && b.namespace) continue;
    const { clusterScoped, namespace, ...rest } = p;
    const request = {
      ...rest,
      namespace: clusterScoped ? '' : (b.namespace ?? namespace ?? 'default'),
    } as RequestAttributes;
    const rule = rules.find((r) => ruleAllows(request, r));
    if (rule) return rule;
  }
  return undefined;
}

function rbacRisks(model: AccessModel): Finding[] {
  const findings: Finding[] = [];
  const bindings = [...model.rbac.policy.clusterRoleBindings, ...model.rbac.policy.roleBindings];
  for (const b of bindings) {
    const resource = bindingRef(b);
    const role: RbacRole | undefined = model.rbac.resolveRoleRef(b.roleRef, b.namespace ?? '');
    const anonymous = b.subjects
      .filter((s) => s.kind === 'Group' || s.kind === 'User')
      .map((s) => s.name)
      .filter((n) => n === SYSTEM_ANONYMOUS || n === SYSTEM_UNAUTHENTICATED || n === SYSTEM_AUTHENTICATED);
    if (!role) {
      findings.push(
        makeFinding({
          ruleId: 'ACCESS-RBAC-DANGLING-BINDING',
          pillar: 'access',
          severity: 'LOW',
          status: 'fail',
          title: `Binding refers to ${b.roleRef.kind} ${b.roleRef.name}, which does not exist`,
          description:
            'It grants nothing today, but whoever creates a role with that name grants it to these subjects.',
          resource,
          evidence: { roleRef: `${b.roleRef.kind}/${b.roleRef.name}`, subjects: subjectsText(b) },
          remediation: 'Delete the binding or create the intended role.',
        }),
      );
      continue;
    }
    if (isBootstrap(b)) continue;
    if (anonymous.length > 0 && role.rules.length > 0) {
      const broad = anonymous.some((n) => n !== SYSTEM_AUTHENTICATED);
      findings.push(
        makeFinding({
          ruleId: 'ACCESS-RBAC-ANONYMOUS-BINDING',
          pillar: 'access',
          severity: broad ? 'HIGH' : 'MEDIUM',
          status: 'fail',
          title: `Binds ${b.roleRef.kind} ${b.roleRef.name} to ${anonymous.join(', ')}`,
          description: broad
            ? 'Unauthenticated callers get these permissions.'
            : 'Every authenticated identity (any mapped IAM principal, any service account) gets these permissions.',
          resource,
          evidence: { subjects: anonymous, role: b.roleRef.name },
          remediation: 'Bind named users, groups or service accounts instead.',
        }),
      );
    }
    const wildcard = role.rules.find(usesWildcard);
    // `*` on `*` is already the cluster-admin finding; other wildcards silently grow with new verbs, resources and
    // CRDs the author never saw.
    if (wildcard && !probeMatches(CLUSTER_ADMIN_PROBE, role.rules, b))
      findings.push(
        makeFinding({
          ruleId: 'ACCESS-RBAC-WILDCARD',
          pillar: 'access',
          severity: 'MEDIUM',
          status: 'fail',
          title: 'Grants through a wildcard ("*") rule',
          description: `${resource.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.name} binds ${b.roleRef.kind} ${b.roleRef.name}, whose rule "${ruleSummary(wildcard)}" also covers verbs, resources and API groups added later (CRDs included).`,
          resource,
          evidence: {
            role: `${b.roleRef.kind}/${b.roleRef.name}`,
            rule: ruleSummary(wildcard),
            subjects: subjectsText(b),
          },
          remediation: 'List the verbs, resources and API groups explicitly.',
        }),
      );
    for (const probe of PROBES) {
      const rule = probeMatches(probe, role.rules, b);
      if (!rule) continue;
      const iam = b.subjects.flatMap((s) => iamLabels(model, s));
      findings.push(
        makeFinding({
          ruleId: probe.ruleId,
          pillar: 'access',
          severity: probe.severity,
          status: 'fail',
          title: probe.title,
          description: `${resource.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.name} grants ${b.roleRef.kind} ${b.roleRef.name} ${b.namespace ? `in namespace ${b.namespace}` : 'cluster-wide'} to ${subjectsText(b).join(', ')}.`,
          resource,
          evidence: {
            role: `${b.roleRef.kind}/${b.roleRef.name}`,
            roleFile: role.origin?.file ? `${role.origin.file}:${role.origin.line ?? ''}` : undefined,
            rule: ruleSummary(rule),
            subjects: subjectsText(b),
            ...(iam.length ? { iamPrincipals: iam } : {}),
          },
          remediation: probe.remediation,
        }),
      );
    }
  }
  return findings;
}

function usesWildcard(rule: PolicyRule): boolean {
  return [rule.verbs, rule.apiGroups ?? [], rule.resources ?? []].some((list) => list.includes('*'));
}

/** The live IAM principals behind a subject, as `arn (via)` labels. */
function iamLabels(model: AccessModel, s: { kind: string; name: string }): string[] {
  return iamPrincipalsFor(model, s)
    .filter((l) => !l.inactive)
    .map((l) => `${l.principalArn} (${l.via})`);
}

function ruleSummary(rule: PolicyRule): string {
  if (rule.nonResourceURLs?.length) return `${rule.verbs.join(',')} ${rule.nonResourceURLs.join(',')}`;
  return `${rule.verbs.join(',')} on ${(rule.resources ?? []).join(',')} in groups [${(rule.apiGroups ?? []).map((g) => g || '""').join(',')}]${rule.resourceNames?.length ? ` named ${rule.resourceNames.join(',')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// aws-auth and access entries

function awsAuthRef(model: AccessModel, e?: AwsAuthMapping): KubernetesRef {
  return {
    type: 'kubernetes',
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'kube-system',
    name: 'aws-auth',
    file: model.awsAuth?.file,
    line: e?.line ?? model.awsAuth?.line,
  };
}

function awsAuthRisks(model: AccessModel): Finding[] {
  const auth = model.awsAuth;
  if (!auth) return [];
  const findings: Finding[] = [];
  const add = (
    ruleId: string,
    severity: Severity,
    title: string,
    e: AwsAuthMapping | undefined,
    remediation: string,
    evidence: Record<string, unknown> = {},
  ) =>
    findings.push(
      makeFinding({
        ruleId,
        pillar: 'access',
        severity,
        status: 'fail',
        title,
        resource: awsAuthRef(model, e),
        discriminator: e ? `${e.arn}#${e.index}` : title,
        evidence: e ? { arn: e.arn, username: e.username, groups: e.groups, ...evidence } : evidence,
        remediation,
      }),
    );
  const ignored = model.mode === 'API';
  const seen = new Map<string, AwsAuthMapping>();
  for (const [list, e] of [
    ...auth.mapRoles.map((x) => ['mapRoles', x] as const),
    ...auth.mapUsers.map((x) => ['mapUsers', x] as const),
  ]) {
    const key = `${list}|${e.arn.toLowerCase()}`;
    const earlier = seen.get(key);
    if (earlier)
      add(
        'ACCESS-AWSAUTH-DUPLICATE',
        'MEDIUM',
        `${e.arn} is mapped twice; only the last entry applies`,
        earlier,
        'Keep one entry per ARN.',
        {
          shadowedBy: e.username,
        },
      );
    seen.set(key, e);
    if (list === 'mapRoles' && isSsoRolePath(e.arn)) {
      add(
        'ACCESS-AWSAUTH-SSO-PATH',
        'HIGH',
        'SSO role mapped with its aws-reserved path: aws-auth never matches it (Unauthorized)',
        e,
        `Use the path-less ARN ${stripRolePath(e.arn)} in aws-auth, or an access entry (which accepts the full ARN).`,
        { fixedArn: stripRolePath(e.arn) },
      );
    }
    if (e.groups.includes(SYSTEM_MASTERS))
      add(
        'ACCESS-AWSAUTH-SYSTEM-MASTERS',
        'CRITICAL',
        `aws-auth puts ${e.arn} in system:masters (unrevocable cluster-admin, bypasses RBAC)`,
        e,
        'Map to a group bound to a narrower ClusterRole, or use an access entry with AmazonEKSClusterAdminPolicy so it can be revoked.',
      );
    if (list === 'mapUsers')
      add(
        'ACCESS-AWSAUTH-IAM-USER',
        'MEDIUM',
        `IAM user ${e.arn} is mapped (long-lived access keys)`,
        e,
        'Map roles assumed through SSO instead of IAM users.',
      );
    if (list === 'mapRoles' && !/\{\{Session(Name|NameRaw)\}\}/.test(e.username) && !e.groups.includes('system:nodes'))
      add(
        'ACCESS-AWSAUTH-NO-SESSION-NAME',
        'LOW',
        `Username "${e.username}" for ${e.arn} has no {{SessionName}}: audit logs cannot tell who acted`,
        e,
        'Put {{SessionName}} in the username, e.g. "name:{{SessionName}}".',
      );
    const iam = model.aws?.iamPrincipals;
    if (iam && !iam.has(e.arn.toLowerCase()))
      add(
        'ACCESS-AWSAUTH-MISSING-PRINCIPAL',
        'MEDIUM',
        `${e.arn} does not exist in IAM`,
        e,
        'Remove the stale mapping, or it will grant access to whoever re-creates that name.',
      );
  }
  for (const account of auth.mapAccounts)
    add(
      'ACCESS-AWSAUTH-MAP-ACCOUNTS',
      'HIGH',
      `mapAccounts lets every IAM principal of account ${account} authenticate`,
      undefined,
      'Map individual roles instead of whole accounts.',
      { account },
    );
  if (ignored)
    for (const f of findings)
      f.description =
        'Authentication mode is API: aws-auth is ignored today, but the mapping returns if someone reads it.';
  return findings;
}

function entryRef(e: AccessEntry): ResourceRef {
  return { type: 'aws', arn: e.principalArn, resourceType: 'AwsEksAccessEntry' };
}

function accessEntryRisks(model: AccessModel): Finding[] {
  const findings: Finding[] = [];
  if (!model.aws || model.mode === 'CONFIG_MAP') return findings;
  for (const e of model.aws.accessEntries) {
    const username = e.username ?? defaultAccessEntryUsername(e.principalArn, e.type);
    for (const p of e.policies) {
      const name = p.policyArn.startsWith(ACCESS_POLICY_ARN_PREFIX)
        ? p.policyArn.slice(ACCESS_POLICY_ARN_PREFIX.length)
        : p.policyArn;
      const clusterWide = p.accessScope.type === 'cluster';
      const scope = clusterWide ? 'cluster-wide' : `in namespaces ${(p.accessScope.namespaces ?? []).join(', ')}`;
      let severity: Severity | undefined;
      let why = '';
      if (name === 'AmazonEKSClusterAdminPolicy') {
        severity = clusterWide ? 'CRITICAL' : 'HIGH';
        why = 'cluster-admin equivalent';
      } else if (name === 'AmazonEKSAdminPolicy' || name === 'AmazonEKSEditPolicy') {
        severity = 'HIGH';
        why = 'includes pods/exec, secrets and impersonate serviceaccounts';
      } else if (name === 'AmazonEKSAdminViewPolicy') {
        severity = clusterWide ? 'HIGH' : 'MEDIUM';
        why = 'reads every Secret';
      }
      if (severity)
        findings.push(
          makeFinding({
            ruleId: 'ACCESS-ENTRY-POWERFUL-POLICY',
            pillar: 'access',
            severity,
            status: 'fail',
            title: `${name} ${scope} (${why})`,
            resource: entryRef(e),
            discriminator: `${name}|${scope}`,
            evidence: { policy: name, scope, username, file: e.origin?.file },
            remediation: 'Associate the narrowest policy and namespace scope the principal needs.',
          }),
        );
      if (!clusterWide && (p.accessScope.namespaces ?? []).some((n) => n === '*' || n.length <= 2))
        findings.push(
          makeFinding({
            ruleId: 'ACCESS-ENTRY-BROAD-NAMESPACE-SCOPE',
            pillar: 'access',
            severity: 'MEDIUM',
            status: 'fail',
            title: `${name} scoped to over-broad namespace pattern(s) ${(p.accessScope.namespaces ?? []).join(', ')}`,
            resource: entryRef(e),
            discriminator: `${name}|broad`,
            evidence: { namespaces: p.accessScope.namespaces },
            remediation: 'List namespaces explicitly or use a specific prefix.',
          }),
        );
    }
    let isRole = false;
    try {
      isRole = canonicalizeArn(e.principalArn).type === 'ROLE';
    } catch {
      isRole = false;
    }
    if (e.type === 'STANDARD' && isRole && !username.includes('{{SessionName}}'))
      findings.push(
        makeFinding({
          ruleId: 'ACCESS-ENTRY-NO-SESSION-NAME',
          pillar: 'access',
          severity: 'LOW',
          status: 'fail',
          title: `Access entry username "${username}" has no {{SessionName}}: audit logs cannot tell who acted`,
          resource: entryRef(e),
          evidence: { username },
          remediation: 'Leave the default username or include ":{{SessionName}}".',
        }),
      );
    const iam = model.aws.iamPrincipals;
    if (iam && !iam.has(e.principalArn.toLowerCase()))
      findings.push(
        makeFinding({
          ruleId: 'ACCESS-ENTRY-MISSING-PRINCIPAL',
          pillar: 'access',
          severity: 'MEDIUM',
          status: 'fail',
          title: `Access entry for ${e.principalArn}, which does not exist in IAM`,
          resource: entryRef(e),
          remediation:
            'Delete the entry; a re-created role with the same name will not match it anyway (principal ID).',
        }),
      );
  }
  const c = model.aws.cluster;
  if (c?.bootstrapClusterCreatorAdminPermissions === true && c.arn)
    findings.push(
      makeFinding({
        ruleId: 'ACCESS-ENTRY-CREATOR-ADMIN',
        pillar: 'access',
        severity: 'LOW',
        status: 'fail',
        title: 'The cluster creator was given cluster-admin at creation (bootstrapClusterCreatorAdminPermissions)',
        resource: { type: 'aws', arn: c.arn, resourceType: 'AwsEksCluster' },
        remediation: 'Review the creator access entry and remove it when named admins exist.',
      }),
    );
  return findings;
}

/** `rampart access risks`: RBAC, aws-auth and access-entry findings with severity and file:line. */
export function accessRisks(model: AccessModel, targets: string[]): ScanResult {
  const findings = [...rbacRisks(model), ...awsAuthRisks(model), ...accessEntryRisks(model)];
  return { command: 'access risks', targets, findings, errors: model.problems };
}
