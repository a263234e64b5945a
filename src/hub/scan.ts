import { type ImageInventory, type ImageRef, makeFinding, type ScanResult } from '../core/index.js';
import type { Job, JobHandler } from './queue.js';
import { fetchManifest, type RegistryAccess } from './registry.js';
import type { HubStore } from './store.js';
import type { PushEvent } from './webhooks.js';

/**
 * The vulnerability engine's image scan as the hub calls it: pull `reference` (an exact digest), inventory it,
 * match advisories. Returns the findings and, when it has it, the inventory (kept as the image's SBOM).
 */
export type ImageScanFunction = (
  reference: string,
  options: { cacheDir: string; insecureRegistries: string[] },
) => Promise<ScanResult & { inventory?: ImageInventory }>;

export interface ScannerLookup {
  scan?: ImageScanFunction;
  /** Why there is no scan function, for the `unknown` finding that says the image was not matched. */
  reason?: string;
}

/**
 * Finds `scanImage` in the vulnerability engine's public index at run time. The hub does not import it statically
 * so it builds and runs (recording pushes, queueing, reporting `unknown`) while that engine is absent or changing.
 */
export async function lookupVulnScanner(): Promise<ScannerLookup> {
  const specifier = '../vuln/index.js';
  try {
    const mod = (await import(specifier)) as Record<string, unknown>;
    if (typeof mod.scanImage === 'function') return { scan: mod.scanImage as ImageScanFunction };
    return { reason: 'the vulnerability engine (src/vuln/index.ts) exports no scanImage function' };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { reason: `the vulnerability engine (src/vuln/index.ts) could not be loaded: ${message}` };
  }
}

export interface ImageScanDeps {
  store: HubStore;
  access: RegistryAccess;
  cacheDir: string;
  scanner: () => Promise<ScannerLookup>;
}

export const IMAGE_SCAN_JOB = 'scan-image';

/**
 * One scan-on-push job: record the manifest (layers, platform) from the registry, run the vulnerability scan of
 * that digest, and ingest its findings as a complete scan of the image (so fixed packages resolve). Throwing makes
 * the queue retry with back-off.
 */
export function imageScanHandler(deps: ImageScanDeps): JobHandler {
  return async (job: Job) => {
    const ev = job.payload as unknown as PushEvent;
    const named = ev.tag ? `${ev.registry}/${ev.repository}:${ev.tag}` : ev.reference;
    if (ev.source !== 'ecr') {
      // ECR needs AWS credentials to pull; the vulnerability engine's puller handles that, the hub does not.
      const manifest = await fetchManifest(ev.registry, ev.repository, ev.digest, deps.access);
      await deps.store.recordImage({
        digest: ev.digest,
        reference: named,
        mediaType: manifest.mediaType,
        platform: manifest.platform,
        layers: manifest.layers,
      });
    } else {
      await deps.store.recordImage({ digest: ev.digest, reference: named, mediaType: ev.mediaType ?? '' });
    }
    const image: ImageRef = { type: 'image', reference: named, digest: ev.digest };
    const { scan, reason } = await deps.scanner();
    let result: ScanResult & { inventory?: ImageInventory };
    if (scan) {
      result = await scan(ev.reference, { cacheDir: deps.cacheDir, insecureRegistries: [...deps.access.insecure] });
    } else {
      result = {
        command: 'scan-on-push',
        targets: [ev.reference],
        findings: [
          makeFinding({
            ruleId: 'HUB-IMAGE-NOT-MATCHED',
            pillar: 'vulnerability',
            title: 'Image recorded but not matched against advisories',
            severity: 'INFO',
            status: 'unknown',
            reason: reason ?? 'no vulnerability scanner available',
            resource: image,
          }),
        ],
        errors: [],
      };
    }
    const summary = await deps.store.ingest({
      result,
      kind: 'image',
      source: `scan-on-push:${ev.source}`,
      covered: [image],
    });
    await deps.store.recordImage({
      digest: ev.digest,
      reference: named,
      lastScanId: summary.scanId,
      ...(result.inventory ? { inventory: result.inventory } : {}),
    });
    return { scanId: summary.scanId };
  };
}
