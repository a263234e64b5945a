import { sql } from 'kysely';
import PgBoss from 'pg-boss';
import type { HubDb } from './db.js';
import type { Job, JobHandler, JobView, QueueCounts, QueueOptions, ScanQueue } from './queue.js';

/** pg-boss keeps its tables in this schema of the hub's database. */
const BOSS_SCHEMA = 'pgboss';

export interface PgBossQueueOptions extends Omit<QueueOptions, 'clock'> {
  /** Take jobs in this process (hub with `--concurrency 0` only enqueues; `rampart worker` always works). */
  work?: boolean;
}

/**
 * The scan queue on PostgreSQL, held by pg-boss (an established job-queue library) in the hub's own database, so
 * any number of `rampart serve` and `rampart worker` processes on any machines share it: pg-boss hands each job to
 * one process (`FOR UPDATE SKIP LOCKED`), retries failures with back-off, and a job whose process died (kill -9,
 * lost machine) is taken again once its lease (`expireInSeconds`) lapses — pg-boss's maintenance, which one process
 * at a time runs, moves it back to the queue. The queue policy `stately` keeps at most one waiting job per digest.
 */
export class PgBossQueue implements ScanQueue {
  private readonly boss: PgBoss;
  private readonly concurrency: number;
  private readonly expireInSeconds: number;
  private readonly retryLimit: number;
  private readonly retryDelaySeconds: number;
  private readonly pollSeconds: number;
  private started: Promise<void> | undefined;

  constructor(
    private readonly hub: HubDb,
    connectionString: string,
    private readonly handlers: Record<string, JobHandler>,
    private readonly options: PgBossQueueOptions = {},
  ) {
    this.concurrency = Math.max(0, options.concurrency ?? 2);
    this.expireInSeconds = Math.max(1, Math.round((options.leaseMs ?? 15 * 60_000) / 1000));
    this.retryLimit = Math.max(0, (options.maxAttempts ?? 5) - 1);
    this.retryDelaySeconds = Math.max(1, Math.round((options.retryDelayMs ?? 5_000) / 1000));
    this.pollSeconds = Math.max(0.5, (options.pollMs ?? 1_000) / 1000);
    this.boss = new PgBoss({
      connectionString,
      schema: BOSS_SCHEMA,
      max: 4,
      schedule: false,
      // Lapsed leases are noticed within a third of the lease (at least every second, at most every minute).
      maintenanceIntervalSeconds: Math.min(60, Math.max(1, Math.floor(this.expireInSeconds / 3))),
      // Finished jobs stay queryable (scan history, "scanned recently") for a day before pg-boss archives them.
      archiveCompletedAfterSeconds: 24 * 3600,
    });
    // pg-boss reports background errors (maintenance, polling) as events; an unhandled 'error' event would crash.
    this.boss.on('error', () => {});
  }

