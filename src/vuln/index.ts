/**
 * Vulnerability engine: version schemes, the SQLite advisory DB (import, update, status), matching of package
 * inventories against it, VEX, and `image scan`.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type Finding,
  type ImageInventory,
  RampartError,
  resolveCacheDir,
  type ScanResult,
  UsageError,
} from '../core/index.js';
import { inventoryImage } from '../image/index.js';
import { asffTarget, toAsffFindings, type WriterContext } from '../report/index.js';
import { AdvisoryDb, advisoryDbPath, type DbStatus } from './db.js';
import { type ImportReport, importPath } from './import.js';
import { inventoryFromSbom } from './sbom.js';
import { scanInventory, type VulnScanOptions } from './scan.js';
import {
  activeImageFindings,
  type SecurityHubSendOptions,
  type SecurityHubSendReport,
  sendToSecurityHub,
} from './securityhub.js';
import { imageKey, type ScanChange, ScanStore } from './store.js';
import { loadVex } from './vex.js';

export type { AdvisoryRecord, AffectedPackage } from './advisory.js';
export { toCycloneDxWithVulnerabilities } from './cyclonedx.js';
export { AdvisoryDb, advisoryDbPath, type DbStatus, type SourceStatus } from './db.js';
export { type ImportOptions, type ImportReport, importPath } from './import.js';
export { distroEcosystems, type MatchOutcome, matchInventory, matchKeyOf, type VulnMatch } from './match.js';
export { normalizePackageName } from './names.js';
export { inventoryFromSbom } from './sbom.js';
export { findingsFromMatches, scanInventory, type VulnScanOptions } from './scan.js';
export {
  batchFindings,
  SECURITY_HUB_MAX_BATCH,
  SECURITY_HUB_MAX_FINDING_BYTES,
  type SecurityHubSendOptions,
  type SecurityHubSendReport,
  sendToSecurityHub,
} from './securityhub.js';
export { chooseSeverity, scoreVector } from './severity.js';
export { imageKey, type ScanChange, ScanStore, type StoredImage, scanStorePath } from './store.js';
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
  } catch (err) {
    // A DB that is there but of another schema (or not ours) says so; only a missing file means "run db update".
    if (err instanceof RampartError) throw err;
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

/** Where `image scan --securityhub` imports findings. */
export interface SecurityHubTarget extends SecurityHubSendOptions {
  /** The account findings are imported into; default: the caller's (STS GetCallerIdentity). */
  accountId?: string;
  partition?: string;
  productArn?: string;
  toolVersion: string;
}

export interface ImageScanRun extends ImageScanOptions {
  /** Read this CycloneDX or SPDX JSON SBOM instead of an image. */
  sbom?: boolean;
  /** Keep the SBOM and the findings in the cache dir for `image rescan` (default true). */
  store?: boolean;
  securityHub?: SecurityHubTarget;
  now?: Date;
}

export interface ImageScanOutput {
  result: ScanResult;
  inventory: ImageInventory;
  /** Against the previous scan of the same image digest, when stored. */
  change?: ScanChange;
  securityHub?: SecurityHubSendReport;
}

/**
 * `rampart image scan`: inventories an image (or reads an SBOM), matches it, stores its SBOM and findings for
 * re-matching, and optionally imports the findings into Security Hub (closing, as ARCHIVED, those the previous
 * scan of the same image had and this one has not).
 */
export async function runImageScan(target: string, options: ImageScanRun = {}): Promise<ImageScanOutput> {
  const vex = options.vexFiles?.flatMap((f) => loadVex(f));
  const cacheDir = resolveCacheDir(options.cacheDir);
  const db = openExistingAdvisoryDb(cacheDir);
  let inventory: ImageInventory;
  let result: ScanResult;
  try {
    inventory = options.sbom
      ? inventoryFromSbom(target)
      : await inventoryImage(target, {
          ...(options.platform ? { platform: options.platform } : {}),
          ...(options.onProgress
            ? { onProgress: (e) => options.onProgress?.(`layers ${e.done}/${e.total}${e.cached ? ' (cached)' : ''}`) }
            : {}),
        });
    result = scanInventory(inventory, db, { ...options, ...(vex ? { vex } : {}) });
  } finally {
    db.close();
  }
  const out: ImageScanOutput = { result, inventory };
  if (options.store === false && !options.securityHub) return out;
  const store = ScanStore.open(cacheDir);
  try {
    if (options.store !== false) out.change = store.record(inventory, result.findings, options.now);
    if (options.securityHub) {
      options.onProgress?.('Security Hub: importing findings');
      out.securityHub = await importToSecurityHub(
        store,
        [{ key: imageKey(inventory), result }],
        options.securityHub,
        options.now ?? new Date(),
      );
    }
  } finally {
    store.close();
  }
  return out;
}

