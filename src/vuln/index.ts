/**
 * Vulnerability engine: version schemes, the SQLite advisory DB (import, update, status), matching of package
 * inventories against it, VEX, and `image scan`.
 */
import { type ImageInventory, resolveCacheDir, type ScanResult, UsageError } from '../core/index.js';
import { inventoryImage } from '../image/index.js';
import { AdvisoryDb, advisoryDbPath, type DbStatus } from './db.js';
import { type ImportReport, importPath } from './import.js';
import { scanInventory, type VulnScanOptions } from './scan.js';
import { loadVex } from './vex.js';

export type { AdvisoryRecord, AffectedPackage } from './advisory.js';
export { AdvisoryDb, advisoryDbPath, type DbStatus, type SourceStatus } from './db.js';
export { type ImportOptions, type ImportReport, importPath } from './import.js';
export { distroEcosystems, type MatchOutcome, matchInventory, matchKeyOf, type VulnMatch } from './match.js';
export { normalizePackageName } from './names.js';
export { findingsFromMatches, scanInventory, type VulnScanOptions } from './scan.js';
export { chooseSeverity, scoreVector } from './severity.js';
export { type UpdateOptions, type UpdateReport, updateDb } from './update.js';
export * from './versions/index.js';
export { loadVex, purlMatches, type VexStatement, vexDecision } from './vex.js';

/** Opens the DB in the cache dir for writing (creating it). */
export function openAdvisoryDb(cacheDir?: string): AdvisoryDb {
  return AdvisoryDb.open(advisoryDbPath(resolveCacheDir(cacheDir)));
}

/** Opens the DB for reading; a clear error when there is none yet. */
export function openExistingAdvisoryDb(cacheDir?: string): AdvisoryDb {
  const path = advisoryDbPath(resolveCacheDir(cacheDir));
  try {
    return AdvisoryDb.open(path, { readonly: true });
  } catch {
    throw new UsageError(`no advisory DB at ${path}: run \`rampart db update\` or \`rampart db import <path>\` first`);
  }
}

export function importAdvisories(paths: string[], cacheDir?: string): ImportReport[] {
  const db = openAdvisoryDb(cacheDir);
  try {
    return paths.map((p) => importPath(db, p));
  } finally {
    db.close();
  }
}

export function advisoryDbStatus(cacheDir?: string): DbStatus {
  const db = openExistingAdvisoryDb(cacheDir);
  try {
    return db.status();
  } finally {
    db.close();
  }
}

export interface ImageScanOptions extends VulnScanOptions {
  cacheDir?: string;
  platform?: string;
  /** Paths of OpenVEX or CycloneDX VEX documents. */
  vexFiles?: string[];
  onProgress?: (message: string) => void;
}

/** Inventories an image (any source the images engine reads) and matches it against the advisory DB. */
export async function scanImage(source: string, options: ImageScanOptions = {}): Promise<ScanResult> {
  const vex = options.vexFiles?.flatMap((f) => loadVex(f));
  const db = openExistingAdvisoryDb(options.cacheDir);
  try {
    const inventory: ImageInventory = await inventoryImage(source, {
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.onProgress
        ? { onProgress: (e) => options.onProgress?.(`layers ${e.done}/${e.total}${e.cached ? ' (cached)' : ''}`) }
        : {}),
    });
    return scanInventory(inventory, db, { ...options, ...(vex ? { vex } : {}) });
  } finally {
    db.close();
  }
}
