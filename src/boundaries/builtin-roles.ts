import type { AccessModel, PolicyRule, RbacRole } from '../access/index.js';
import { RbacIndex } from '../access/index.js';

/**
 * The user-facing ClusterRoles every Kubernetes API server creates at start-up (its RBAC bootstrap policy) and
 * reconciles while `rbac.authorization.kubernetes.io/autoupdate` is "true". A manifest snapshot seldom contains
 * them, yet tenants are bound to `admin`/`edit`/`view` and administrators to `cluster-admin`. Without their rules
 * every question about such a binding is unanswerable, so the audit assumes these defaults — only for names the
 * snapshot does not define, and every grant that depends on them is flagged as assumed.
 *
 * Written in our own compact form from the Kubernetes bootstrap policy (public API behaviour). Version-sensitive
 * facts: `endpoints` write left edit/admin in 1.22 (CVE-2021-25740); `serviceaccounts/token` create came to edit in
 * the 1.2x series. Rules that vary across the supported versions and do not touch the audit's questions (secrets,
 * exec, NetworkPolicies, quotas, limits, bindings, namespaces) are left out rather than guessed.
 */
export const BUILTIN_ROLES_VERSION = 'Kubernetes 1.28–1.34 bootstrap policy';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

type CompactRule = [verbs: string[], group: string, resources: string[]];

interface BuiltinRole {
  name: string;
  /** Label that makes the role part of an aggregated role (`aggregate-to-<x>`). */
  aggregatesInto?: 'admin' | 'edit' | 'view';
  /** Aggregating roles collect the rules of every ClusterRole labelled `aggregate-to-<name>`. */
  aggregates?: boolean;
  rules: CompactRule[];
  /** Non-resource URL rules: [verbs, urls]. */
  urls?: Array<[string[], string[]]>;
}

const AGGREGATE_LABEL = (to: string) => `rbac.authorization.k8s.io/aggregate-to-${to}`;

const BUILTIN: BuiltinRole[] = [
  { name: 'cluster-admin', rules: [[['*'], '*', ['*']]], urls: [[['*'], ['*']]] },
  { name: 'admin', aggregates: true, rules: [] },
  { name: 'edit', aggregates: true, aggregatesInto: 'admin', rules: [] },
  { name: 'view', aggregates: true, aggregatesInto: 'edit', rules: [] },
  {
    name: 'system:aggregate-to-admin',
    aggregatesInto: 'admin',
    rules: [
      [['create'], 'authorization.k8s.io', ['localsubjectaccessreviews']],
      [[...READ, ...WRITE], 'rbac.authorization.k8s.io', ['roles', 'rolebindings']],
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    aggregatesInto: 'edit',
    rules: [
      [READ, '', ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']],
      [['impersonate'], '', ['serviceaccounts']],
      [WRITE, '', ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']],
      [
        WRITE,
        '',
        [
          'configmaps',
          'events',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
      ],
      [['create'], '', ['serviceaccounts/token']],
      [
        WRITE,
        'apps',
        [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'replicasets',
          'replicasets/scale',
          'statefulsets',
          'statefulsets/scale',
        ],
      ],
      [WRITE, 'autoscaling', ['horizontalpodautoscalers']],
      [WRITE, 'batch', ['cronjobs', 'jobs']],
      [WRITE, 'policy', ['poddisruptionbudgets']],
      [WRITE, 'networking.k8s.io', ['ingresses', 'networkpolicies']],
    ],
  },
  {
    name: 'system:aggregate-to-view',
    aggregatesInto: 'view',
    rules: [
      [
        READ,
        '',
        [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
        ],
      ],
      [
        READ,
        '',
        [
          'bindings',
          'events',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'replicationcontrollers/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
      ],
      [READ, '', ['namespaces']],
      [READ, 'apps', ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets']],
      [READ, 'autoscaling', ['horizontalpodautoscalers']],
      [READ, 'batch', ['cronjobs', 'jobs']],
      [READ, 'policy', ['poddisruptionbudgets']],
      [READ, 'networking.k8s.io', ['ingresses', 'networkpolicies']],
    ],
  },
  {
    name: 'system:basic-user',
    rules: [[['create'], 'authorization.k8s.io', ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']]],
  },
  {
    name: 'system:discovery',
    rules: [],
    urls: [
      [
        ['get'],
        ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version'],
      ],
    ],
  },
  { name: 'system:public-info-viewer', rules: [], urls: [[['get'], ['/healthz', '/livez', '/readyz', '/version']]] },
];

/** Names of the built-in ClusterRoles the audit can assume. */
export const BUILTIN_ROLE_NAMES: readonly string[] = BUILTIN.map((r) => r.name);

function toRbacRole(r: BuiltinRole): RbacRole {
  const rules: PolicyRule[] = r.rules.map(([verbs, group, resources]) => ({
    verbs,
    apiGroups: [group],
    resources,
  }));
  for (const [verbs, urls] of r.urls ?? []) rules.push({ verbs, nonResourceURLs: urls });
  return {
    name: r.name,
    labels: r.aggregatesInto ? { [AGGREGATE_LABEL(r.aggregatesInto)]: 'true' } : {},
    rules,
    aggregationRule: r.aggregates
      ? { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_LABEL(r.name)]: 'true' } }] }
      : undefined,
    origin: { file: `(assumed: ${BUILTIN_ROLES_VERSION})` },
  };
}

export interface BuiltinAssumption {
  /** The access model with the missing built-in ClusterRoles added. */
  model: AccessModel;
  /** Built-in roles added because the snapshot lacks them. */
  added: string[];
  /** Of those, the ones some binding of the snapshot refers to: the only ones that change an answer. */
  bound: string[];
}

/**
 * Adds the built-in ClusterRoles the snapshot does not define to a copy of the access model. A role the snapshot
 * defines (even differently) is never replaced: the snapshot's own data wins.
 */
export function withBuiltinRoles(model: AccessModel): BuiltinAssumption {
  const missing = BUILTIN.filter((r) => !model.rbac.clusterRoles.has(r.name));
  const added = missing.map((r) => r.name);
  if (missing.length === 0) return { model, added, bound: [] };
  const policy = model.rbac.policy;
  const rbac = new RbacIndex({ ...policy, clusterRoles: [...policy.clusterRoles, ...missing.map(toRbacRole)] });
  const referenced = new Set(
    [...policy.clusterRoleBindings, ...policy.roleBindings]
      .filter((b) => b.roleRef.kind === 'ClusterRole')
      .map((b) => b.roleRef.name),
  );
  return { model: { ...model, rbac }, added, bound: added.filter((n) => referenced.has(n)) };
}
