import { UsageError } from '../core/index.js';
import { openHubDb } from './db.js';
import { JobQueue, type QueueOptions } from './queue.js';
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
  /** Scans at once. */
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
  queue: JobQueue;
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
  const queue = new JobQueue(
    hub,
    {
      [IMAGE_SCAN_JOB]: imageScanHandler({
        store,
        access: { insecure },
        cacheDir: o.cacheDir,
        scan: o.scan ?? scanPushedImage,
      }),
    },
    { concurrency: o.concurrency ?? 2, ...o.queue },
  );
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
  queue.start();
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
