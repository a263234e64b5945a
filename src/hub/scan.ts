import { statSync } from 'node:fs';
import {
  type ImageInventory,
  type ImageRef,
  makeFinding,
  RampartError,
  resolveCacheDir,
  type ScanResult,
} from '../core/index.js';
import { inventoryImage } from '../image/index.js';
import { advisoryDbPath, openExistingAdvisoryDb, scanInventory } from '../vuln/index.js';
import type { Job, JobHandler } from './queue.js';
import { fetchManifest, type RegistryAccess } from './registry.js';
import type { HubStore } from './store.js';
import type { PushEvent } from './webhooks.js';

export interface HubScanOutput {
  result: ScanResult;
  /** Kept as the image's SBOM so a newer advisory database can be matched again without a pull. */
  inventory?: ImageInventory;
}

/** Pull `reference` (an exact digest), inventory it, match it. Tests swap this for a stand-in. */
export type ImageScanFunction = (
  reference: string,
  options: { cacheDir: string; insecureRegistries: string[] },
) => Promise<HubScanOutput>;

/**
 * The real scan: the images engine inventories the pushed digest (pulling over plain HTTP only from
 * `--insecure-registry` loopback registries), the vulnerability engine matches it against the advisory DB in the
 * cache dir. Without an advisory DB the inventory is still kept and one `unknown` finding says why nothing was
 * matched — never an empty, clean-looking result.
 */
export const scanPushedImage: ImageScanFunction = async (reference, options) => {
  const inventory = await inventoryImage(reference, { insecureRegistries: options.insecureRegistries });
  return { result: matchInventory(inventory, options.cacheDir), inventory };
};

/** Matches a stored or fresh inventory against the current advisory DB. */
export function matchInventory(inventory: ImageInventory, cacheDir: string): ScanResult {
  let db: ReturnType<typeof openExistingAdvisoryDb>;
  try {
    db = openExistingAdvisoryDb(cacheDir);
  } catch (err) {
    if (!(err instanceof RampartError)) throw err;
    const image: ImageRef = {
      type: 'image',
      reference: inventory.reference,
      ...(inventory.digest ? { digest: inventory.digest } : {}),
    };
    return {
      command: 'scan-on-push',
      targets: [inventory.reference],
      findings: [
        makeFinding({
          ruleId: 'HUB-IMAGE-NOT-MATCHED',
          pillar: 'vulnerability',
          title: 'Image inventoried but not matched against advisories',
          severity: 'INFO',
          status: 'unknown',
          reason: err.message,
          resource: image,
        }),
      ],
      errors: [],
    };
  }
  try {
    return scanInventory(inventory, db);
  } finally {
    db.close();
  }
}

/** Modification time of the advisory DB (0 when absent): the hub re-matches stored SBOMs when it changes. */
export function advisoryDbVersion(cacheDir: string): number {
  const path = advisoryDbPath(resolveCacheDir(cacheDir));
  let newest = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      newest = Math.max(newest, statSync(p).mtimeMs);
    } catch {
      // absent
    }
  }
  return newest;
}

export interface ImageScanDeps {
  store: HubStore;
  access: RegistryAccess;
  cacheDir: string;
  scan: ImageScanFunction;
}

export const IMAGE_SCAN_JOB = 'scan-image';

/**
 * One scan-on-push job: record the manifest (layers, platform) from the registry, scan that digest, and ingest the
 * findings as a complete scan of the image (so fixed packages resolve). Throwing makes the queue retry with
 * back-off (registry down, network).
 */
export function imageScanHandler(deps: ImageScanDeps): JobHandler {
  return async (job: Job) => {
    const ev = job.payload as unknown as PushEvent;
    const named = ev.tag ? `${ev.registry}/${ev.repository}:${ev.tag}` : ev.reference;
    if (ev.source !== 'ecr') {
      // ECR needs AWS credentials to pull; the images engine's puller has them, this manifest probe does not.
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
    const out = await deps.scan(ev.reference, {
      cacheDir: deps.cacheDir,
      insecureRegistries: [...deps.access.insecure],
    });
    const summary = await deps.store.ingest({
      result: out.result,
      kind: 'image',
      source: `scan-on-push:${ev.source}`,
      covered: [{ type: 'image', reference: named, digest: ev.digest }],
    });
    await deps.store.recordImage({
      digest: ev.digest,
      reference: named,
      lastScanId: summary.scanId,
      ...(out.inventory ? { inventory: out.inventory } : {}),
    });
    return { scanId: summary.scanId };
  };
}

/**
 * Continuous matching: every stored SBOM is matched against the current advisory DB and ingested as a complete
 * scan of its image, so new advisories open findings and fixed ones resolve — without pulling any image again.
 */
export async function rematchStoredImages(
  store: HubStore,
  cacheDir: string,
): Promise<{ images: number; new: number; resolved: number }> {
  const totals = { images: 0, new: 0, resolved: 0 };
  for (const { digest, reference, inventory } of await store.storedInventories()) {
    const result = matchInventory(inventory as ImageInventory, cacheDir);
    const s = await store.ingest({
      result: { ...result, command: 'rematch' },
      kind: 'image',
      source: 'rematch',
      covered: [{ type: 'image', reference, digest }],
    });
    await store.recordImage({ digest, reference, lastScanId: s.scanId });
    totals.images++;
    totals.new += s.new + s.reopened;
    totals.resolved += s.resolved;
  }
  return totals;
}
