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
  private affectedByNamesQuery: Database.Statement | undefined;
  private advisoriesQuery: Database.Statement | undefined;
  private withdrawn: Set<string> | undefined;
  private packageNamesQuery: Database.Statement | undefined;
  private readonly packageNames = new Map<string, Set<string>>();

  private constructor(
    readonly path: string,
    readonly readonly: boolean,
  ) {
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { readonly, fileMustExist: readonly });
    // Matching reads scattered pages of a file of tens of MB: mapped pages cost no read() call each.
    this.db.pragma('mmap_size = 268435456');
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
    this.packageNames.clear();
    this.withdrawn = undefined;
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

  /**
   * Runs `fn` inside one read transaction: SQLite otherwise takes and drops its file locks around every statement,
   * which costs more than the indexed lookups themselves when thousands of packages are matched.
   */
  reading<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.db.exec('BEGIN');
    try {
      return fn();
    } finally {
      this.db.exec('COMMIT');
    }
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
    const entries = this.affectedForNames(ecosystem, [name]).get(name) ?? [];
    const advisories = this.advisoriesByKey(entries.map((e) => [e.source, e.advisoryId]));
    return entries.map((e) => ({
      advisory: advisories.get(advisoryKey(e.source, e.advisoryId)) as Omit<AdvisoryRecord, 'affected'>,
      affected: e.affected,
    }));
  }

  /**
   * The affected entries of non-withdrawn advisories for many names of one ecosystem, a few queries for all of
   * them (names passed as one JSON array): per-statement overhead, not the index lookup, dominates point queries.
   */
  affectedForNames(ecosystem: string, names: string[]): Map<string, AffectedEntry[]> {
    this.affectedByNamesQuery ??= this.db.prepare(
      `SELECT source, advisory_id, package, ranges, versions, cvss, vendor_severity, fix_state FROM affected
        WHERE ecosystem = ? AND package IN (SELECT value FROM json_each(?))`,
    );
    const withdrawn = this.withdrawnAdvisories();
    const out = new Map<string, AffectedEntry[]>();
    // Range, version-list and score texts repeat across entries (`[]`, the same `introduced 0 / fixed X` events):
    // each distinct text is decoded once per call and the decoded value shared (the matcher never mutates it).
    const decoded = new Map<string, unknown>();
    const decode = <T>(text: string): T => {
      let value = decoded.get(text);
      if (value === undefined) {
        value = JSON.parse(text);
        decoded.set(text, value);
      }
      return value as T;
    };
    for (let at = 0; at < names.length; at += NAMES_PER_QUERY) {
      const chunk = JSON.stringify(names.slice(at, at + NAMES_PER_QUERY));
      for (const r of this.affectedByNamesQuery.all(ecosystem, chunk) as Array<Record<string, string | null>>) {
        const source = r.source as string;
        const advisoryId = r.advisory_id as string;
        if (withdrawn.has(advisoryKey(source, advisoryId))) continue;
        const name = r.package as string;
        const list = out.get(name) ?? [];
        list.push({
          source,
          advisoryId,
          affected: {
            ecosystem,
            name,
            ranges: decode<AffectedPackage['ranges']>(r.ranges as string),
            versions: decode<string[]>(r.versions as string),
            ...(r.cvss ? { cvss: decode<CvssScore[]>(r.cvss) } : {}),
            ...(r.vendor_severity ? { vendorSeverity: r.vendor_severity } : {}),
            ...(r.fix_state ? { fixState: r.fix_state as AffectedPackage['fixState'] } : {}),
          },
        });
        out.set(name, list);
      }
    }
    return out;
  }

  /** Advisory texts, aliases and scores by (source, id), fetched in bulk and cached per handle. */
  advisoriesByKey(keys: Array<[string, string]>): Map<string, Omit<AdvisoryRecord, 'affected'>> {
    this.advisoriesQuery ??= this.db.prepare(
      `SELECT a.source, a.id, a.modified, a.published, a.summary, a.details, a.cvss, a.vendor_severity,
              a.informational, a.refs,
              (SELECT json_group_array(alias) FROM aliases x WHERE x.source = a.source AND x.advisory_id = a.id)
                AS aliases
         FROM advisories a WHERE a.source = ? AND a.id IN (SELECT value FROM json_each(?))`,
    );
    const out = new Map<string, Omit<AdvisoryRecord, 'affected'>>();
    const missing = new Map<string, string[]>();
    for (const [source, id] of keys) {
      const key = advisoryKey(source, id);
      const cached = this.advisoryCache.get(key);
      if (cached) out.set(key, cached);
      else {
        const ids = missing.get(source);
        if (ids) ids.push(id);
        else missing.set(source, [id]);
      }
    }
    for (const [source, ids] of missing) {
      // In key order the index walk touches neighbouring pages instead of jumping across the file for every id.
      const unique = [...new Set(ids)].sort();
      for (let at = 0; at < unique.length; at += NAMES_PER_QUERY) {
        const chunk = JSON.stringify(unique.slice(at, at + NAMES_PER_QUERY));
        for (const r of this.advisoriesQuery.all(source, chunk) as Array<Record<string, string | null>>) {
          const advisory = advisoryFromRow(r);
          const key = advisoryKey(advisory.source, advisory.id);
          this.advisoryCache.set(key, advisory);
          out.set(key, advisory);
        }
      }
    }
    return out;
  }

  /** Withdrawn records are few: one set per handle beats a join on every lookup. */
  private withdrawnAdvisories(): Set<string> {
    this.withdrawn ??= new Set(
      (
        this.db.prepare('SELECT source, id FROM advisories WHERE withdrawn IS NOT NULL').all() as Array<{
          source: string;
          id: string;
        }>
      ).map((r) => advisoryKey(r.source, r.id)),
    );
    return this.withdrawn;
  }

  /**
   * The package names with any advisory in this ecosystem: most installed packages have none, and a set lookup is
   * much cheaper than a query. Loaded once per ecosystem per handle.
   */
  packagesWithAdvisories(ecosystem: string): Set<string> {
    let names = this.packageNames.get(ecosystem);
    if (!names) {
      this.packageNamesQuery ??= this.db.prepare('SELECT DISTINCT package FROM affected WHERE ecosystem = ?').pluck();
      names = new Set(this.packageNamesQuery.all(ecosystem) as string[]);
      this.packageNames.set(ecosystem, names);
    }
    return names;
  }
}

/** One affected-package entry of an advisory, before the advisory itself is fetched. */
export interface AffectedEntry {
  source: string;
  advisoryId: string;
  affected: AffectedPackage;
}

/** SQLite's default limit on nesting is far away; this keeps each JSON parameter small. */
const NAMES_PER_QUERY = 500;

export function advisoryKey(source: string, id: string): string {
  return `${source}\0${id}`;
}

function advisoryFromRow(r: Record<string, string | null>): Omit<AdvisoryRecord, 'affected'> {
  return {
    id: r.id as string,
    source: r.source as string,
    modified: r.modified as string,
    ...(r.published ? { published: r.published } : {}),
    ...(r.summary ? { summary: r.summary } : {}),
    ...(r.details ? { details: r.details } : {}),
    aliases: JSON.parse(r.aliases ?? '[]') as string[],
    cvss: JSON.parse(r.cvss as string),
    ...(r.vendor_severity ? { vendorSeverity: r.vendor_severity } : {}),
    ...(r.informational ? { informational: r.informational } : {}),
    references: JSON.parse(r.refs as string),
  };
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
