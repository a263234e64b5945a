import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { type CvssScore, RampartError, UsageError } from '../core/index.js';
import type { AdvisoryRecord, AffectedPackage } from './advisory.js';

/** The advisory DB lives in the cache dir as one SQLite file. */
export function advisoryDbPath(cacheDir: string): string {
  return join(cacheDir, 'vuln', 'advisories.sqlite');
}

/**
 * The schema this code reads and writes. Cache DBs written by an older Rampart are upgraded in place by
 * MIGRATIONS when opened, so `db update` never has to start from nothing after an upgrade.
 */
export const ADVISORY_DB_SCHEMA_VERSION = 4;

/**
 * Affected entries clustered by (ecosystem, package): matching reads all entries of many names, and in a rowid
 * table each name's rows sat scattered across the file behind a secondary index. `seq` keeps the order entries
 * were written in (the order a name's advisories are reported in); the next value is kept in `meta`.
 */
const AFFECTED_TABLE = (name: string): string => `CREATE TABLE IF NOT EXISTS ${name} (
  ecosystem TEXT NOT NULL, package TEXT NOT NULL, seq INTEGER NOT NULL,
  source TEXT NOT NULL, advisory_id TEXT NOT NULL, ranges TEXT NOT NULL, versions TEXT NOT NULL, cvss TEXT,
  vendor_severity TEXT, fix_state TEXT, advisory_rowid INTEGER,
  PRIMARY KEY (ecosystem, package, seq)) WITHOUT ROWID;`;

/** A new DB: the schema of the current version (the columns added by migrations come last, as in upgraded DBs). */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL, updated_at TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, state TEXT);
CREATE TABLE IF NOT EXISTS advisories (
  source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT NOT NULL, published TEXT, withdrawn TEXT,
  summary TEXT, details TEXT, cvss TEXT NOT NULL, vendor_severity TEXT, informational TEXT, refs TEXT NOT NULL,
  aliases TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (source, id));
CREATE INDEX IF NOT EXISTS advisories_withdrawn ON advisories (withdrawn) WHERE withdrawn IS NOT NULL;
CREATE TABLE IF NOT EXISTS aliases (source TEXT NOT NULL, advisory_id TEXT NOT NULL, alias TEXT NOT NULL,
  PRIMARY KEY (source, advisory_id, alias));
CREATE INDEX IF NOT EXISTS aliases_by_alias ON aliases (alias);
${AFFECTED_TABLE('affected')}
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (source, advisory_id);
CREATE TABLE IF NOT EXISTS problems (source TEXT NOT NULL, location TEXT NOT NULL, message TEXT NOT NULL);
`;

/**
 * Upgrades, in order, from the version before each one. Each runs in the same write transaction as the version
 * bump, so a DB is either upgraded completely or left as it was.
 */
const MIGRATIONS: Array<{ version: number; sql: string }> = [
  {
    // 1 → 2: the matcher fetched each matched advisory's aliases with a subquery and looked advisories up by
    // (source, id) text keys. Aliases now sit on the advisory row (sorted, as the subquery returned them) and each
    // affected row names its advisory's rowid.
    version: 2,
    sql: `
ALTER TABLE advisories ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';
UPDATE advisories SET aliases = (SELECT json_group_array(alias ORDER BY alias) FROM aliases x
  WHERE x.source = advisories.source AND x.advisory_id = advisories.id);
ALTER TABLE affected ADD COLUMN advisory_rowid INTEGER;
UPDATE affected SET advisory_rowid = (SELECT rowid FROM advisories a
  WHERE a.source = affected.source AND a.id = affected.advisory_id);
`,
  },
  {
    // 2 → 3: each match starts by listing the withdrawn advisories; without an index that read the whole table.
    version: 3,
    sql: 'CREATE INDEX IF NOT EXISTS advisories_withdrawn ON advisories (withdrawn) WHERE withdrawn IS NOT NULL;',
  },
  {
    // 3 → 4: affected entries clustered by (ecosystem, package), the old rowid kept as their order.
    version: 4,
    sql: `