  private async ready(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      for (const kind of Object.keys(this.handlers))
        await this.boss.createQueue(kind, { name: kind, policy: 'stately' });
    })();
    return this.started;
  }

  async enqueue(
    kind: string,
    dedupeKey: string,
    payload: Record<string, unknown>,
    options: { skipIfDoneWithinMs?: number } = {},
  ): Promise<boolean> {
    await this.ready();
    const live = await sql<{ n: number }>`select 1 as n from ${sql.table(`${BOSS_SCHEMA}.job`)}
      where name = ${kind} and singleton_key = ${dedupeKey} and state < 'completed' limit 1`.execute(this.hub.db);
    if (live.rows.length > 0) return false;
    if (options.skipIfDoneWithinMs !== undefined) {
      const since = new Date(Date.now() - options.skipIfDoneWithinMs);
      const recent = await sql<{ n: number }>`select 1 as n from ${sql.table(`${BOSS_SCHEMA}.job`)}
        where name = ${kind} and singleton_key = ${dedupeKey} and state = 'completed' and completed_on >= ${since}
        limit 1`.execute(this.hub.db);
      if (recent.rows.length > 0) return false;
    }
    const id = await this.boss.send(kind, payload, {
      singletonKey: dedupeKey,
      retryLimit: this.retryLimit,
      retryDelay: this.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.expireInSeconds,
    });
    return id !== null;
  }

  async start(): Promise<void> {
    await this.ready();
    if (this.options.work === false || this.concurrency === 0) return;
    for (const [kind, handler] of Object.entries(this.handlers)) {
      // One pg-boss worker per slot: each takes one job at a time, so `concurrency` bounds scans in this process.
      for (let i = 0; i < this.concurrency; i++) {
        await this.boss.work<Record<string, unknown>>(
          kind,
          { batchSize: 1, pollingIntervalSeconds: this.pollSeconds, includeMetadata: true },
          async ([job]) => {
            if (!job) return undefined;
            const view: Job = {
              id: job.id,
              kind,
              dedupeKey: job.singletonKey ?? '',
              payload: job.data,
              attempts: job.retryCount + 1,
              maxAttempts: job.retryLimit + 1,
            };
            return (await handler(view)) ?? {};
          },
        );
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => {});
    await this.boss.stop({ graceful: true, wait: true, close: true, timeout: 30_000 });
  }

  async counts(): Promise<QueueCounts> {
    await this.ready();
    const rows = await sql<{ state: string; n: string }>`select state, count(*) as n
      from ${sql.table(`${BOSS_SCHEMA}.job`)} where name in (${sql.join(Object.keys(this.handlers))})
      group by state`.execute(this.hub.db);
    const out: QueueCounts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows.rows) {
      const key = STATE_OF[r.state];
      if (key) out[key] += Number(r.n);
    }
    return out;
  }

  async list(limit = 100, status?: string): Promise<JobView[]> {
    await this.ready();
    const states = status ? Object.entries(STATE_OF).flatMap(([s, k]) => (k === status ? [s] : [])) : [];
    const rows = await sql<{
      id: string;
      name: string;
      singleton_key: string | null;
      data: Record<string, unknown>;
      state: string;
      retry_count: number;
      retry_limit: number;
      start_after: Date;
      output: { scanId?: string; message?: string; value?: { message?: string } } | null;
      created_on: Date;
      completed_on: Date | null;
      started_on: Date | null;
    }>`select id, name, singleton_key, data, state, retry_count, retry_limit, start_after, output, created_on,
        completed_on, started_on
      from ${sql.table(`${BOSS_SCHEMA}.job`)}
      where name in (${sql.join(Object.keys(this.handlers))})
        ${states.length ? sql`and state in (${sql.join(states)})` : sql``}
      order by created_on desc limit ${limit}`.execute(this.hub.db);
    return rows.rows.map((r) => {
      const failed = r.state === 'failed' || r.state === 'retry';
      return {
        id: r.id,
        kind: r.name,
        dedupeKey: r.singleton_key ?? '',
        payload: r.data,
        attempts: Number(r.retry_count) + (r.started_on ? 1 : 0),
        maxAttempts: Number(r.retry_limit) + 1,
        status: STATE_OF[r.state] ?? r.state,
        runAfter: new Date(r.start_after).toISOString(),
        lastError: failed ? (r.output?.message ?? r.output?.value?.message ?? null) : null,
        scanId: r.state === 'completed' ? (r.output?.scanId ?? null) : null,
        createdAt: new Date(r.created_on).toISOString(),
        updatedAt: new Date(r.completed_on ?? r.started_on ?? r.created_on).toISOString(),
      };
    });
  }
}

/** pg-boss job states → the hub's queue states (the API and dashboard show the same words for both backends). */
const STATE_OF: Record<string, keyof QueueCounts> = {
  created: 'queued',
  retry: 'queued',
  active: 'running',
  completed: 'done',
  failed: 'failed',
  cancelled: 'failed',
};
