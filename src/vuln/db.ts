import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { CvssScore } from '../core/index.js';
import type { AdvisoryRecord, AffectedPackage } from './advisory.js';

/** The advisory DB lives in the cache dir as one SQLite file. */
export function advisoryDbPath(cacheDir: string): string {
  return join(cacheDir, 'vuln', 'advisories.sqlite');
}

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL, updated_at TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, state TEXT);
CREATE TABLE IF NOT EXISTS advisories (
  source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT NOT NULL, published TEXT, withdrawn TEXT,
  summary TEXT, details TEXT, cvss TEXT NOT NULL, vendor_severity TEXT, informational TEXT, refs TEXT NOT NULL,
  PRIMARY KEY (source, id));
CREATE TABLE IF NOT EXISTS aliases (source TEXT NOT NULL, advisory_id TEXT NOT NULL, alias TEXT NOT NULL,
  PRIMARY KEY (source, advisory_id, alias));
CREATE INDEX IF NOT EXISTS aliases_by_alias ON aliases (alias);
CREATE TABLE IF NOT EXISTS affected (
  source TEXT NOT NULL, advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,
  ranges TEXT NOT NULL, versions TEXT NOT NULL, cvss TEXT, vendor_severity TEXT, fix_state TEXT);
CREATE INDEX IF NOT EXISTS affected_by_package ON affected (ecosystem, package);
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (source, advisory_id);
CREATE TABLE IF NOT EXISTS problems (source TEXT NOT NULL, location TEXT NOT NULL, message TEXT NOT NULL);
`;

export interface SourceStatus {
  name: string;
  kind: string;
  location: string;
  updatedAt: string;
  records: number;
  skipped: number;
  state?: Record<string, unknown>;
}

export interface DbStatus {
  path: string;
  advisories: number;
  withdrawn: number;
  affectedEntries: number;
  ecosystems: Array<{ ecosystem: string; entries: number }>;
  sources: SourceStatus[];
  problems: number;
}

/** An advisory that names a package, as the matcher needs it. */
export interface AffectedRow {
  advisory: Omit<AdvisoryRecord, 'affected'>;
  affected: AffectedPackage;
}

export class AdvisoryDb {
  readonly db: Database.Database;
  private readonly advisoryCache = new Map<string, Omit<AdvisoryRecord, 'affected'>>();
  private affectedQuery: Database.Statement | undefined;
  private advisoryQuery: Database.Statement | undefined;
  private aliasQuery: Database.Statement | undefined;

  private constructor(
    readonly path: string,
    readonly readonly: boolean,
  ) {
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { readonly, fileMustExist: readonly });
    if (!readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
    }
  }

  static open(path: string, options: { readonly?: boolean } = {}): AdvisoryDb {
    return new AdvisoryDb(path, options.readonly === true);
  }

  close(): void {
    this.db.close();
  }

  /** The stored `modified` of a record, to import only what changed. */
  modifiedOf(source: string, id: string): string | undefined {
    const row = this.db.prepare('SELECT modified FROM advisories WHERE source = ? AND id = ?').get(source, id) as
      | { modified: string }
      | undefined;
    return row?.modified;
  }

  /** Inserts or replaces records in one transaction; returns how many were written (unchanged ones are skipped). */
  upsert(records: AdvisoryRecord[], options: { onlyIfNewer?: boolean } = {}): number {
    const insertAdvisory = this.db.prepare(
      `INSERT OR REPLACE INTO advisories (source, id, modified, published, withdrawn, summary, details, cvss,
        vendor_severity, informational, refs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const deleteAffected = this.db.prepare('DELETE FROM affected WHERE source = ? AND advisory_id = ?');
    const deleteAliases = this.db.prepare('DELETE FROM aliases WHERE source = ? AND advisory_id = ?');
    const insertAlias = this.db.prepare('INSERT OR IGNORE INTO aliases (source, advisory_id, alias) VALUES (?, ?, ?)');
    const insertAffected = this.db.prepare(
      `INSERT INTO affected (source, advisory_id, ecosystem, package, ranges, versions, cvss, vendor_severity, fix_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let written = 0;
    const run = this.db.transaction((batch: AdvisoryRecord[]) => {
      for (const r of batch) {
        if (options.onlyIfNewer) {
          const stored = this.modifiedOf(r.source, r.id);
          if (stored !== undefined && stored >= r.modified) continue;
        }
        insertAdvisory.run(
          r.source,
          r.id,
          r.modified,
          r.published ?? null,
          r.withdrawn ?? null,
          r.summary ?? null,
          r.details ?? null,
          JSON.stringify(r.cvss),
          r.vendorSeverity ?? null,
          r.informational ?? null,
          JSON.stringify(r.references),
        );
        deleteAffected.run(r.source, r.id);
        deleteAliases.run(r.source, r.id);
        for (const alias of r.aliases) insertAlias.run(r.source, r.id, alias);
        for (const a of r.affected) {
          insertAffected.run(
            r.source,
            r.id,
            a.ecosystem,
            a.name,
            JSON.stringify(a.ranges),
            JSON.stringify(a.versions),
            a.cvss?.length ? JSON.stringify(a.cvss) : null,
            a.vendorSeverity ?? null,
            a.fixState ?? null,
          );
        }
        written++;
      }
    });
    run(records);
    this.advisoryCache.clear();
    return written;
  }

  recordProblems(source: string, problems: Array<{ location: string; message: string }>): void {
    const insert = this.db.prepare('INSERT INTO problems (source, location, message) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const p of problems) insert.run(source, p.location, p.message);
    })();
  }

  setSource(s: SourceStatus): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO sources (name, kind, location, updated_at, records, skipped, state)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.name, s.kind, s.location, s.updatedAt, s.records, s.skipped, s.state ? JSON.stringify(s.state) : null);
  }

  getSource(name: string): SourceStatus | undefined {
    const row = this.db.prepare('SELECT * FROM sources WHERE name = ?').get(name) as
      | Record<string, unknown>
      | undefined;
    return row ? sourceFromRow(row) : undefined;
  }

  status(): DbStatus {
    const count = (sql: string): number => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      path: this.path,
      advisories: count('SELECT count(*) AS n FROM advisories'),
      withdrawn: count('SELECT count(*) AS n FROM advisories WHERE withdrawn IS NOT NULL'),
      affectedEntries: count('SELECT count(*) AS n FROM affected'),
      ecosystems: (
        this.db
          .prepare('SELECT ecosystem, count(*) AS entries FROM affected GROUP BY ecosystem ORDER BY ecosystem')
          .all() as Array<{ ecosystem: string; entries: number }>
      ).map((r) => ({ ecosystem: r.ecosystem, entries: r.entries })),
      sources: (this.db.prepare('SELECT * FROM sources ORDER BY name').all() as Array<Record<string, unknown>>).map(
        sourceFromRow,
      ),
      problems: count('SELECT count(*) AS n FROM problems'),
    };
  }

  /** Ecosystems (with release) that have any advisory: to tell "no data for this distro" from "clean". */
  ecosystems(): Set<string> {
    return new Set(
      (this.db.prepare('SELECT DISTINCT ecosystem FROM affected').all() as Array<{ ecosystem: string }>).map(
        (r) => r.ecosystem,
      ),
    );
  }

  /** Non-withdrawn advisories naming this package in this ecosystem. */
  affectedFor(ecosystem: string, name: string): AffectedRow[] {
    this.affectedQuery ??= this.db.prepare(
      `SELECT f.source, f.advisory_id, f.ecosystem, f.package, f.ranges, f.versions, f.cvss, f.vendor_severity,
                f.fix_state
         FROM affected f JOIN advisories a ON a.source = f.source AND a.id = f.advisory_id
         WHERE f.ecosystem = ? AND f.package = ? AND a.withdrawn IS NULL`,
    );
    const rows = this.affectedQuery.all(ecosystem, name) as Array<Record<string, string | null>>;
    return rows.map((r) => ({
      advisory: this.advisory(r.source as string, r.advisory_id as string),
      affected: {
        ecosystem: r.ecosystem as string,
        name: r.package as string,
        ranges: JSON.parse(r.ranges as string),
        versions: JSON.parse(r.versions as string),
        ...(r.cvss ? { cvss: JSON.parse(r.cvss) as CvssScore[] } : {}),
        ...(r.vendor_severity ? { vendorSeverity: r.vendor_severity } : {}),
        ...(r.fix_state ? { fixState: r.fix_state as AffectedPackage['fixState'] } : {}),
      },
    }));
  }

  private advisory(source: string, id: string): Omit<AdvisoryRecord, 'affected'> {
    const key = `${source}\0${id}`;
    const cached = this.advisoryCache.get(key);
    if (cached) return cached;
    this.advisoryQuery ??= this.db.prepare('SELECT * FROM advisories WHERE source = ? AND id = ?');
    this.aliasQuery ??= this.db.prepare('SELECT alias FROM aliases WHERE source = ? AND advisory_id = ?');
    const a = this.advisoryQuery.get(source, id) as Record<string, string | null>;
    const aliases = (this.aliasQuery.all(source, id) as Array<{ alias: string }>).map((r) => r.alias);
    const out: Omit<AdvisoryRecord, 'affected'> = {
      id,
      source,
      modified: a.modified as string,
      ...(a.published ? { published: a.published } : {}),
      ...(a.summary ? { summary: a.summary } : {}),
      ...(a.details ? { details: a.details } : {}),
      aliases,
      cvss: JSON.parse(a.cvss as string),
      ...(a.vendor_severity ? { vendorSeverity: a.vendor_severity } : {}),
      ...(a.informational ? { informational: a.informational } : {}),
      references: JSON.parse(a.refs as string),
    };
    this.advisoryCache.set(key, out);
    return out;
  }
}

function sourceFromRow(row: Record<string, unknown>): SourceStatus {
  return {
    name: String(row.name),
    kind: String(row.kind),
    location: String(row.location),
    updatedAt: String(row.updated_at),
    records: Number(row.records),
    skipped: Number(row.skipped),
    ...(typeof row.state === 'string' ? { state: JSON.parse(row.state) as Record<string, unknown> } : {}),
  };
}
