/**
 * The package inventory of an image or filesystem: what the image engine produces and the vulnerability engine,
 * SBOM writers and the hub consume. Kept in core so those engines share it without importing each other.
 */

/** Package types, named as in purl (`deb`, `apk`, `rpm`, `npm`, `pypi`, `golang`, `maven`, `gem`, `cargo`, …). */
export type PackageType =
  | 'deb'
  | 'apk'
  | 'rpm'
  | 'npm'
  | 'pypi'
  | 'golang'
  | 'maven'
  | 'gem'
  | 'cargo'
  | 'composer'
  | 'nuget'
  | 'binary';

export interface Distro {
  /** os-release ID: `debian`, `ubuntu`, `alpine`, `rhel`, `almalinux`, `rocky`, `amzn`, `wolfi`, … */
  id: string;
  /** os-release VERSION_ID: `12`, `3.20.3`, `2023`. */
  versionId?: string;
  /** VERSION_CODENAME: `bookworm`. */
  codename?: string;
  prettyName?: string;
  idLike?: string[];
}

export interface InventoryPackage {
  type: PackageType;
  name: string;
  version: string;
  /** Package URL with the qualifiers that matter for matching (distro, arch, epoch). */
  purl?: string;
  /** OS packages: source package name (dpkg Source, apk origin, rpm sourcerpm name). */
  sourceName?: string;
  sourceVersion?: string;
  /** rpm: epoch; dpkg: the epoch is part of `version` as dpkg writes it. */
  epoch?: number;
  release?: string;
  arch?: string;
  licenses?: string[];
  /** Where it was found: the database or manifest file path inside the image. */
  locations: string[];
  /** Digest of the layer that last wrote that file. */
  layerDigest?: string;
  /** Java: `group:artifact`; Go: module path (equal to name); npm: scoped name as is. */
  [extra: string]: unknown;
}

export interface ImageLayerInfo {
  digest: string;
  /** Digest of the uncompressed tar (config rootfs.diff_ids). */
  diffId?: string;
  size?: number;
  mediaType?: string;
  createdBy?: string;
}

export interface ImageInventory {
  /** As the user named it. */
  reference: string;
  /** Manifest digest. */
  digest?: string;
  /** Config digest (image id). */
  imageId?: string;
  platform?: { os: string; architecture: string; variant?: string };
  distro?: Distro;
  layers: ImageLayerInfo[];
  packages: InventoryPackage[];
  /** Image config: user, env, entrypoint, labels, … */
  config?: {
    user?: string;
    env?: string[];
    entrypoint?: string[];
    cmd?: string[];
    labels?: Record<string, string>;
    workingDir?: string;
    exposedPorts?: string[];
    history?: Array<{ createdBy?: string; emptyLayer?: boolean }>;
  };
  /** Files a cataloger could not read: reported, never silently skipped. */
  problems: Array<{ path?: string; message: string }>;
}
