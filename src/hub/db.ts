import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import {
  Kysely,
  type Kysely as KyselyType,
  type Migration,
  Migrator,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
import { type Finding, UsageError } from '../core/index.js';
import { type HubDatabase, resourceNameOf } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface HubDb {
  db: KyselyType<HubDatabase>;
  dialect: DialectName;
  /** Where the data is, for messages: a file path or the PostgreSQL URL without its password. */
  location: string;
  /** Refreshes planner statistics after large writes (SQLite: ANALYZE — a sampled one misjudges the few-valued columns such as workflow and cluster; PostgreSQL: ANALYZE findings, as autovacuum runs late after a bulk load). */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the hub database: `postgres://…` / `postgresql://…` URLs go to PostgreSQL, anything else is an SQLite file
 * path; no `--db` means `<cache dir>/hub/hub.sqlite`. Migrations run before the handle is returned, so both
 * backends always have the same schema.
 */
export async function openHubDb(dbOption: string | undefined, cacheDir: string): Promise<HubDb> {
  const target = dbOption ?? join(cacheDir, 'hub', 'hub.sqlite');
  let hub: HubDb;
  if (/^postgres(ql)?:\/\//.test(target)) {
    const pool = new pg.Pool({ connectionString: target, max: 10 });
    const db = new Kysely<HubDatabase>({ dialect: new PostgresDialect({ pool }) });
    hub = {
      db,
      dialect: 'postgres',
      location: redactUrl(target),
      // Autovacuum analyses late after a bulk load; until then the planner misjudges the list filters.
      optimize: async () => {
        await sql`analyze findings`.execute(db);
      },
      close: () => db.destroy(),
    };
  } else {
    if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const sqlite = new Database(target);
    // WAL: readers do not block the writer; NORMAL sync is durable across process crashes (kill -9) in WAL mode.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // A page cache and memory map large enough for 100k findings and their indexes.
    sqlite.pragma('cache_size = -65536');
    sqlite.pragma('mmap_size = 268435456');
    sqlite.pragma('temp_store = MEMORY');
    const db = new Kysely<HubDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    hub = {
      db,
      dialect: 'sqlite',
      location: target,
      optimize: async () => {
        sqlite.exec('ANALYZE');
      },
      close: () => db.destroy(),
    };
  }
  try {
    await migrate(hub);
  } catch (err) {
    await hub.close().catch(() => {});
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`--db ${hub.location}: cannot open or migrate the hub database: ${message}`);
  }
  return hub;
}

/** Prepared statements kept per SQL text (most recently used first out of the map last). */
const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely prepares every query again; compiling a 400-row upsert costs about as much as running it, and the same
 * few statements repeat for each ingest batch and list request. Kysely's single SQLite connection runs one query
 * at a time, so a cached statement is never busy when it is reused.
 */
function withStatementCache(sqlite: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text);
      } else {
        stmt = sqlite.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

async function migrate(hub: HubDb): Promise<void> {
  const migrator = new Migrator({
    db: hub.db,
    provider: { getMigrations: async () => migrations(hub.dialect) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
  }
}

/** Ordered by name; never edit a released migration, add the next one. */
function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: KyselyType<unknown>) {
        await db.schema
          .createTable('findings')
          .addColumn('uid', 'text', (c) => c.primaryKey())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('cluster', 'text', (c) => c.notNull())
          .addColumn('rule_id', 'text', (c) => c.notNull())
          .addColumn('pillar', 'text', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('severity_rank', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('workflow', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('resource_type', 'text', (c) => c.notNull())
          .addColumn('resource_label', 'text', (c) => c.notNull())
          .addColumn('namespace', 'text', (c) => c.notNull())
          .addColumn('image', 'text', (c) => c.notNull())
          .addColumn('image_digest', 'text', (c) => c.notNull())
          .addColumn('first_seen', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .addColumn('resolved_at', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('synced_at', 'text')
          .addColumn('scan_id', 'text', (c) => c.notNull())
          .addColumn('suppression_id', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .execute();
        for (const cols of [
          ['scope'],
          ['workflow', 'severity_rank'],
          ['cluster', 'namespace'],
          ['image_digest'],
          ['rule_id'],
          ['id'],
          ['updated_at'],
          ['last_seen'],
        ]) {
          await db.schema
            .createIndex(`findings_${cols.join('_')}`)
            .on('findings')
            .columns(cols)
            .execute();
        }
        await db.schema
          .createTable('scans')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('command', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('cluster', 'text', (c) => c.notNull())
          .addColumn('targets', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text')
          .addColumn('finished_at', 'text')
          .addColumn('finding_count', 'integer', (c) => c.notNull())
          .addColumn('new_count', 'integer', (c) => c.notNull())
          .addColumn('resolved_count', 'integer', (c) => c.notNull())
          .addColumn('errors', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('scans_created_at').on('scans').column('created_at').execute();
        await db.schema
          .createTable('images')
          .addColumn('digest', 'text', (c) => c.primaryKey())
          .addColumn('reference', 'text', (c) => c.notNull())
          .addColumn('registry', 'text', (c) => c.notNull())
          .addColumn('repository', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('media_type', 'text', (c) => c.notNull())
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('layers', 'text', (c) => c.notNull())
          .addColumn('inventory', 'text')
          .addColumn('first_seen', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .addColumn('last_scan_id', 'text')
          .execute();
        await db.schema
          .createTable('clusters')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('first_seen', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('suppressions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('finding_id', 'text', (c) => c.notNull())
          .addColumn('rule_id', 'text', (c) => c.notNull())
          .addColumn('cluster', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('jobs')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('dedupe_key', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('run_after', 'text', (c) => c.notNull())
          .addColumn('lease_until', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('last_error', 'text')
          .addColumn('scan_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('jobs_status_run_after').on('jobs').columns(['status', 'run_after']).execute();
        // At most one live (queued or running) job per key, enforced by the database so concurrent webhook
        // deliveries and several hubs cannot enqueue the same digest twice.
        await sql`create unique index jobs_live_key on jobs (kind, dedupe_key) where status in ('queued', 'running')`.execute(
          db,
        );
        await db.schema
          .createTable('api_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .execute();
      },
    },
    '0002_list_indexes': {
      // The default findings order (most severe, then most recent) and resolution by scope within a cluster, so
      // neither sorts nor scans the whole table once it holds 100k findings.
      async up(db: KyselyType<unknown>) {
        await db.schema
          .createIndex('findings_severity_last_seen')
          .on('findings')
          .columns(['severity_rank', 'last_seen'])
          .execute();
        await db.schema.createIndex('findings_cluster_scope').on('findings').columns(['cluster', 'scope']).execute();
      },
    },
    '0003_filter_indexes': {
      // Every list filter gets an index (so none scans 100k rows), `resource_name` makes the resource filter an
      // indexed prefix match, and the plain scope index goes: resolution always filters by cluster too.
      async up(db: KyselyType<unknown>) {
        await db.schema
          .alterTable('findings')
          .addColumn('resource_name', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        const findings = db as unknown as KyselyType<HubDatabase>;
        for (let last = ''; ; ) {
          const rows = await findings
            .selectFrom('findings')
            .select(['uid', 'data'])
            .where('uid', '>', last)
            .orderBy('uid')
            .limit(1000)
            .execute();
          if (rows.length === 0) break;
          for (const r of rows) {
            const name = resourceNameOf((JSON.parse(r.data) as Finding).resource);
            await findings.updateTable('findings').set({ resource_name: name }).where('uid', '=', r.uid).execute();
          }
          last = rows[rows.length - 1]?.uid ?? last;
        }
        // Indexes shaped like the list queries: each sort order ends in uid (the keyset tie-break, same direction),
        // the frequent filters lead their own copy of the default order, and the ones nothing reads any more go —
        // every index costs ingest time. Plain scope: resolution always filters by cluster too.
        for (const name of [
          'findings_scope',
          'findings_last_seen',
          'findings_updated_at',
          'findings_severity_last_seen',
          'findings_workflow_severity_rank',
          'findings_cluster_namespace',
        ]) {
          await db.schema.dropIndex(name).execute();
        }
        const indexes: Record<string, string[]> = {
          findings_default_order: ['severity_rank', 'last_seen', 'uid'],
          findings_last_seen_uid: ['last_seen', 'uid'],
          findings_workflow_order: ['workflow', 'severity_rank', 'last_seen', 'uid'],
          findings_namespace_order: ['namespace', 'severity_rank', 'last_seen', 'uid'],
          findings_pillar_order: ['pillar', 'severity_rank', 'last_seen', 'uid'],
          findings_resource_label_uid: ['resource_label', 'uid'],
          findings_resource_name: ['resource_name'],
          findings_image: ['image'],
          findings_unsynced: ['synced_at', 'updated_at'],
        };
        for (const [name, cols] of Object.entries(indexes)) {
          await db.schema.createIndex(name).on('findings').columns(cols).execute();
        }
      },
    },
    '0004_securityhub_workflow': {
      // The workflow status Security Hub holds for the finding, so customer-side changes (NOTIFIED, SUPPRESSED, back
      // to NEW) are sent once with BatchUpdateFindings — an import cannot change Workflow of an existing finding.
      async up(db: KyselyType<unknown>) {
        await db.schema.alterTable('findings').addColumn('securityhub_workflow', 'text').execute();
      },
    },
    '0005_scan_context': {
      // What a scan saw besides findings (the audit's namespace reachability graph) for the dashboard's views.
      async up(db: KyselyType<unknown>) {
        await db.schema.alterTable('scans').addColumn('context', 'text').execute();
      },
    },
  };
}
