import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { HubDb } from './db.js';
import type { HubDatabase, JobsTable } from './schema.js';

export interface Job {
  /** A row number in the hub's own queue; a UUID in pg-boss. */
  id: number | string;
  kind: string;
  dedupeKey: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

export interface QueueOptions {
  /** Scans running at once in this process. */
  concurrency?: number;
  /** A running job whose lease lapses (its process died: kill -9, OOM, power) is taken again by any worker. */
  leaseMs?: number;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at 10 minutes. */
  retryDelayMs?: number;
  /** How often an idle worker looks for work (enqueue in this process wakes it at once). */
  pollMs?: number;
  clock?: () => Date;
}

/**
 * What the hub and workers need from a scan queue. Two implementations: `JobQueue` (a table in the hub's database;
 * the default, and the only one for SQLite) and `PgBossQueue` (pg-boss on PostgreSQL, shared by `rampart worker`s).
 */
export interface ScanQueue {
  enqueue(
    kind: string,
    dedupeKey: string,
    payload: Record<string, unknown>,
    options?: { skipIfDoneWithinMs?: number },
  ): Promise<boolean>;
  start(): void | Promise<void>;
  stop(): Promise<void>;
  counts(): Promise<QueueCounts>;
  list(limit?: number, status?: string): Promise<JobView[]>;
}

export type JobHandler = (job: Job) => Promise<{ scanId?: string } | undefined>;

export interface QueueCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
}

/**
 * A persistent job queue in the hub's own database (SQLite or PostgreSQL), so a restart loses nothing: a job is a
 * row; taking it sets a lease that the worker renews while it runs; a lapsed lease means the worker died and the
 * job is taken again, counting the attempt. At most one queued-or-running job per (kind, key) — enforced by a
 * partial unique index — so a burst of events for one digest scans it once.
 */
