// Benchmark: advisory import (OSV zip → SQLite) and matching (inventory → findings) on generated, deterministic data.
// Usage: npx tsx bench/vuln/run.ts [--runs 3] [--advisories 120000] [--packages 60000]
// Goals (issue 5): import ≥ 5,000 OSV records/s; matching ≥ 50,000 packages/s against ≥ 100,000 advisories.
// No peer runs here: peers (Trivy, Grype) need their own databases downloaded from the internet.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { zipSync } from 'fflate';
import type { ImageInventory, InventoryPackage, PackageType } from '../../src/core/index.js';
import { AdvisoryDb, importPath, matchInventory } from '../../src/vuln/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const RUNS = arg('--runs', 3);
const ADVISORIES = arg('--advisories', 120_000);
const PACKAGES = arg('--packages', 60_000);

/** A full collection between timed runs (outside the timings): `gc` made available without a command-line flag. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** mulberry32: a small seeded PRNG so every run sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface EcosystemSpec {
  ecosystem: string;
  type: PackageType;
  name: (i: number) => string;
  version: (r: () => number) => string;
}
const semverish = (r: () => number) => `${Math.floor(r() * 5)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`;
const ECOSYSTEMS: EcosystemSpec[] = [
  {
    ecosystem: 'npm',
    type: 'npm',
    name: (i) => (i % 5 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`),
    version: semverish,
  },
  { ecosystem: 'PyPI', type: 'pypi', name: (i) => `py-lib-${i}`, version: semverish },
  {
    ecosystem: 'Go',
    type: 'golang',
    name: (i) => `github.com/org${i % 311}/mod${i}`,
    version: (r) => `v${semverish(r)}`,
  },
  { ecosystem: 'Maven', type: 'maven', name: (i) => `org.example${i % 53}:artifact-${i}`, version: semverish },
  { ecosystem: 'crates.io', type: 'cargo', name: (i) => `crate-${i}`, version: semverish },
  {
    ecosystem: 'Debian:12',
    type: 'deb',
    name: (i) => `src${i}`,
    version: (r) =>
      `${Math.floor(r() * 4)}.${Math.floor(r() * 12)}-${1 + Math.floor(r() * 3)}+deb12u${Math.floor(r() * 9)}`,
  },
];
/** Distinct package names per ecosystem that carry advisories (about 4 advisories each). */
const NAMES_PER_ECOSYSTEM = Math.ceil(ADVISORIES / ECOSYSTEMS.length / 4);
const VECTORS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N',
  'AV:N/AC:M/Au:N/C:P/I:P/A:P',
];

function generateAdvisories(): Uint8Array {
  const r = rng(42);
  const files: Record<string, Uint8Array> = {};
  const enc = new TextEncoder();
  for (let i = 0; i < ADVISORIES; i++) {
    const eco = ECOSYSTEMS[i % ECOSYSTEMS.length] as EcosystemSpec;
    const n = Math.floor(r() * NAMES_PER_ECOSYSTEM);
    const fixed = eco.version(r);
    const id = `BENCH-${String(i).padStart(7, '0')}`;
    const record = {
      schema_version: '1.6.0',
      id,
      modified: `2026-0${1 + (i % 9)}-15T00:00:00Z`,
      published: '2025-01-01T00:00:00Z',
      aliases: [`CVE-2025-${10000 + i}`],
      summary: `Generated advisory ${i} for ${eco.name(n)}`,
      details: 'A deterministic record for the matching benchmark. '.repeat(3),
      severity: i % 2 === 0 ? [{ type: 'CVSS_V3', score: VECTORS[i % VECTORS.length] }] : undefined,
      affected: [
        {
          package: { ecosystem: eco.ecosystem, name: eco.name(n) },
          ranges: [
            {
              type: eco.ecosystem === 'Go' || eco.ecosystem === 'npm' ? 'SEMVER' : 'ECOSYSTEM',
              events: [{ introduced: '0' }, { fixed: eco.ecosystem === 'Go' ? fixed.slice(1) : fixed }],
            },
          ],
          ...(i % 7 === 0 ? { versions: [fixed, `${fixed}.1`] } : {}),
        },
      ],
      references: [{ type: 'ADVISORY', url: `https://example.invalid/advisories/${id}` }],
    };
    files[`${id}.json`] = enc.encode(JSON.stringify(record));
  }
  return zipSync(files, { level: 1 });
}

