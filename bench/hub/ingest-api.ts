// Hub benchmark: ingest throughput over HTTP and API latency with 100k findings stored.
// Usage: node --import tsx bench/hub/ingest-api.ts [sqlite|postgres ...]   (postgres starts a temp cluster)
// BENCH_FINDINGS (default 100000) and BENCH_RUNS (default 3) change the size.
// Prints one JSON line per backend; docs/benchmarks.md has the figures and the command.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Finding, makeFinding, SEVERITIES } from '../../src/core/index.js';
import { startHub } from '../../src/hub/index.js';
import { startPostgres } from '../../test/hub/support/postgres.js';

const TOTAL = Number(process.env.BENCH_FINDINGS ?? 100_000);
const BATCH = 5_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const QUERIES = 300;

function findings(offset: number, n: number): Finding[] {
  const out: Finding[] = [];
  for (let i = offset; i < offset + n; i++) {
    out.push(
      makeFinding({
        ruleId: `RULE-${i % 97}`,
        title: `finding ${i}`,
        severity: SEVERITIES[i % 5] ?? 'LOW',
        status: 'fail',
        pillar: (['config', 'access', 'network', 'boundary'] as const)[i % 4],
        resource: { type: 'kubernetes', kind: 'Deployment', namespace: `ns-${i % 50}`, name: `app-${i}` },
        evidence: { container: 'main', field: 'securityContext.runAsNonRoot' },
      }),
    );
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
}

async function runOnce(db: string, cacheDir: string) {
  const hub = await startHub({ port: 0, auth: false, db, cacheDir, version: 'bench', rematchIntervalMs: 0 });
  try {
    const bodies: string[] = [];
    for (let off = 0; off < TOTAL; off += BATCH) {
      bodies.push(JSON.stringify({ command: 'audit', targets: [], errors: [], findings: findings(off, BATCH) }));
    }
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const body of bodies) {
      const res = await fetch(`${hub.url}/api/v1/findings:batch?cluster=bench`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (!res.ok) throw new Error(`ingest HTTP ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
    const ingestSeconds = (performance.now() - t0) / 1000;
    // CPU time of this process (client and hub together) during ingest: what a quiet machine's wall time would be
    // bounded by, while 2 shared cores make the wall-clock figure mostly a measure of the load.
    const cpu = process.cpuUsage(cpu0);
    const ingestCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const queries = [
      '',
      'severity=CRITICAL',
      'severity=HIGH,MEDIUM&pillar=access',
      'namespace=ns-7',
      'namespace=ns-7&severity=LOW&sort=rule',
      'status=NEW&sort=-last_seen',
      'page=40&per_page=50',
      'resource=app-4242',
      'cluster=bench&sort=resource&page=3',
    ];
    // A keyset cursor from deep in the default order (page 40 of 50), like a client paging with `next`.
    let cursor = '';
    for (let page = 0; page < 40; page++) {
      const res = await fetch(`${hub.url}/api/v1/findings?per_page=50${cursor ? `&cursor=${cursor}` : ''}`);
      cursor = ((await res.json()) as { next?: string }).next ?? '';
    }
    queries.push(`per_page=50&cursor=${cursor}`);
    const latencies: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const q = queries[i % queries.length];
      const t = performance.now();
      const res = await fetch(`${hub.url}/api/v1/findings?${q}`);
      if (!res.ok) throw new Error(`query ${q}: HTTP ${res.status}`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
    }
    return {
      ingestPerSecond: TOTAL / ingestSeconds,
      ingestPerCpuSecond: TOTAL / ingestCpuSeconds,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
    };
  } finally {
    await hub.close();
  }
}

for (const backend of process.argv.slice(2).length ? process.argv.slice(2) : ['sqlite']) {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-hub-'));
  const server = backend === 'postgres' ? await startPostgres() : undefined;
  try {
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      let db = join(dir, `hub-${r}.sqlite`);
      if (server) {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        await client.query(`create database bench_${r}`);
        await client.end();
        db = server.url.replace(/\/postgres$/, `/bench_${r}`);
      }
      runs.push(await runOnce(db, dir));
    }
    console.log(
      JSON.stringify({
        backend,
        findings: TOTAL,
        batch: BATCH,
        runs: RUNS,
        ingestFindingsPerSecondMedian: Math.round(median(runs.map((x) => x.ingestPerSecond))),
        ingestFindingsPerCpuSecondMedian: Math.round(median(runs.map((x) => x.ingestPerCpuSecond))),
        apiP50MsMedian: Number(median(runs.map((x) => x.p50)).toFixed(1)),
        apiP95MsMedian: Number(median(runs.map((x) => x.p95)).toFixed(1)),
        apiMaxMsMedian: Number(median(runs.map((x) => x.max)).toFixed(1)),
        loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
        node: process.version,
      }),
    );
  } finally {
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
