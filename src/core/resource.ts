/**
 * What a finding is about. One discriminated union so every writer (table, SARIF, ASFF, hub) can render any
 * engine's findings without knowing the engine.
 */
export interface KubernetesRef {
  type: 'kubernetes';
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  file?: string;
  line?: number;
}

export interface PackageRef {
  name: string;
  version?: string;
  /** Package URL (purl) when known. */
  purl?: string;
  /** Where in the image the package was found (database or manifest path). */
  path?: string;
}

export interface ImageRef {
  type: 'image';
  /** As the user named it: `registry/repo:tag`, `docker-archive:x.tar`, … */
  reference: string;
  digest?: string;
  /** Digest of the layer that introduced the package or file. */
  layer?: string;
  package?: PackageRef;
}

export interface AwsRef {
  type: 'aws';
  arn: string;
  /** ASFF resource type, e.g. `AwsEksCluster`, `AwsIamRole`. */
  resourceType?: string;
}

export interface FileRef {
  type: 'file';
  path: string;
  line?: number;
  column?: number;
  endLine?: number;
}

export type ResourceRef = KubernetesRef | ImageRef | AwsRef | FileRef;

/** A stable text key for a resource: what the finding id hashes, so it must not include volatile parts like lines. */
export function resourceKey(r: ResourceRef): string {
  switch (r.type) {
    case 'kubernetes':
      return ['k8s', r.kind, r.namespace ?? '', r.name].join('/');
    case 'image':
      return [
        'image',
        r.digest ?? r.reference,
        r.package?.purl ?? r.package?.name ?? '',
        r.package?.version ?? '',
      ].join('|');
    case 'aws':
      return `aws|${r.arn}`;
    case 'file':
      return `file|${r.path}`;
  }
}

/** Human label: `Deployment prod/web`, `nginx:1.25 (openssl 3.0.11)`, `Dockerfile:12`. */
export function resourceLabel(r: ResourceRef): string {
  switch (r.type) {
    case 'kubernetes':
      return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
    case 'image': {
      const pkg = r.package ? ` (${r.package.name}${r.package.version ? ` ${r.package.version}` : ''})` : '';
      return `${r.reference}${pkg}`;
    }
    case 'aws':
      return r.arn;
    case 'file':
      return r.line !== undefined ? `${r.path}:${r.line}` : r.path;
  }
}

/** Source location of a resource, if it has one. */
export function resourceLocation(r: ResourceRef): { file: string; line?: number } | undefined {
  if (r.type === 'file') return { file: r.path, line: r.line };
  if (r.type === 'kubernetes' && r.file) return { file: r.file, line: r.line };
  return undefined;
}