function laterThan(previous: unknown, now: Date): string {
  const before = typeof previous === 'string' ? Date.parse(previous) : Number.NaN;
  // Security Hub silently ignores an update whose UpdatedAt is not strictly newer than the stored one.
  return new Date(Number.isNaN(before) || before < now.getTime() ? now.getTime() : before + 1).toISOString();
}

/** The findings of one scanned image, keyed as the scan store keys images (manifest digest, else reference). */
export interface ImageScanPart {
  key: string;
  result: ScanResult;
}

/** `image scan` writes `reference@digest` as its target when the digest is known: the image's key then. */
function keyOfTarget(target: string): string {
  return /@(sha256:[a-f0-9]{64})$/.exec(target)?.[1] ?? target;
}

/**
 * Splits a saved `image scan` result into its images: every target (so that an image whose newer scan found
 * nothing still closes what it had) and the image of every finding. Findings on other resources are left out.
 */
export function imageScanParts(result: ScanResult): ImageScanPart[] {
  const parts = new Map<string, Finding[]>();
  for (const target of result.targets) if (!parts.has(keyOfTarget(target))) parts.set(keyOfTarget(target), []);
  for (const f of result.findings) {
    if (f.resource.type !== 'image') continue;
    const key = f.resource.digest ?? f.resource.reference;
    const list = parts.get(key);
    if (list) list.push(f);
    else parts.set(key, [f]);
  }
  return [...parts].map(([key, findings]) => ({ key, result: { ...result, targets: [key], findings } }));
}

/**
 * Imports image scan results into Security Hub CSPM, image by image against what the scan store in the cache dir
 * says was last imported ACTIVE for that image and product: findings seen before keep their CreatedAt and
 * FirstObservedAt and get a strictly newer UpdatedAt; findings of the previous import that this scan no longer has
 * are re-imported with RecordState ARCHIVED. The store is updated in one SQLite transaction after the import, only
 * for findings Security Hub accepted (a failed archive is tried again next time).
 */
export async function importImageScansToSecurityHub(
  parts: ImageScanPart[],
  target: SecurityHubTarget & { cacheDir?: string; cluster?: string },
  now: Date = new Date(),
): Promise<SecurityHubSendReport> {
  const store = ScanStore.open(resolveCacheDir(target.cacheDir));
  try {
    return await importToSecurityHub(store, parts, target, now);
  } finally {
    store.close();
  }
}

async function importToSecurityHub(
  store: ScanStore,
  parts: ImageScanPart[],
  target: SecurityHubTarget & { cluster?: string },
  now: Date,
): Promise<SecurityHubSendReport> {
  const accountId = target.accountId ?? (await callerAccountId(target));
  const context: WriterContext = {
    toolVersion: target.toolVersion,
    now,
    color: false,
    showPassed: false,
    aws: {
      accountId,
      region: target.region,
      ...(target.partition ? { partition: target.partition } : {}),
      ...(target.productArn ? { productArn: target.productArn } : {}),
    },
    ...(target.cluster ? { cluster: target.cluster } : {}),
  };
  // The product ARN the findings go under (the account's default product unless given): part of the store's key.
  const { productArn } = asffTarget(context);
  // What Security Hub holds ACTIVE for these images, whoever imported it: with a new cache dir (an ephemeral CI
  // runner) the local record is empty, and vanished findings would otherwise stay ACTIVE for ever. The local record
  // still counts too: a finding imported seconds ago may not be visible to GetFindings yet.
  const warnings: string[] = [];
  let held: Map<string, Map<string, Record<string, unknown>>> | undefined;
  try {
    held = await activeImageFindings(
      productArn,
      parts.map((p) => p.key),
      target,
    );
  } catch (err) {
    warnings.push(
      `could not read the images' ACTIVE findings from Security Hub (${err instanceof Error ? err.message : String(err)}); findings are closed against this machine's record of past imports only`,
    );
  }
  const images = parts.map((part) => {
    const current = toAsffFindings(part.result, context);
    const previous = store.securityHubActive(part.key, productArn);
    // Security Hub's copy wins: it carries the newest UpdatedAt, which the next import must exceed.
    for (const [id, f] of held?.get(part.key) ?? []) previous.set(id, f);
    for (const f of current) {
      const before = previous.get(String(f.Id));
      if (!before) continue;
      f.CreatedAt = before.CreatedAt;
      f.FirstObservedAt = before.FirstObservedAt ?? before.CreatedAt;
      f.UpdatedAt = laterThan(before.UpdatedAt, now);
    }
    const currentIds = new Set(current.map((f) => String(f.Id)));
    const archived = [...previous.values()]
      .filter((f) => !currentIds.has(String(f.Id)))
      .map((f): Record<string, unknown> => ({ ...f, RecordState: 'ARCHIVED', UpdatedAt: laterThan(f.UpdatedAt, now) }));
    return { key: part.key, current, archived };
  });
  const report = await sendToSecurityHub(
    images.flatMap((i) => [...i.current, ...i.archived]),
    target,
  );
  report.warnings.push(...warnings);
  const failed = new Set(report.failed.map((f) => f.id));
  for (const i of images) {
    store.securityHubImported(
      i.key,
      productArn,
      i.current.filter((f) => !failed.has(String(f.Id))),
      i.archived.filter((f) => !failed.has(String(f.Id))).map((f) => String(f.Id)),
    );
  }
  return report;
}