${AFFECTED_TABLE('affected_v4')}
INSERT INTO affected_v4 (ecosystem, package, seq, source, advisory_id, ranges, versions, cvss, vendor_severity,
  fix_state, advisory_rowid)
  SELECT ecosystem, package, rowid, source, advisory_id, ranges, versions, cvss, vendor_severity, fix_state,
    advisory_rowid FROM affected;
INSERT OR REPLACE INTO meta (key, value) VALUES ('affected_seq', (SELECT coalesce(max(rowid), 0) FROM affected));
DROP TABLE affected;
ALTER TABLE affected_v4 RENAME TO affected;
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (source, advisory_id);
`,
  },
];

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

/** An advisory without its affected entries: what a match carries. */
export type AdvisoryText = Omit<AdvisoryRecord, 'affected'>;

/** An advisory that names a package, as the matcher needs it. */
export interface AffectedRow {
  advisory: AdvisoryText;
  affected: AffectedPackage;
}

export class AdvisoryDb {
  readonly db: Database.Database;
  private readonly advisoryCache = new Map<number, AdvisoryText>();
  private affectedByNamesQuery: Database.Statement | undefined;
  private advisoriesQuery: Database.Statement | undefined;
  private advisoryIdQuery: Database.Statement | undefined;
  private withdrawn: Set<number> | undefined;

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
      this.migrate();
    }
  }

  /**
   * Opens (creating when writable) the DB. A read-only open of a DB written by an older Rampart upgrades it first
   * through a short-lived writable handle: the cache dir is ours, and reading the old layout would need a second
   * matcher.
   */
  static open(path: string, options: { readonly?: boolean } = {}): AdvisoryDb {
    if (options.readonly !== true) return new AdvisoryDb(path, false);
    const handle = new AdvisoryDb(path, true);
    let version: number;
    try {
      version = handle.schemaVersion();
    } catch (err) {
      handle.close();
      throw err;
    }
    if (version === ADVISORY_DB_SCHEMA_VERSION) return handle;
    handle.close();
    if (version > ADVISORY_DB_SCHEMA_VERSION) throw newerSchemaError(path, version);
    try {
      new AdvisoryDb(path, false).close();
    } catch (err) {
      if (err instanceof RampartError) throw err;
      throw new UsageError(
        `${path}: advisory DB schema version ${version} needs an upgrade to ${ADVISORY_DB_SCHEMA_VERSION} and the file cannot be written (${(err as Error).message}); run \`rampart db update\` with write access to the cache dir`,
      );
    }
    return new AdvisoryDb(path, true);
  }

  close(): void {
    this.db.close();
  }

  /** The schema version stored in the file (1 for DBs written before versions were checked). */
  schemaVersion(): number {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!hasMeta) throw new UsageError(`${this.path}: not a Rampart advisory DB (no meta table)`);
    const value = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as
      | string
      | undefined;
    const version = Number(value ?? '1');
    if (!Number.isInteger(version) || version < 1) {
      throw new UsageError(`${this.path}: advisory DB schema_version ${JSON.stringify(value)} is not a version number`);
    }
    return version;
  }

  /** Creates the schema in a new file, or upgrades an older one step by step; all in one write transaction. */
  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const setVersion = this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)");
    const upgrade = this.db.transaction(() => {
      const isNew = !this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'advisories'").get();
      if (isNew) {
        this.db.exec(SCHEMA);
        setVersion.run(String(ADVISORY_DB_SCHEMA_VERSION));
        return;
      }
      const version = this.schemaVersion();
      if (version > ADVISORY_DB_SCHEMA_VERSION) throw newerSchemaError(this.path, version);
      for (const m of MIGRATIONS) {
        if (m.version <= version) continue;
        this.db.exec(m.sql);
        setVersion.run(String(m.version));
      }
    });
    // IMMEDIATE: two processes opening the same old DB do not both start upgrading it.
    upgrade.immediate();
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
        vendor_severity, informational, refs, aliases) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const deleteAffected = this.db.prepare('DELETE FROM affected WHERE source = ? AND advisory_id = ?');
    const deleteAliases = this.db.prepare('DELETE FROM aliases WHERE source = ? AND advisory_id = ?');
    const insertAlias = this.db.prepare('INSERT OR IGNORE INTO aliases (source, advisory_id, alias) VALUES (?, ?, ?)');
    const insertAffected = this.db.prepare(
      `INSERT INTO affected (source, advisory_id, ecosystem, package, ranges, versions, cvss, vendor_severity, fix_state,
         advisory_rowid, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let written = 0;
    const run = this.db.transaction((batch: AdvisoryRecord[]) => {
      let seq = Number(this.db.prepare("SELECT value FROM meta WHERE key = 'affected_seq'").pluck().get() ?? 0);
      for (const r of batch) {
        if (options.onlyIfNewer) {
          const stored = this.modifiedOf(r.source, r.id);
          if (stored !== undefined && stored >= r.modified) continue;
        }
        // REPLACE gives the row a new rowid: the affected rows below are rewritten with it.
        const { lastInsertRowid } = insertAdvisory.run(
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
          JSON.stringify(storedAliases(r.aliases)),
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
            lastInsertRowid,
            ++seq,
          );
        }
        written++;
      }
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('affected_seq', ?)").run(String(seq));
    });
    run(records);
    this.advisoryCache.clear();
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
    // One index seek per ecosystem (a handful) instead of DISTINCT over every affected row.
    return new Set(
      this.db
        .prepare(
          `WITH RECURSIVE e(name) AS (
             SELECT min(ecosystem) FROM affected
             UNION ALL SELECT (SELECT min(ecosystem) FROM affected WHERE ecosystem > e.name) FROM e WHERE e.name IS NOT NULL)
           SELECT name FROM e WHERE name IS NOT NULL`,
        )
        .pluck()
        .all() as string[],
    );
  }

  /** Non-withdrawn advisories naming this package in this ecosystem. */
  affectedFor(ecosystem: string, name: string): AffectedRow[] {
    const entries = this.affectedForNames(ecosystem, [name]).get(name) ?? [];
    const advisories = this.advisoriesByRowid(entries.map((e) => e.advisoryRowid));
    return entries.flatMap((e) => {
      const advisory = advisories.get(e.advisoryRowid);
      return advisory ? [{ advisory, affected: e.affected }] : [];
    });
  }

  /**
   * The affected entries of non-withdrawn advisories for many names of one ecosystem, a few queries for all of
   * them (names passed as one JSON array): per-statement overhead, not the index lookup, dominates point queries.
   */
  affectedForNames(ecosystem: string, names: string[]): Map<string, AffectedEntry[]> {
    const out = new Map<string, AffectedEntry[]>();
    this.visitAffected(ecosystem, names, (row) => {
      // Only the rowid: the advisory's id and texts are fetched for the few entries that match.
      const entry: AffectedEntry = { advisoryRowid: row.advisoryRowid, affected: row.affected() };
      const list = out.get(row.name);
      if (list) list.push(entry);
      else out.set(row.name, [entry]);
    });
    return out;
  }

  /**
   * Visits the affected rows of non-withdrawn advisories for many names of one ecosystem, grouped by name and in
   * stored order within a name. The row passed is one reused cursor, valid only during the call: the matcher
   * evaluates ranges on it and builds the entry (`affected()`) only for the rows that match, so the many rows that
   * do not match leave no objects behind.
   */
  visitAffected(ecosystem: string, names: readonly string[], visit: (row: AffectedRowCursor) => void): void {
    // Rows as arrays: building a keyed object per row cost more than reading it. Each row names its package by
    // position in the chunk passed (json_each's key), not by name: no name string per row, and the caller finds
    // the row's package with an array index instead of a hash look-up. The join runs names in the order given and
    // a name's rows in key order (ecosystem, package, seq), which is write order.
    this.affectedByNamesQuery ??= this.db
      .prepare(
        `SELECT j.key, a.advisory_rowid, a.ranges, a.versions, a.cvss, a.vendor_severity, a.fix_state
           FROM json_each(?) AS j CROSS JOIN affected AS a WHERE a.ecosystem = ? AND a.package = j.value`,
      )
      .raw(true);
    const withdrawn = this.withdrawnAdvisories();
    const cursor = new AffectedRowCursor(ecosystem, sharedDecoder());
    for (let at = 0; at < names.length; at += NAMES_PER_QUERY) {
      const chunk = JSON.stringify(names.slice(at, at + NAMES_PER_QUERY));
      const rows = this.affectedByNamesQuery.all(chunk, ecosystem) as AffectedColumns[];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as AffectedColumns;
        // No rowid: an affected row without its advisory (never written so; the advisory lookup would miss too).
        if (r[1] === null || withdrawn.has(r[1])) continue;
        const nameIndex = at + r[0];
        cursor.moveTo(r, nameIndex, names[nameIndex] as string);
        visit(cursor);
      }
    }
  }

  /**
   * Advisory texts, aliases and scores by rowid (from affected entries), fetched in bulk and cached per handle.
   * The answer is that cache (read-only): it holds at least the advisories asked for.
   */
  advisoriesByRowid(rowids: Iterable<number>): ReadonlyMap<number, AdvisoryText> {
    this.advisoriesQuery ??= this.db
      .prepare(
        `SELECT rowid, source, id, modified, published, summary, details, cvss, vendor_severity, informational, refs,
                aliases
           FROM advisories WHERE rowid IN (SELECT value FROM json_each(?))`,
      )
      .raw(true);
    // In rowid order the lookups walk neighbouring table pages instead of jumping across the file; sorting also
    // brings repeats together, so they are dropped without a set.
    const all = Float64Array.from(rowids).sort();
    let n = 0;
    for (let i = 0; i < all.length; i++) {
      const rowid = all[i] as number;
      if ((n === 0 || all[n - 1] !== rowid) && !this.advisoryCache.has(rowid)) all[n++] = rowid;
    }
    const sorted = all.subarray(0, n);
    const decode = sharedDecoder();
    for (let at = 0; at < sorted.length; at += ROWIDS_PER_QUERY) {
      const chunk = JSON.stringify(Array.from(sorted.subarray(at, at + ROWIDS_PER_QUERY)));
      const rows = this.advisoriesQuery.all(chunk) as AdvisoryColumns[];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as AdvisoryColumns;
        // Filled in the property order of schema 1's reader: JSON output stays byte-identical.
        const advisory = { id: r[2], source: r[1], modified: r[3] } as AdvisoryText;
        if (r[4]) advisory.published = r[4];
        if (r[5]) advisory.summary = r[5];
        if (r[6]) advisory.details = r[6];
        advisory.aliases = JSON.parse(r[11]) as string[];
        advisory.cvss = decode<CvssScore[]>(r[7]);
        if (r[8]) advisory.vendorSeverity = r[8];
        if (r[9]) advisory.informational = r[9];
        advisory.references = JSON.parse(r[10]) as string[];
        this.advisoryCache.set(r[0], advisory);
      }
    }
    return this.advisoryCache;
  }

  /** The id of an advisory by rowid (for entries reported without their advisory's texts). */
  advisoryIdOf(rowid: number): string | undefined {
    this.advisoryIdQuery ??= this.db.prepare('SELECT id FROM advisories WHERE rowid = ?').pluck();
    return this.advisoryCache.get(rowid)?.id ?? (this.advisoryIdQuery.get(rowid) as string | undefined);
  }

  /** Withdrawn records are few: one set per handle beats a join on every lookup. */
  private withdrawnAdvisories(): Set<number> {
    this.withdrawn ??= new Set(
      this.db.prepare('SELECT rowid FROM advisories WHERE withdrawn IS NOT NULL').pluck().all() as number[],
    );
    return this.withdrawn;
  }
}

/** One affected-package entry of an advisory, before the advisory itself is fetched. */
export interface AffectedEntry {
  /** The advisory's rowid: matched entries are fetched and de-duplicated by it. */
  advisoryRowid: number;
  affected: AffectedPackage;
}

/** Position of the name in its chunk, advisory rowid, ranges, versions, cvss, vendor severity, fix state. */
type AffectedColumns = [number, number | null, string, string, string | null, string | null, string | null];

/** One affected row as `visitAffected` passes it: ranges and versions decoded, the full entry built on demand. */
export class AffectedRowCursor {
  advisoryRowid = 0;
  /** Position of the package's name in the list passed to `visitAffected`. */
  nameIndex = 0;
  name = '';
  ranges: AffectedPackage['ranges'] = [];
  versions: string[] = [];
  private columns: AffectedColumns | undefined;
  private built: AffectedPackage | undefined;

  constructor(
    readonly ecosystem: string,
    private readonly decode: <T>(text: string) => T,
  ) {}

  moveTo(columns: AffectedColumns, nameIndex: number, name: string): void {
    this.columns = columns;
    this.built = undefined;
    this.advisoryRowid = columns[1] as number;
    this.nameIndex = nameIndex;
    this.name = name;
    this.ranges = this.decode<AffectedPackage['ranges']>(columns[2]);
    this.versions = this.decode<string[]>(columns[3]);
  }

  /** The row as an OSV affected entry; the same object for repeated calls on one row. */
  affected(): AffectedPackage {
    if (this.built) return this.built;
    const r = this.columns as AffectedColumns;
    const affected: AffectedPackage = {
      ecosystem: this.ecosystem,
      name: this.name,
      ranges: this.ranges,
      versions: this.versions,
    };
    if (r[4]) affected.cvss = this.decode<CvssScore[]>(r[4]);
    if (r[5]) affected.vendorSeverity = r[5];
    if (r[6]) affected.fixState = r[6] as AffectedPackage['fixState'];
    this.built = affected;
    return affected;
  }
}
type AdvisoryColumns = [
  number,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string,
  string | null,
  string | null,
  string,
  string,
];

/** SQLite's default limit on nesting is far away; this keeps each JSON parameter small. */
const NAMES_PER_QUERY = 500;
const ROWIDS_PER_QUERY = 2000;

/**
 * Range, version-list and score texts repeat across rows (`[]`, the same `introduced 0 / fixed X` events, the same
 * CVSS vectors): each distinct text is decoded once per call and the decoded value shared (the matcher and the
 * finding builder never mutate it).
 */
function sharedDecoder(): <T>(text: string) => T {
  const decoded = new Map<string, unknown>();
  return <T>(text: string): T => {
    let value = decoded.get(text);
    if (value === undefined) {
      value = JSON.parse(text);
      decoded.set(text, value);
    }
    return value as T;
  };
}

/** Aliases as stored on the advisory row: unique and sorted, the order the aliases table's index gave before. */
function storedAliases(aliases: string[]): string[] {
  return [...new Set(aliases)].sort(compareUtf8);
}

/** SQLite's BINARY collation (UTF-8 bytes), which the aliases subquery of schema 1 returned its rows in. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function newerSchemaError(path: string, version: number): UsageError {
  return new UsageError(
    `${path}: advisory DB schema version ${version} is newer than this Rampart reads (${ADVISORY_DB_SCHEMA_VERSION}); use a newer Rampart, or remove the file and run \`rampart db update\``,
  );
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
