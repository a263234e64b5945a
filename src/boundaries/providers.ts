import type { PodSpec } from '../inputs/index.js';
import type { PsaLevel } from './facts.js';

/**
 * What the boundary verdict needs from the other engines. The audit builds these from the engines' public APIs;
 * when an engine is missing, the provider is `{ available: false, reason }` and every check that needs it is
 * `unknown` with that reason — never a pass.
 */
export type Provided<T> = { available: true; value: T } | { available: false; reason: string };

export function unavailable<T>(reason: string): Provided<T> {
  return { available: false, reason };
}

/** Pod Security Standards evaluation of one pod template (config engine). */
export interface PssEvaluator {
  evaluate(
    spec: PodSpec,
    meta: { labels: Record<string, string>; annotations: Record<string, string> },
    level: PsaLevel,
    version: string,
  ): { allowed: boolean; violations: string[] };
}

/** One allowed connection between namespaces (or from/to an external range), from the network engine's matrix. */
export interface NamespaceEdge {
  /** Namespace name, or `external` for traffic from/to outside the cluster. */
  from: string;
  to: string;
  /** Human summary of what is allowed, e.g. `TCP 8080`, `All Connections`. */
  connections: string;
  /** For `external` ends: the address ranges the network engine told apart (e.g. `0.0.0.0-9.255.255.255`). */
  ranges?: string[];
}

export interface Reachability {
  edges: NamespaceEdge[];
}

/** Which pods the policies in force isolate (network engine, under the CNI detected as enforcing policy). */
export interface Isolation {
  /** Pods of `namespace` (host-network pods aside) that no policy isolates for `direction`: unmatched traffic passes. */
  unisolatedPods(namespace: string, direction: 'ingress' | 'egress'): string[];
}

/** A subject that holds a permission, and how (access engine). */
export interface PermissionHolder {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
  /** `ClusterRoleBinding x` / `RoleBinding ns/x` / `access policy …` — where the grant comes from. */
  via: string;
  /** True when the grant comes from a binding inside the namespace asked about. */
  local: boolean;
  /** Cluster administrators (cluster-admin everywhere, EKS cluster admin policy): expected to reach everything. */
  admin?: boolean;
  /** Set when the grant exists only under assumed built-in role rules (the role is not in the snapshot): why. */
  assumed?: string;
}

export interface PermissionQuery {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  /** Undefined for cluster-scoped resources. */
  namespace?: string;
  name?: string;
}

export interface RbacOracle {
  /**
   * `incomplete` lists what could not be evaluated (e.g. an access policy without a rule table); `assumption`
   * says which default rules the answer relies on (built-in roles missing from the snapshot).
   */
  whoCan(query: PermissionQuery): { holders: PermissionHolder[]; incomplete: string[]; assumption?: string };
}

export interface BoundaryProviders {
  pss: Provided<PssEvaluator>;
  reachability: Provided<Reachability>;
  rbac: Provided<RbacOracle>;
  /** Absent or unavailable: a namespace without a Kubernetes default-deny but with other policies stays unknown. */
  isolation?: Provided<Isolation>;
}
