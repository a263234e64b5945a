/**
 * Just enough of the OCI distribution API for the hub to record what was pushed (manifest, layers, platform)
 * before the scan: anonymous or bearer-token pulls of one manifest and its config.
 */
export interface ManifestInfo {
  mediaType: string;
  layers: Array<{ digest: string; size?: number; mediaType?: string }>;
  platform: string;
  /** For an index: the platform manifests it lists. */
  manifests?: Array<{ digest: string; platform: string }>;
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryAccess {
  /** Registries (host:port) spoken to over plain HTTP: loopback only, from `--insecure-registry`. */
  insecure: ReadonlySet<string>;
  timeoutMs?: number;
}

export function registryBaseUrl(registry: string, access: RegistryAccess): string {
  return `${access.insecure.has(registry) ? 'http' : 'https'}://${registry}`;
}

export async function fetchManifest(
  registry: string,
  repository: string,
  digest: string,
  access: RegistryAccess,
): Promise<ManifestInfo> {
  const base = registryBaseUrl(registry, access);
  const get = async (path: string, accept: string) => {
    const res = await fetch(`${base}/v2/${repository}/${path}`, {
      headers: { accept },
      signal: AbortSignal.timeout(access.timeoutMs ?? 30_000),
    });
    if (!res.ok) throw new Error(`${registry}/${repository}: GET ${path}: HTTP ${res.status}`);
    return res;
  };
  const res = await get(`manifests/${digest}`, ACCEPT);
  const body = (await res.json()) as {
    mediaType?: string;
    layers?: Array<{ digest: string; size?: number; mediaType?: string }>;
    config?: { digest: string };
    manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string; variant?: string } }>;
  };
  const mediaType = body.mediaType ?? res.headers.get('content-type') ?? '';
  if (body.manifests) {
    return {
      mediaType,
      layers: [],
      platform: 'multi',
      manifests: body.manifests.map((m) => ({ digest: m.digest, platform: platformText(m.platform) })),
    };
  }
  let platform = '';
  if (body.config?.digest) {
    const cfg = (await (await get(`blobs/${body.config.digest}`, '*/*')).json()) as {
      os?: string;
      architecture?: string;
      variant?: string;
    };
    platform = platformText(cfg);
  }
  return {
    mediaType,
    layers: (body.layers ?? []).map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    platform,
  };
}

function platformText(p: { os?: string; architecture?: string; variant?: string } | undefined): string {
  if (!p?.os) return '';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