function generateInventory(): ImageInventory {
  const r = rng(7);
  const packages: InventoryPackage[] = [];
  for (let i = 0; i < PACKAGES; i++) {
    const eco = ECOSYSTEMS[i % ECOSYSTEMS.length] as EcosystemSpec;
    // Half the packages have advisories under their name, half do not (as in a real image, most are clean).
    const n = i % 2 === 0 ? Math.floor(r() * NAMES_PER_ECOSYSTEM) : NAMES_PER_ECOSYSTEM + i;
    const name = eco.name(n);
    const version = eco.version(r);
    packages.push({
      type: eco.type,
      name: eco.type === 'deb' ? `lib${name}` : name,
      version,
      ...(eco.type === 'deb' ? { sourceName: name, sourceVersion: version } : {}),
      locations: ['/bench'],
    });
  }
  return {
    reference: 'bench:generated',
    distro: { id: 'debian', versionId: '12' },
    layers: [],
    packages,
    problems: [],
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const work = mkdtempSync(join(tmpdir(), 'rampart-bench-vuln-'));
try {
  const load = loadavg().map((x) => x.toFixed(2));
  const zipPath = join(work, 'all.zip');
  // BENCH_REUSE_DB=<file>: match against an existing DB without generating or importing (for profiling the matcher).
  const reuse = process.env.BENCH_REUSE_DB;
  if (!reuse) {
    writeFileSync(zipPath, generateAdvisories());
    console.log(
      `generated ${ADVISORIES} OSV records (${(statSync(zipPath).size / 1e6).toFixed(1)} MB zip), ${PACKAGES} packages`,
    );
  }

  const importTimes: number[] = [];
  // CPU time next to wall time: on a shared, loaded machine wall time mostly measures the other processes.
  const importCpu: number[] = [];
  let dbPath = reuse ?? '';
  for (let run = 0; run < (reuse ? 0 : RUNS); run++) {
    dbPath = join(work, `db-${run}.sqlite`);
    const db = AdvisoryDb.open(dbPath);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = importPath(db, zipPath);
    importTimes.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    importCpu.push((cpu.user + cpu.system) / 1000);
    db.close();
    if (report.records !== ADVISORIES || report.problems.length > 0) {
      throw new Error(
        `import read ${report.records} records, problems: ${JSON.stringify(report.problems.slice(0, 3))}`,
      );
    }
    if (run < RUNS - 1) rmSync(dbPath, { force: true });
    else if (process.env.BENCH_KEEP_DB) writeFileSync(process.env.BENCH_KEEP_DB, readFileSync(dbPath));
  }

  const inventory = generateInventory();
  const matchTimes: number[] = [];
  const matchCpu: number[] = [];
  let matches = 0;
  let outcomeHash = '';
  for (let run = 0; run < RUNS; run++) {
    // A fresh handle per run: no advisory cache carried over between runs.
    // Each run starts from a collected heap, as a `rampart image scan` process does: otherwise a run also pays for
    // collecting the previous run's outcome (60k matches and their advisory texts), which no real scan carries.
    collectGarbage();
    const db = AdvisoryDb.open(dbPath, { readonly: true });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const outcome = matchInventory(inventory, db);
    matchTimes.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    matchCpu.push((cpu.user + cpu.system) / 1000);
    matches = outcome.matches.length;
    // Outside the timed part: changes to the matcher must leave its output byte-identical.
    if (run === 0) outcomeHash = createHash('sha256').update(JSON.stringify(outcome)).digest('hex').slice(0, 16);
    db.close();
  }
  const importRate = importTimes.length ? ADVISORIES / (median(importTimes) / 1000) : 0;
  const matchRate = PACKAGES / (median(matchTimes) / 1000);
  const rate = (n: number, ms: number[]) => (ms.length ? Math.round(n / (median(ms) / 1000)) : 0);
  console.log(
    `import CPU time: median ${(median(importCpu) / 1000).toFixed(2)} s = ${rate(ADVISORIES, importCpu)} records per CPU-second; match CPU time: median ${median(matchCpu).toFixed(0)} ms = ${rate(PACKAGES, matchCpu)} packages per CPU-second`,
  );
  console.log(
    `import: median ${(median(importTimes) / 1000).toFixed(2)} s over ${RUNS} runs = ${Math.round(importRate)} records/s (goal ≥ 5000) ${importRate >= 5000 ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `match:  median ${median(matchTimes).toFixed(0)} ms over ${RUNS} runs = ${Math.round(matchRate)} packages/s against ${ADVISORIES} advisories, ${matches} matches (goal ≥ 50000) ${matchRate >= 50000 ? 'MET' : 'NOT MET'}`,
  );
  console.log(`match outcome sha256 (JSON, first 16 hex): ${outcomeHash}`);
  console.log(`load average at start: ${load.join(' ')}; node ${process.version}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
