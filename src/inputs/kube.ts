/** The shape every Kubernetes object shares; the rest of the object is kept as read. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface SourcePosition {
  file: string;
  /** 1-based line where the object starts in the file. */
  line?: number;
  /** 0-based index of the YAML document in the file. */
  documentIndex: number;
}

/** One object of a snapshot, with the identity fields lifted out and its source position. */
export interface LoadedObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** Set for namespaced kinds (defaulted to `default` when the object had none); undefined for cluster-scoped. */
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  raw: KubeObject;
  source: SourcePosition;
  /** True for objects the loader made up (namespaces referenced but not defined). */
  synthesized?: boolean;
}

/**
 * Kinds that are not namespaced. A snapshot's own CustomResourceDefinitions add to this (their `spec.scope`);
 * any other unknown kind is taken as namespaced, as most custom resources are.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'CSIDriver',
  'CSINode',
  'CertificateSigningRequest',
  'CiliumClusterwideNetworkPolicy',
  'CiliumNode',
  'CiliumIdentity',
  'ClusterIssuer',
  'ClusterNetworkPolicy',
  'ClusterRole',
  'ClusterRoleBinding',
  'ClusterUserDefinedNetwork',
  'ComponentStatus',
  'CustomResourceDefinition',
  'FlowSchema',
  'GlobalNetworkPolicy',
  'GlobalNetworkSet',
  'HostEndpoint',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'Tier',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Labels as a string map, dropping values that are not strings (the API server would reject them). */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}
