import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildHubApp, HubStore, IMAGE_SCAN_JOB, type Job, JobQueue, openHubDb } from '../../src/hub/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { type Backend, postgresBackend, sqliteBackend } from './support/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-queue-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('persistent scan queue', () => {
  test('bounded concurrency; failures retried with back-off; gives up after max attempts with the error kept', async () => {
    const hub = await openHubDb(join(dir, 'retry.sqlite'), dir);
    let active = 0;
    let peak = 0;
    const tries = new Map<string, number>();
    const queue = new JobQueue(
      hub,
      {
        test: async (job: Job) => {
          active++;
          peak = Math.max(peak, active);
          const n = (tries.get(job.dedupeKey) ?? 0) + 1;
          tries.set(job.dedupeKey, n);
          await new Promise((r) => setTimeout(r, 20));
          active--;
          if (job.dedupeKey === 'flaky' && n < 3) throw new Error(`transient ${n}`);
          if (job.dedupeKey === 'broken') throw new Error('registry says 404');
          return undefined;
        },
      },
      { concurrency: 3, retryDelayMs: 20, maxAttempts: 4, pollMs: 20 },
    );
    try {
      for (let i = 0; i < 12; i++) await queue.enqueue('test', `ok-${i}`, {});
      await queue.enqueue('test', 'flaky', {});
      await queue.enqueue('test', 'broken', {});
      queue.start();
      await until(
        async () => {
          const c = await queue.counts();
          return c.done + c.failed === 14;
        },
        20_000,
        'all jobs to finish',
      );
      assert.ok(peak <= 3, `at most 3 at once (saw ${peak})`);
      assert.ok(peak >= 2, 'ran in parallel');
      const jobs = await queue.list();
      const flaky = jobs.find((j) => j.dedupeKey === 'flaky');
      assert.equal(flaky?.status, 'done');
      assert.equal(flaky?.attempts, 3);
      const broken = jobs.find((j) => j.dedupeKey === 'broken');
      assert.equal(broken?.status, 'failed');
      assert.equal(broken?.attempts, 4);
      assert.equal(broken?.lastError, 'registry says 404');
      assert.equal(tries.get('ok-0'), 1);
    } finally {
      await queue.stop();
      await hub.close();
    }
  });

  test('kill -9 of the worker in the middle of scans loses nothing: the next worker retries them', async () => {
    const dbPath = join(dir, 'kill.sqlite');
    const hub = await openHubDb(dbPath, dir);
    const producer = new JobQueue(hub, {});
    for (const key of ['a', 'b', 'c']) await producer.enqueue('test', key, { key });
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/hub/fixtures/queue-child.ts', dbPath, '800'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/started (\d+)/g)) started.push(m[1] ?? '');
    });
    try {
      await until(async () => started.length >= 2, 60_000, 'the child to start two jobs');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    const mid = await producer.list();
    assert.deepEqual(mid.map((j) => j.status).sort(), ['queued', 'running', 'running'], 'two were mid-scan');

    const handled: string[] = [];
    const worker = new JobQueue(
      hub,
      {
        test: async (job) => {
          handled.push(String(job.payload.key));
          return undefined;
        },
      },
      { concurrency: 2, leaseMs: 800, pollMs: 50 },
    );
    try {
      worker.start();
      await until(async () => (await worker.counts()).done === 3, 20_000, 'the three jobs to be done');
      assert.deepEqual(handled.sort(), ['a', 'b', 'c'], 'each job finished exactly once');
      const jobs = await worker.list();
      assert.deepEqual(
        jobs.map((j) => j.attempts).sort(),
        [1, 2, 2],
        'the two interrupted jobs count a second attempt',
      );
    } finally {
      await worker.stop();
      await hub.close();
    }
  });

  // A redelivered push arriving while the first scan of its digest finishes must see that scan either still running
  // or done, never neither (the CI run that found this scanned one digest of the burst below twice on PostgreSQL).
  for (const backend of [sqliteBackend(), postgresBackend()] as Backend[]) {
    test(`a redelivery racing the finish of the same digest's scan is not queued again (${backend.name})`, {
      skip: backend.skip,
    }, async () => {
      const hub = await backend.open();
      const queue = new JobQueue(hub, {}, {});
      try {
        let requeued = 0;
        for (let round = 0; round < 150; round++) {
          const key = `sha256:${round}`;
          assert.equal(await queue.enqueue(IMAGE_SCAN_JOB, key, {}), true);
          const job = await queue.claim();
          assert.ok(job, 'the job just queued is taken');
          // What a worker does when the scan succeeds, racing three redeliveries that skip recently done digests.
          const finish = hub.db
            .updateTable('jobs')
            .set({ status: 'done', lease_until: null, updated_at: new Date().toISOString() })
            .where('id', '=', Number(job.id))
            .execute();
          const redeliveries = [0, 1, 2].map(() =>
            queue.enqueue(IMAGE_SCAN_JOB, key, {}, { skipIfDoneWithinMs: 3_600_000 }),
          );
          const [, ...added] = await Promise.all([finish, ...redeliveries]);
          requeued += added.filter(Boolean).length;
        }
        assert.equal(requeued, 0, 'no redelivery queued a second scan');
      } finally {
        await hub.close();
        await backend.cleanup();
      }
    });
  }

  // SQLite: the 1,000-event burst. PostgreSQL: 200 queued scans taken by three consumers at once (SKIP
  // LOCKED), kept smaller so the suite stays within its time budget on a 2-core machine.
  const COUNT = { sqlite: 1000, postgres: 200 } as const;
  for (const backend of [sqliteBackend(), postgresBackend()] as Backend[]) {
    const total = COUNT[backend.name];
    test(`${COUNT[backend.name]} webhook events in a burst over loopback (${backend.name}, 3 consumers on one database): every digest scanned exactly once`, {
      skip: backend.skip,
    }, async () => {
      const hub = await backend.open();
      const store = new HubStore(hub);
      const scanned = new Map<string, number>();
      const handler = async (job: Job) => {
        const d = String(job.payload.digest);
        scanned.set(d, (scanned.get(d) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
        return undefined;
      };
      // Three queue consumers on one database stand for three hubs/workers taking jobs at once.
      const workers = [0, 1, 2].map(
        () => new JobQueue(hub, { [IMAGE_SCAN_JOB]: handler }, { concurrency: 4, pollMs: 25 }),
      );
      const [first] = workers;
      assert.ok(first);
      const app = await buildHubApp({
        store,
        queue: first,
        authRequired: false,
        webhookSecret: 'burst-secret-0123456789',
        version: 't',
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/registry`;
      for (const w of workers) w.start();
      try {
        const digests = Array.from(
          { length: COUNT[backend.name] },
          (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`,
        );
        const send = async (digest: string) => {
          const res = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/vnd.docker.distribution.events.v1+json',
              authorization: 'Bearer burst-secret-0123456789',
            },
            body: JSON.stringify({
              events: [
                {
                  action: 'push',
                  target: {
                    mediaType: 'application/vnd.oci.image.manifest.v1+json',
                    digest,
                    repository: 'burst/app',
                    tag: 'x',
                  },
                  request: { host: '127.0.0.1:5000' },
                },
              ],
            }),
          });
          assert.equal(res.status, 202);
        };
        // 1,000 distinct pushes, 50 at a time, each digest also delivered twice more while it may still be queued.
        for (let i = 0; i < digests.length; i += 50) {
          const slice = digests.slice(i, i + 50);
          await Promise.all([...slice, ...slice.slice(0, 10), ...slice.slice(0, 10)].map(send));
        }
        await until(
          async () => (await first.counts()).done >= total && scanned.size === total,
          120_000,
          `${total} scans`,
        );
        await new Promise((r) => setTimeout(r, 200));
        const counts = await first.counts();
        assert.equal(scanned.size, total, 'no digest lost');
        assert.deepEqual(
          [...scanned].filter(([, n]) => n !== 1),
          [],
          'no digest scanned twice, although some were delivered three times',
        );
        assert.equal(counts.done, total);
        assert.equal(counts.failed + counts.queued + counts.running, 0);
      } finally {
        await app.close();
        await Promise.all(workers.map((w) => w.stop()));
        await hub.close();
        await backend.cleanup();
      }
    });
  }
});
