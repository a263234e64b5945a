import type { PolicyRule } from './rbac.js';

/**
 * EKS cluster access policies (`arn:aws:eks::aws:cluster-access-policy/<Name>`) as Kubernetes PolicyRules.
 *
 * Provenance: public AWS facts from the Amazon EKS User Guide page "Review access policy permissions"
 * (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html; source
 * awsdocs/amazon-eks-user-guide `latest/ug/manage-access/k8s-access/access-policy-reference.adoc`). The EKS API
 * cannot return the rules ("You can't view the permissions in the policies using the API", EKS API reference,
 * AccessPolicy), so they cannot be loaded at run time; `aws eks list-access-policies` only lists names.
 *
 * Structure (ours): the guide's View, Edit and Admin tables nest like Kubernetes's view/edit/admin roles — Edit is
 * View plus writes, secrets, exec-style subresources and ServiceAccount impersonation; Admin is Edit plus
 * Role/RoleBinding management and local access reviews — so each tier lists only what it adds. The conformance
 * test compares the assembled rules with the independent transcription in ../shared (as a set; order is
 * irrelevant to authorization). Policies AWS adds later are unknown to this table and evaluate as `unknown`.
 */

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

/** `withSub('deployments', 'scale')` → deployments, deployments/scale. */
const withSub = (resource: string, ...subresources: string[]) => [
  resource,
  ...subresources.map((s) => `${resource}/${s}`),
];

const rule = (verbs: string[], group: string, resources: string[]): PolicyRule => ({
  verbs,
  apiGroups: [group],
  resources,
});

// Resources the View tier reads, per API group ('' is the core group). Workload kinds are also served under the
// legacy `extensions` group, which the guide lists separately.
const APPS_READ = [
  'controllerrevisions',
  ...withSub('daemonsets', 'status'),
  ...withSub('deployments', 'scale', 'status'),
  ...withSub('replicasets', 'scale', 'status'),
  ...withSub('statefulsets', 'scale', 'status'),
];
const EXTENSIONS_READ = [
  ...withSub('daemonsets', 'status'),
  ...withSub('deployments', 'scale', 'status'),
  ...withSub('ingresses', 'status'),
  'networkpolicies',
  ...withSub('replicasets', 'scale', 'status'),
  'replicationcontrollers/scale',
];

const VIEW_TIER: PolicyRule[] = [
  rule(READ, 'apps', APPS_READ),
  rule(READ, 'autoscaling', withSub('horizontalpodautoscalers', 'status')),
  rule(READ, 'batch', [...withSub('cronjobs', 'status'), ...withSub('jobs', 'status')]),
  rule(READ, 'discovery.k8s.io', ['endpointslices']),
  rule(READ, 'extensions', EXTENSIONS_READ),
  rule(READ, 'networking.k8s.io', [...withSub('ingresses', 'status'), 'networkpolicies']),
  rule(READ, 'policy', withSub('poddisruptionbudgets', 'status')),
  rule(READ, '', [
    'configmaps',
    'endpoints',
    ...withSub('persistentvolumeclaims', 'status'),
    'pods',
    ...withSub('replicationcontrollers', 'scale'),
    'serviceaccounts',
    ...withSub('services', 'status'),
  ]),
  rule(READ, '', [
    'bindings',
    'events',
    'limitranges',
    'namespaces/status',
    'pods/log',
    'pods/status',
    'replicationcontrollers/status',
    ...withSub('resourcequotas', 'status'),
  ]),
  rule(READ, '', ['namespaces']),
];

const POD_ACCESS = ['attach', 'exec', 'portforward', 'proxy'].map((s) => `pods/${s}`);

