import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Finding, ImageInventory } from '../core/index.js';

/** Scans are kept next to the advisory DB: the SBOM of every scanned image and what was last reported for it. */
export function scanStorePath(cacheDir: string): string {
  return join(cacheDir, 'vuln', 'scans.sqlite');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  image_key TEXT PRIMARY KEY, reference TEXT NOT NULL, digest TEXT, inventory TEXT NOT NULL,
  scanned_at TEXT NOT NULL, findings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS securityhub (
  image_key TEXT NOT NULL, product_arn TEXT NOT NULL, finding_id TEXT NOT NULL, asff TEXT NOT NULL,
  PRIMARY KEY (image_key, product_arn, finding_id));
`;

export interface StoredImage {
  key: string;
  reference: string;
  digest?: string;
  inventory: ImageInventory;
  scannedAt: string;
  /** Ids of the failing findings last reported for this image. */
  findingIds: string[];
}

/** What changed for one image since it was last scanned. */
export interface ScanChange {
  key: string;
  reference: string;
  /** Failing now, not failing (or absent) in the previous scan. */
  added: Finding[];
  /** Failing in the previous scan, not any more (fixed by a newer DB, withdrawn, suppressed by VEX). */
  resolved: Finding[];
  firstScan: boolean;
}

/** The key of an image: its manifest digest when known (the same image under two tags is one image). */
export function imageKey(inv: ImageInventory): string {
  return inv.digest ?? inv.reference;
}

export class ScanStore {
  private readonly db: Database.Database;

  private constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  static open(cacheDir: string): ScanStore {
    return new ScanStore(scanStorePath(cacheDir));
  }

  close(): void {
    this.db.close();
  }

  /** Stores the SBOM and the findings of a scan; returns the difference to the previous scan of that image. */
  record(inv: ImageInventory, findings: Finding[], now: Date = new Date()): ScanChange {
    const key = imageKey(inv);
    const previous = this.db.prepare('SELECT findings FROM images WHERE image_key = ?').pluck().get(key) as
      | string
      | undefined;
    const before = new Map<string, Finding>(
      previous ? (JSON.parse(previous) as Finding[]).map((f): [string, Finding] => [f.id, f]) : [],
    );
    const failing = findings.filter((f) => f.status === 'fail');
    const now_ = new Set(failing.map((f) => f.id));
    const change: ScanChange = {
      key,
      reference: inv.reference,
      added: failing.filter((f) => !before.has(f.id)),
      resolved: [...before.values()].filter((f) => !now_.has(f.id)),
      firstScan: previous === undefined,
    };
    this.db
      .prepare(
        `INSERT OR REPLACE INTO images (image_key, reference, digest, inventory, scanned_at, findings)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(key, inv.reference, inv.digest ?? null, JSON.stringify(inv), now.toISOString(), JSON.stringify(failing));
    return change;
  }

  images(): StoredImage[] {
    const rows = this.db.prepare('SELECT * FROM images ORDER BY image_key').all() as Array<Record<string, string>>;
    return rows.map((r) => ({
      key: r.image_key as string,
      reference: r.reference as string,
      ...(r.digest ? { digest: r.digest } : {}),
      inventory: JSON.parse(r.inventory as string) as ImageInventory,
      scannedAt: r.scanned_at as string,
      findingIds: (JSON.parse(r.findings as string) as Finding[]).map((f) => f.id),
    }));
  }

  /** The ASFF findings last imported ACTIVE into Security Hub for this image and product. */
  securityHubActive(key: string, productArn: string): Map<string, Record<string, unknown>> {
    const rows = this.db
      .prepare('SELECT finding_id, asff FROM securityhub WHERE image_key = ? AND product_arn = ?')
      .all(key, productArn) as Array<{ finding_id: string; asff: string }>;
    return new Map(rows.map((r) => [r.finding_id, JSON.parse(r.asff) as Record<string, unknown>]));
  }

  /** After an import: `active` findings are now in Security Hub, `closed` ids were archived there. */
  securityHubImported(key: string, productArn: string, active: Array<Record<string, unknown>>, closed: string[]): void {
    const put = this.db.prepare(
      'INSERT OR REPLACE INTO securityhub (image_key, product_arn, finding_id, asff) VALUES (?, ?, ?, ?)',
    );
    const drop = this.db.prepare('DELETE FROM securityhub WHERE image_key = ? AND product_arn = ? AND finding_id = ?');
    this.db.transaction(() => {
      for (const f of active) put.run(key, productArn, String(f.Id), JSON.stringify(f));
      for (const id of closed) drop.run(key, productArn, id);
    })();
  }
}
