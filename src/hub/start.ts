import { UsageError } from '../core/index.js';
import type { HubDb } from './db.js';
import { openHubDb } from './db.js';
import { PgBossQueue } from './pgboss.js';
import { type JobHandler, JobQueue, type QueueOptions, type ScanQueue } from './queue.js';
import {
  advisoryDbVersion,
  IMAGE_SCAN_JOB,
  type ImageScanFunction,
  imageScanHandler,
  rematchStoredImages,
  scanPushedImage,
} from './scan.js';
import { SecurityHubSync } from './securityhub.js';
import { buildHubApp, checkInsecureRegistries, defaultWebRoot, isLoopback } from './server.js';
import { HubStore } from './store.js';

export interface HubOptions {
  host?: string;
  port?: number;
  /** `postgres://…` or an SQLite file; default `<cacheDir>/hub/hub.sqlite`. */
  db?: string;
  cacheDir: string;
  /** false = `--no-auth`, allowed on loopback only. */
  auth?: boolean;
  /** Create another API token even though one exists (the old ones stay valid). */
  newToken?: boolean;
  webhookSecret?: string;
  insecureRegistries?: string[];
  /** Scans at once in this process; 0 = only enqueue (PostgreSQL, where `rampart worker`s take the scans). */
  concurrency?: number;
  queue?: Omit<QueueOptions, 'concurrency'>;
  securityHub?: {
    region: string;
    accountId: string;
    productArn?: string;
    endpoint?: string;
    intervalMs?: number;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  webRoot?: string;
  version: string;
  /** Tests replace the image scan. */
  scan?: ImageScanFunction;
  /** How often to look for a newer advisory DB and re-match stored SBOMs (default 60 s; 0 = never). */
  rematchIntervalMs?: number;
}

export interface RunningHub {
  url: string;
  /** Set only when this start created a token: the one time it is shown. */
  newToken?: string;
  dbLocation: string;
  dialect: string;
  webRoot?: string;
  /** Whether an advisory DB was there at start (scans match; otherwise they report `unknown`). */
  advisoryDb: boolean;
  store: HubStore;
  queue: ScanQueue;
  /** `pg-boss` on PostgreSQL, `table` (the hub's own jobs table) on SQLite. */
  queueBackend: 'pg-boss' | 'table';
  close(): Promise<void>;
}

/** `rampart serve`: opens the store, makes sure a token exists, starts the queue workers and the HTTP server. */
export async function startHub(o: HubOptions): Promise<RunningHub> {
  const host = o.host ?? '127.0.0.1';
  const auth = o.auth ?? true;
  if (!auth && !isLoopback(host)) {
    throw new UsageError(`--no-auth is only allowed on a loopback address; --host ${host} needs the API token`);
  }
  if (o.webhookSecret !== undefined && o.webhookSecret.length < 16) {
    throw new UsageError('--webhook-secret must be at least 16 characters');
  }
  if (o.securityHub && !/^\d{12}$/.test(o.securityHub.accountId)) {
    throw new UsageError('--securityhub-region needs --aws-account-id <12 digits> (or AWS_ACCOUNT_ID)');
  }
  const insecure = checkInsecureRegistries(o.insecureRegistries ?? []);
  const hub = await openHubDb(o.db, o.cacheDir);
  const store = new HubStore(hub);
  let newToken: string | undefined;
  if (auth && (o.newToken || (await store.tokenCount()) === 0)) newToken = await store.createToken('serve');
  const queue = scanQueue(hub, o.db, store, {
    insecure,
    cacheDir: o.cacheDir,
    scan: o.scan,
    concurrency: o.concurrency ?? 2,
    queue: o.queue,
  });
  const securityHub = o.securityHub
    ? new SecurityHubSync(store, { ...o.securityHub, toolVersion: o.version })
    : undefined;
  const webRoot = o.webRoot ?? defaultWebRoot();
  const rematch = () => rematchStoredImages(store, o.cacheDir);
  const app = await buildHubApp({
    store,
    queue,
    authRequired: auth,
    webhookSecret: o.webhookSecret,
    securityHub,
    webRoot,
    version: o.version,
    rematch,
  });
  let advisoryVersion = advisoryDbVersion(o.cacheDir);
  const suppressionTimer = setInterval(() => {
    store.refreshSuppressions().catch(() => {});
  }, 60_000);
  suppressionTimer.unref();
  const rematchTimer =
    (o.rematchIntervalMs ?? 60_000) > 0
      ? setInterval(() => {
          const now = advisoryDbVersion(o.cacheDir);
          if (now === advisoryVersion) return;
          advisoryVersion = now;
          rematch().catch(() => {});
        }, o.rematchIntervalMs ?? 60_000)
      : undefined;
  rematchTimer?.unref();
  try {
    await app.listen({ host, port: o.port ?? 8080 });
  } catch (err) {
    clearInterval(suppressionTimer);
    if (rematchTimer) clearInterval(rematchTimer);
    await hub.close();
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`cannot listen on ${host}:${o.port ?? 8080}: ${e.code ?? e.message}`);
  }
  try {
    await queue.start();
  } catch (err) {
    await app.close();
    await hub.close();
    throw new UsageError(`cannot start the scan queue: ${err instanceof Error ? err.message : String(err)}`);
  }
  securityHub?.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed = false;
  return {
    url: `http://${urlHost}:${port}`,
    ...(newToken ? { newToken } : {}),
    dbLocation: hub.location,
    dialect: hub.dialect,
    ...(webRoot ? { webRoot } : {}),
    advisoryDb: advisoryVersion > 0,
    store,
    queue,
    queueBackend: queue instanceof PgBossQueue ? 'pg-boss' : 'table',
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(suppressionTimer);
      if (rematchTimer) clearInterval(rematchTimer);
      securityHub?.stop();
      await app.close();
      await queue.stop();
      await hub.close();
    },
  };
}