export class JobQueue implements ScanQueue {
  private readonly db: Kysely<HubDatabase>;
  private readonly owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly pollMs: number;
  private readonly clock: () => Date;
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly hub: HubDb,
    private readonly handlers: Record<string, JobHandler>,
    options: QueueOptions = {},
  ) {
    this.db = hub.db;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 5_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.clock = options.clock ?? (() => new Date());
  }

  private now(offsetMs = 0): string {
    return new Date(this.clock().getTime() + offsetMs).toISOString();
  }

  /**
   * Adds a job unless one with the same key is already queued or running (or, with `skipIfDoneWithinMs`, finished
   * that recently: a digest is immutable, so a redelivered push of a scanned digest needs no second scan). Returns
   * whether it was added.
   */
  async enqueue(
    kind: string,
    dedupeKey: string,
    payload: Record<string, unknown>,
    options: { skipIfDoneWithinMs?: number } = {},
  ): Promise<boolean> {
    const now = this.now();
    const added = await this.db.transaction().execute(async (trx) => {
      // The live job is looked for before the finished one, never after: under PostgreSQL's READ COMMITTED each
      // statement sees what had committed when it began, so a job that finishes between the two reads is still
      // seen — as running by the first or as done by the second. In the other order a job finishing in between was
      // seen by neither (not yet done, then no longer live) and the digest was scanned twice.
      const live = await trx
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', kind)
        .where('dedupe_key', '=', dedupeKey)
        .where('status', 'in', ['queued', 'running'])
        .limit(1)
        .executeTakeFirst();
      if (live) return false;
      if (options.skipIfDoneWithinMs !== undefined) {
        const recent = await trx
          .selectFrom('jobs')
          .select('id')
          .where('kind', '=', kind)
          .where('dedupe_key', '=', dedupeKey)
          .where('status', '=', 'done')
          .where('updated_at', '>=', this.now(-options.skipIfDoneWithinMs))
          .limit(1)
          .executeTakeFirst();
        if (recent) return false;
      }
      const r = await trx
        .insertInto('jobs')
        .values({
          kind,
          dedupe_key: dedupeKey,
          payload: JSON.stringify(payload),
          status: 'queued',
          attempts: 0,
          max_attempts: this.maxAttempts,
          run_after: now,
          lease_until: null,
          lease_owner: null,
          last_error: null,
          scan_id: null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    });
    if (added) this.wake();
    return added;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.wake();
  }

  /** Stops taking jobs and waits for the running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  wake(): void {
    if (this.stopped || this.pumping) return;
    this.pumping = true;
    this.pump()
      .catch(() => {})
      .finally(() => {
        this.pumping = false;
      });
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.running < this.concurrency) {
      const job = await this.claim();
      if (!job) return;
      this.running++;
      const p = this.run(job).finally(() => {
        this.running--;
        this.inFlight.delete(p);
        this.wake();
      });
      this.inFlight.add(p);
    }
  }

  /** Takes the oldest due job (or one whose lease lapsed) and leases it to this process. */
  async claim(): Promise<Job | undefined> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      let pick = trx
        .selectFrom('jobs')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('run_after', '<=', now)]),
            eb.and([eb('status', '=', 'running'), eb('lease_until', '<', now)]),
          ]),
        )
        .orderBy('id')
        .limit(1);
      // PostgreSQL: several hubs/workers poll at once; SKIP LOCKED hands each a different row. SQLite serializes
      // writers, so the transaction alone is enough there.
      if (this.hub.dialect === 'postgres') pick = pick.forUpdate().skipLocked();
      const row = await pick.executeTakeFirst();
      if (!row) return undefined;
      const attempts = Number(row.attempts) + 1;
      if (attempts > Number(row.max_attempts)) {
        await trx
          .updateTable('jobs')
          .set({
            status: 'failed',
            lease_until: null,
            updated_at: now,
            last_error: row.last_error ?? 'worker died while running it (lease lapsed) on every attempt',
          })
          .where('id', '=', row.id)
          .execute();
        return undefined;
      }
      await trx
        .updateTable('jobs')
        .set({
          status: 'running',
          attempts,
          lease_until: this.now(this.leaseMs),
          lease_owner: this.owner,
          updated_at: now,
        })
        .where('id', '=', row.id)
        .execute();
      return toJob({ ...row, attempts });
    });
  }

  private async run(job: Job): Promise<void> {
    const handler = this.handlers[job.kind];
    const heartbeat = setInterval(
      () => {
        this.db
          .updateTable('jobs')
          .set({ lease_until: this.now(this.leaseMs) })
          .where('id', '=', Number(job.id))
          .where('lease_owner', '=', this.owner)
          .where('status', '=', 'running')
          .execute()
          .catch(() => {});
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      const out = await handler(job);
      await this.db
        .updateTable('jobs')
        .set({
          status: 'done',
          lease_until: null,
          updated_at: this.now(),
          scan_id: out?.scanId ?? null,
          last_error: null,
        })
        .where('id', '=', Number(job.id))
        .where('lease_owner', '=', this.owner)
        .execute();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retry = job.attempts < job.maxAttempts;
      const delay = Math.min(600_000, this.retryDelayMs * 2 ** (job.attempts - 1));
      await this.db
        .updateTable('jobs')
        .set({
          status: retry ? 'queued' : 'failed',
          run_after: this.now(retry ? delay : 0),
          lease_until: null,
          last_error: message.slice(0, 2000),
          updated_at: this.now(),
        })
        .where('id', '=', Number(job.id))
        .where('lease_owner', '=', this.owner)
        .execute()
        .catch(() => {});
    } finally {
      clearInterval(heartbeat);
    }
  }

  async counts(): Promise<QueueCounts> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .groupBy('status')
      .execute();
    const out: QueueCounts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) if (r.status in out) out[r.status as keyof QueueCounts] = Number(r.n);
    return out;
  }

  async list(limit = 100, status?: string): Promise<Array<JobView>> {
    let q = this.db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(limit);
    if (status) q = q.where('status', '=', status);
    const rows = await q.execute();
    return rows.map((r) => ({
      ...toJob(r),
      status: r.status,
      runAfter: r.run_after,
      lastError: r.last_error,
      scanId: r.scan_id,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }
}

export interface JobView extends Job {
  status: string;
  runAfter: string;
  lastError: string | null;
  scanId: string | null;
  createdAt: string;
  updatedAt: string;
}

function toJob(r: Omit<JobsTable, 'id'> & { id: number }): Job {
  return {
    id: Number(r.id),
    kind: r.kind,
    dedupeKey: r.dedupe_key,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
  };
}
