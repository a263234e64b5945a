import type { PolicyRule } from './rbac.js';

/**
 * EKS cluster access policies as Kubernetes PolicyRules, from the EKS User Guide access-policy reference
 * (each documented table row is one rule). AWS can add policies: `aws eks list-access-policies` lists the current
 * ones. Policies documented only in prose (Auto Mode components) have no rules here and are reported as unknown.
 * Each rule is written `verbs | apiGroups | resources` (or `verbs | url: nonResourceURLs`), lists comma-separated.
 */
const POLICY_TABLE: Record<string, string[] | null> = {
  AmazonEKSAdminPolicy: [
    'create,delete,deletecollection,patch,update | apps | daemonsets,deployments,deployments/rollback,deployments/scale,replicasets,replicasets/scale,statefulsets,statefulsets/scale',
    'get,list,watch | apps | controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,statefulsets/scale,statefulsets/status',
    'create | authorization.k8s.io | localsubjectaccessreviews',
    'create,delete,deletecollection,patch,update | autoscaling | horizontalpodautoscalers',
    'get,list,watch | autoscaling | horizontalpodautoscalers,horizontalpodautoscalers/status',
    'create,delete,deletecollection,patch,update | batch | cronjobs,jobs',
    'get,list,watch | batch | cronjobs,cronjobs/status,jobs,jobs/status',
    'get,list,watch | discovery.k8s.io | endpointslices',
    'create,delete,deletecollection,patch,update | extensions | daemonsets,deployments,deployments/rollback,deployments/scale,ingresses,networkpolicies,replicasets,replicasets/scale,replicationcontrollers/scale',
    'get,list,watch | extensions | daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,replicationcontrollers/scale',
    'get,list,watch | networking.k8s.io | ingresses,ingresses/status,networkpolicies',
    'create,delete,deletecollection,patch,update | networking.k8s.io | ingresses,networkpolicies',
    'create,delete,deletecollection,patch,update | policy | poddisruptionbudgets',
    'get,list,watch | policy | poddisruptionbudgets,poddisruptionbudgets/status',
    'create,delete,deletecollection,get,list,patch,update,watch | rbac.authorization.k8s.io | rolebindings,roles',
    'get,list,watch | core | configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status',
    'get,list,watch | core | pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy',
    'create,delete,deletecollection,patch,update | core | configmaps,events,persistentvolumeclaims,replicationcontrollers,replicationcontrollers/scale,secrets,serviceaccounts,services,services/proxy',
    'create,delete,deletecollection,patch,update | core | pods,pods/attach,pods/exec,pods/portforward,pods/proxy',
    'impersonate | core | serviceaccounts',
    'get,list,watch | core | bindings,events,limitranges,namespaces/status,pods/log,pods/status,replicationcontrollers/status,resourcequotas,resourcequotas/status',
    'get,list,watch | core | namespaces',
  ],
  AmazonEKSClusterAdminPolicy: ['* | * | *', '* | url: *'],
  AmazonEKSAdminViewPolicy: ['get,list,watch | * | *'],
  AmazonEKSEditPolicy: [
    'create,delete,deletecollection,patch,update | apps | daemonsets,deployments,deployments/rollback,deployments/scale,replicasets,replicasets/scale,statefulsets,statefulsets/scale',
    'get,list,watch | apps | controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,statefulsets/scale,statefulsets/status',
    'get,list,watch | autoscaling | horizontalpodautoscalers,horizontalpodautoscalers/status',
    'create,delete,deletecollection,patch,update | autoscaling | horizontalpodautoscalers',
    'create,delete,deletecollection,patch,update | batch | cronjobs,jobs',
    'get,list,watch | batch | cronjobs,cronjobs/status,jobs,jobs/status',
    'get,list,watch | discovery.k8s.io | endpointslices',
    'create,delete,deletecollection,patch,update | extensions | daemonsets,deployments,deployments/rollback,deployments/scale,ingresses,networkpolicies,replicasets,replicasets/scale,replicationcontrollers/scale',
    'get,list,watch | extensions | daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,replicationcontrollers/scale',
    'create,delete,deletecollection,patch,update | networking.k8s.io | ingresses,networkpolicies',
    'get,list,watch | networking.k8s.io | ingresses,ingresses/status,networkpolicies',
    'create,delete,deletecollection,patch,update | policy | poddisruptionbudgets',
    'get,list,watch | policy | poddisruptionbudgets,poddisruptionbudgets/status',
    'get,list,watch | core | namespaces',
    'get,list,watch | core | pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy',
    'impersonate | core | serviceaccounts',
    'create,delete,deletecollection,patch,update | core | pods,pods/attach,pods/exec,pods/portforward,pods/proxy',
    'create,delete,deletecollection,patch,update | core | configmaps,events,persistentvolumeclaims,replicationcontrollers,replicationcontrollers/scale,secrets,serviceaccounts,services,services/proxy',
    'get,list,watch | core | configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status',
    'get,list,watch | core | bindings,events,limitranges,namespaces/status,pods/log,pods/status,replicationcontrollers/status,resourcequotas,resourcequotas/status',
  ],
  AmazonEKSViewPolicy: [
    'get,list,watch | apps | controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,statefulsets/scale,statefulsets/status',
    'get,list,watch | autoscaling | horizontalpodautoscalers,horizontalpodautoscalers/status',
    'get,list,watch | batch | cronjobs,cronjobs/status,jobs,jobs/status',
    'get,list,watch | discovery.k8s.io | endpointslices',
    'get,list,watch | extensions | daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,replicationcontrollers/scale',
    'get,list,watch | networking.k8s.io | ingresses,ingresses/status,networkpolicies',
    'get,list,watch | policy | poddisruptionbudgets,poddisruptionbudgets/status',
    'get,list,watch | core | configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status',
    'get,list,watch | core | bindings,events,limitranges,namespaces/status,pods/log,pods/status,replicationcontrollers/status,resourcequotas,resourcequotas/status',
    'get,list,watch | core | namespaces',
  ],
  AmazonEKSAutoNodePolicy: null,
  AmazonEKSBlockStoragePolicy: null,
  AmazonEKSLoadBalancingPolicy: null,
  AmazonEKSNetworkingPolicy: null,
  AmazonEKSComputePolicy: null,
  AmazonEKSBlockStorageClusterPolicy: null,
  AmazonEKSComputeClusterPolicy: null,
  AmazonEKSLoadBalancingClusterPolicy: null,
  AmazonEKSNetworkingClusterPolicy: null,
  AmazonEKSHybridPolicy: ['list | * | nodes'],
};

