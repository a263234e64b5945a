import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { pack } from 'tar-stream';
import { REPO_ROOT } from '../support/cli.js';
import { missingTool } from '../support/tools.js';
import { postgresSkipReason, startPostgres, type TempPostgres } from './support/postgres.js';
import { serveHub, stopChild } from './support/processes.js';
import { startDockerRegistry } from './support/registry.js';

const skip = postgresSkipReason() ?? missingTool('docker-registry');
const IMAGES = 200;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** One Alpine-looking layer (os-release + an apk database with one package), gzipped. */
async function alpineLayer(): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => {
    tar.on('end', () => r());
  });
  tar.entry({ name: 'etc/os-release' }, 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.12.12\n');
  tar.entry({ name: 'lib/apk/db/installed' }, 'P:musl\nV:1.1.24-r10\nA:x86_64\no:musl\n\n');
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes blobs and manifests through the Distribution HTTP API (what skopeo does, without 200 processes). */
async function pushImages(registry: string, repo: string, n: number): Promise<string[]> {
  const upload = async (blob: Buffer) => {
    const digest = sha256(blob);
    const start = await fetch(`${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202, 'upload started');
    const location = new URL(start.headers.get('location') ?? '', registry);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob,
    });
    assert.equal(put.status, 201, `blob ${digest} stored`);
    return { digest, size: blob.length };
  };
  const layerBlob = await alpineLayer();
  const layer = await upload(layerBlob);
  const diffId = sha256(gunzipSync(layerBlob));
  const digests: string[] = [];
  for (let i = 0; i < n; i++) {
    const config = await upload(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Labels: { build: String(i) } },
          rootfs: { type: 'layers', diff_ids: [diffId] },
        }),
      ),
    );
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    });
    const res = await fetch(`${registry}/v2/${repo}/manifests/b${i}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    assert.equal(res.status, 201, `manifest ${i} stored`);
    digests.push(sha256(manifest));
  }
  return digests;
}

interface WorkerProcess {
  child: ChildProcess;
  stderr: () => string;
}

function startWorkerProcess(args: string[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', 'worker', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rampart worker did not start in 60 s:\n${err}`)), 60_000);
    child.stderr?.on('data', () => {
      if (err.includes('rampart worker taking scans')) {
        clearTimeout(timer);
        resolve({ child, stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rampart worker exited with ${code}:\n${err}`));
    });
  });
}

test('rampart worker on a real PostgreSQL (pg-boss): one hub and three worker processes scan 200 queued images from a real docker-registry, each exactly once; a kill -9ed worker’s scan is retried by another', {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-workers-'));
  let server: TempPostgres | undefined;
  let registry: ChildProcess | undefined;
  let hub: Awaited<ReturnType<typeof serveHub>> | undefined;
  const workers: WorkerProcess[] = [];
  const held: Socket[] = [];
  let hang = true;
  const proxy = createServer((socket) => {
    // A registry that does not answer while `hang` is set: the first worker's scan stays in flight until it is
    // killed; afterwards connections go through to the real registry.
    if (hang) {
      held.push(socket);
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: registryPort });
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  let registryPort = 0;
  try {
    server = await startPostgres();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('create database hub');
    await admin.end();
    const db = server.url.replace(/\/postgres$/, '/hub');

    const started = await startDockerRegistry(dir);
    registry = started.child;
    registryPort = started.port;
    const registryUrl = started.url;
    const digests = await pushImages(registryUrl, 'fleet/app', IMAGES);
    assert.equal(new Set(digests).size, IMAGES, 'distinct digests');

    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyAddress = proxy.address();
    const proxyPort = typeof proxyAddress === 'object' && proxyAddress ? proxyAddress.port : 0;
    const common = [
      '--db',
      db,
      '--cache-dir',
      join(dir, 'cache'),
      '--scan-timeout',
      '10',
      '--insecure-registry',
      `127.0.0.1:${registryPort}`,
      '--insecure-registry',
      `127.0.0.1:${proxyPort}`,
    ];
    // The hub only queues (--concurrency 0): every scan below is taken by a worker process.
    hub = await serveHub([...common, '--no-auth', '--concurrency', '0']);
    assert.match(hub.stderr(), /scan queue: pg-boss/);
    const enqueue = async (reference: string) => {
      const res = await fetch(`${hub?.url}/api/v1/scans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reference }),
      });
      assert.equal(res.status, 202, await res.clone().text());
    };

    // 1. A worker takes a scan whose registry never answers, and is killed with SIGKILL in the middle of it.
    const doomed = await startWorkerProcess([...common, '--concurrency', '1']);
    workers.push(doomed);
    const hungDigest = digests[0] ?? '';
    await enqueue(`127.0.0.1:${proxyPort}/fleet/app@${hungDigest}`);
    await until(
      async () => (doomed.stderr().includes('started scan') ? true : undefined),
      30_000,
      'the first worker to start the scan',
    );
    doomed.child.kill('SIGKILL');
    await new Promise((r) => doomed.child.once('exit', r));
    hang = false;
    for (const s of held) s.destroy();

    // 2. Three workers, 200 queued scans. The hung digest is queued again by its direct registry address, which the
    // queue drops (one live job per digest): the retried job is the only scan of it.
    for (const d of digests) await enqueue(`127.0.0.1:${registryPort}/fleet/app@${d}`);
    for (let i = 0; i < 3; i++) workers.push(await startWorkerProcess([...common, '--concurrency', '2']));

    const queue = async () => {
      const res = await fetch(`${hub?.url}/api/v1/scans/queue`);
      return (await res.json()) as {
        counts: { done: number; failed: number; queued: number; running: number };
        jobs: Array<{ status: string; lastError: string | null; dedupeKey: string }>;
      };
    };
    const counts = await until(
      async () => {
        const body = await queue();
        return body.counts.done >= IMAGES ? body.counts : undefined;
      },
      150_000,
      `${IMAGES} scans to be done`,
    ).catch(async (err: Error) => {
      const q = await queue().catch(() => undefined);
      const errors = q?.jobs.filter((j) => j.lastError).slice(0, 3);
      const tails = workers.map((w) => w.stderr().split('\n').slice(-4).join('\n'));
      throw new Error(
        `${err.message}: ${JSON.stringify(q?.counts)} ${JSON.stringify(errors)}\n${tails.join('\n--\n')}`,
      );
    });
    assert.equal(counts.failed, 0, 'no scan failed');
    assert.equal(counts.queued, 0);

    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      // Exactly once: one stored scan per job, one completed pg-boss job per queued scan.
      const scans = await client.query(`select count(*)::int as n from scans where kind = 'image'`);
      assert.equal(scans.rows[0].n, IMAGES, 'one stored scan per queued scan, none twice');
      const jobs = await client.query(
        `select singleton_key, state, retry_count, data->>'reference' as reference from pgboss.job where name = 'scan-image'`,
      );
      assert.equal(jobs.rows.length, IMAGES);
      const hung = jobs.rows.find((r) => String(r.reference).includes(`:${proxyPort}/`));
      assert.equal(hung?.state, 'completed', 'the killed worker’s scan was retried and finished');
      assert.ok(Number(hung?.retry_count) >= 1, 'counted as a retry');
      const images = await client.query(`select digest from images where last_scan_id is not null`);
      assert.deepEqual(
        images.rows.map((r) => r.digest).sort(),
        [...digests].sort(),
        'every pushed digest was pulled and scanned',
      );
    } finally {
      await client.end();
    }
    const finished = workers.slice(1).map((w) => (w.stderr().match(/^finished scan/gm) ?? []).length);
    assert.equal(
      finished.reduce((a, b) => a + b, 0),
      IMAGES,
      `each scan finished once across the workers (${finished.join(' + ')})`,
    );
    assert.ok(
      finished.every((n) => n > 0),
      `all three workers took scans (${finished.join(', ')})`,
    );
  } finally {
    for (const s of held) s.destroy();
    proxy.close();
    await Promise.all(workers.map((w) => stopChild(w.child)));
    await hub?.stop();
    if (registry) await stopChild(registry);
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