/**
 * The calling account (STS GetCallerIdentity): the default product ARN names it, and Security Hub rejects findings
 * for any other. The STS endpoint is AWS's unless $AWS_ENDPOINT_URL_STS (or $AWS_ENDPOINT_URL) names another, as
 * the AWS SDK reads them.
 */
export async function callerAccountId(target: {
  region: string;
  credentials?: SecurityHubSendOptions['credentials'];
}): Promise<string> {
  const sts = new STSClient({
    region: target.region,
    ...(target.credentials ? { credentials: target.credentials } : {}),
  });
  try {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    if (!id.Account) throw new Error('no Account in the answer');
    return id.Account;
  } catch (err) {
    throw new RampartError(
      'auth',
      `Security Hub: cannot tell the AWS account (STS GetCallerIdentity: ${(err as Error).message}); pass --aws-account-id`,
    );
  } finally {
    sts.destroy();
  }
}

export interface RescanReport {
  /** New findings (fail) and resolved ones (pass, with the reason) across all stored images. */
  result: ScanResult;
  changes: ScanChange[];
}

/**
 * `rampart image rescan --all`: matches every stored SBOM against the current advisory DB, without reading any
 * image, and reports what is new and what was resolved since each image's last scan.
 */
export function rescanStoredImages(
  options: { cacheDir?: string; now?: Date; vexFiles?: string[] } & VulnScanOptions = {},
): RescanReport {
  // Read before anything is opened or stored: a bad VEX file fails the rescan without recording anything.
  const vex = options.vexFiles?.flatMap((f) => loadVex(f));
  const cacheDir = resolveCacheDir(options.cacheDir);
  const db = openExistingAdvisoryDb(cacheDir);
  const store = ScanStore.open(cacheDir);
  try {
    const changes: ScanChange[] = [];
    const findings: Finding[] = [];
    for (const image of store.images()) {
      const r = scanInventory(image.inventory, db, {
        ...options,
        ...(vex ? { vex: [...(options.vex ?? []), ...vex] } : {}),
      });
      const change = store.record(image.inventory, r.findings, options.now);
      changes.push(change);
      findings.push(...change.added);
      const current = new Map(r.findings.map((f) => [f.id, f]));
      for (const f of change.resolved) {
        // Suppressed by a VEX statement of this rescan: reported as such (skipped, with the statement's reason).
        const suppressed = current.get(f.id);
        if (suppressed?.status === 'skipped') {
          findings.push({ ...suppressed, evidence: { ...(suppressed.evidence ?? {}), change: 'resolved' } });
          continue;
        }
        findings.push({
          ...f,
          status: 'pass',
          reason: 'resolved: no longer matched against the current advisory DB',
          evidence: { ...(f.evidence ?? {}), change: 'resolved' },
        });
      }
    }
    return {
      result: { command: 'image rescan', targets: changes.map((c) => c.reference), findings, errors: [] },
      changes,
    };
  } finally {
    store.close();
    db.close();
  }
}