interface QueueDeps {
  insecure: Set<string>;
  cacheDir: string;
  scan: ImageScanFunction | undefined;
  concurrency: number;
  queue: Omit<QueueOptions, 'concurrency'> | undefined;
  onJob?: ((line: string) => void) | undefined;
}

/** PostgreSQL → pg-boss (shared with `rampart worker`s on other machines); SQLite → the hub's own jobs table. */
function scanQueue(hub: HubDb, dbOption: string | undefined, store: HubStore, d: QueueDeps): ScanQueue {
  const scan = imageScanHandler({
    store,
    access: { insecure: d.insecure },
    cacheDir: d.cacheDir,
    scan: d.scan ?? scanPushedImage,
  });
  const log = d.onJob;
  const handlers: Record<string, JobHandler> = {
    [IMAGE_SCAN_JOB]: log
      ? async (job) => {
          const what = `scan ${String(job.payload.reference ?? job.dedupeKey)} (job ${job.id}, attempt ${job.attempts})`;
          log(`started ${what}`);
          try {
            const out = await scan(job);
            log(`finished ${what}`);
            return out;
          } catch (err) {
            log(`failed ${what}: ${err instanceof Error ? err.message : String(err)}`);
            throw err;
          }
        }
      : scan,
  };
  if (hub.dialect === 'postgres' && dbOption) {
    return new PgBossQueue(hub, dbOption, handlers, { ...d.queue, concurrency: d.concurrency });
  }
  return new JobQueue(hub, handlers, { ...d.queue, concurrency: Math.max(1, d.concurrency) });
}

export interface WorkerOptions {
  /** `postgres://…`: workers share the queue through PostgreSQL only. */
  db: string;
  cacheDir: string;
  concurrency?: number;
  insecureRegistries?: string[];
  queue?: Omit<QueueOptions, 'concurrency'>;
  scan?: ImageScanFunction;
  /** One line per scan started, finished or failed (the CLI prints them). */
  onJob?: (line: string) => void;
}

export interface RunningWorker {
  dbLocation: string;
  concurrency: number;
  close(): Promise<void>;
}

/**
 * `rampart worker`: takes scans from the hub's pg-boss queue in PostgreSQL and stores their findings in the same
 * database, with no HTTP server — start as many as there are machines.
 */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  if (!/^postgres(ql)?:\/\//.test(o.db)) {
    throw new UsageError(
      '--db must be a postgres:// URL: workers share the scan queue through PostgreSQL (with SQLite, rampart serve runs the scans itself)',
    );
  }
  const insecure = checkInsecureRegistries(o.insecureRegistries ?? []);
  const hub = await openHubDb(o.db, o.cacheDir);
  const store = new HubStore(hub);
  const concurrency = Math.max(1, o.concurrency ?? 2);
  const queue = scanQueue(hub, o.db, store, {
    insecure,
    cacheDir: o.cacheDir,
    scan: o.scan,
    concurrency,
    queue: o.queue,
    onJob: o.onJob,
  });
  try {
    await queue.start();
  } catch (err) {
    await hub.close();
    throw new UsageError(`cannot start the scan queue: ${err instanceof Error ? err.message : String(err)}`);
  }
  let closed = false;
  return {
    dbLocation: hub.location,
    concurrency,
    async close() {
      if (closed) return;
      closed = true;
      await queue.stop();
      await hub.close();
    },
  };
}