const EDIT_ADDS: PolicyRule[] = [
  rule(WRITE, 'apps', [
    ...withSub('daemonsets'),
    ...withSub('deployments', 'rollback', 'scale'),
    ...withSub('replicasets', 'scale'),
    ...withSub('statefulsets', 'scale'),
  ]),
  rule(WRITE, 'autoscaling', ['horizontalpodautoscalers']),
  rule(WRITE, 'batch', ['cronjobs', 'jobs']),
  rule(WRITE, 'extensions', [
    'daemonsets',
    ...withSub('deployments', 'rollback', 'scale'),
    'ingresses',
    'networkpolicies',
    ...withSub('replicasets', 'scale'),
    'replicationcontrollers/scale',
  ]),
  rule(WRITE, 'networking.k8s.io', ['ingresses', 'networkpolicies']),
  rule(WRITE, 'policy', ['poddisruptionbudgets']),
  rule(READ, '', [...POD_ACCESS, 'secrets', 'services/proxy']),
  rule(WRITE, '', ['pods', ...POD_ACCESS]),
  rule(WRITE, '', [
    'configmaps',
    'events',
    'persistentvolumeclaims',
    ...withSub('replicationcontrollers', 'scale'),
    'secrets',
    'serviceaccounts',
    ...withSub('services', 'proxy'),
  ]),
  rule(['impersonate'], '', ['serviceaccounts']),
];

const ADMIN_ADDS: PolicyRule[] = [
  rule([...READ, ...WRITE], 'rbac.authorization.k8s.io', ['rolebindings', 'roles']),
  rule(['create'], 'authorization.k8s.io', ['localsubjectaccessreviews']),
];

/** Auto Mode component policies: the guide describes them in prose only, so their rules are not known here. */
const PROSE_ONLY = [
  'AmazonEKSAutoNodePolicy',
  'AmazonEKSBlockStoragePolicy',
  'AmazonEKSBlockStorageClusterPolicy',
  'AmazonEKSComputePolicy',
  'AmazonEKSComputeClusterPolicy',
  'AmazonEKSLoadBalancingPolicy',
  'AmazonEKSLoadBalancingClusterPolicy',
  'AmazonEKSNetworkingPolicy',
  'AmazonEKSNetworkingClusterPolicy',
];

const POLICIES: ReadonlyMap<string, PolicyRule[] | null> = new Map<string, PolicyRule[] | null>([
  // Everything, resources and non-resource URLs alike (the cluster-admin equivalent).
  [
    'AmazonEKSClusterAdminPolicy',
    [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ],
  ],
  ['AmazonEKSAdminPolicy', [...VIEW_TIER, ...EDIT_ADDS, ...ADMIN_ADDS]],
  ['AmazonEKSEditPolicy', [...VIEW_TIER, ...EDIT_ADDS]],
  ['AmazonEKSViewPolicy', VIEW_TIER],
  // Read-only on every resource, secrets included (no Kubernetes default role matches it).
  ['AmazonEKSAdminViewPolicy', [{ verbs: READ, apiGroups: ['*'], resources: ['*'] }]],
  // Hybrid nodes: list nodes only.
  ['AmazonEKSHybridPolicy', [{ verbs: ['list'], apiGroups: ['*'], resources: ['nodes'] }]],
  ...PROSE_ONLY.map((name): [string, null] => [name, null]),
]);

export const ACCESS_POLICY_ARN_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';

const copyRule = (r: PolicyRule): PolicyRule => structuredClone(r);

/** Policy name (or full ARN) → rules; null when the policy is known but its rules are not documented as a table. */
export function accessPolicyRules(nameOrArn: string): PolicyRule[] | null | undefined {
  const name = nameOrArn.startsWith(ACCESS_POLICY_ARN_PREFIX)
    ? nameOrArn.slice(ACCESS_POLICY_ARN_PREFIX.length)
    : nameOrArn;
  if (!POLICIES.has(name)) return undefined;
  const rules = POLICIES.get(name);
  return rules ? rules.map(copyRule) : null;
}

export function accessPolicyNames(): string[] {
  return [...POLICIES.keys()];
}

export function accessPolicyArn(name: string): string {
  return `${ACCESS_POLICY_ARN_PREFIX}${name}`;
}