export const ACCESS_POLICY_ARN_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';

function parseRow(row: string): PolicyRule {
  const [verbs = '', second = '', third = ''] = row.split('|').map((s) => s.trim());
  const list = (s: string) => s.split(',').map((x) => x.trim());
  if (second.startsWith('url:')) return { verbs: list(verbs), nonResourceURLs: list(second.slice(4).trim()) };
  return { verbs: list(verbs), apiGroups: list(second).map((g) => (g === 'core' ? '' : g)), resources: list(third) };
}

/** Policy name (or full ARN) → rules; null when the policy is known but its rules are not documented as a table. */
export function accessPolicyRules(nameOrArn: string): PolicyRule[] | null | undefined {
  const name = nameOrArn.startsWith(ACCESS_POLICY_ARN_PREFIX)
    ? nameOrArn.slice(ACCESS_POLICY_ARN_PREFIX.length)
    : nameOrArn;
  if (!Object.hasOwn(POLICY_TABLE, name)) return undefined;
  const rows = POLICY_TABLE[name];
  return rows ? rows.map(parseRow) : null;
}

export function accessPolicyNames(): string[] {
  return Object.keys(POLICY_TABLE);
}

export function accessPolicyArn(name: string): string {
  return `${ACCESS_POLICY_ARN_PREFIX}${name}`;
}
