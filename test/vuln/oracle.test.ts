import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ImageInventory } from '../../src/core/index.js';
import { inventoryImage } from '../../src/image/index.js';
import { AdvisoryDb, distroEcosystems, importPath, matchInventory } from '../../src/vuln/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { makeBookwormRootfs } from './rootfs.js';

let dir: string;
let db: AdvisoryDb;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-oracle-'));
  db = AdvisoryDb.open(join(dir, 'advisories.sqlite'));
});
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Debian bookworm oracle: the changelog fixes against the build machine dpkg status find the 114 affected binaries and 2,314 CVEs the vulndb README states', {
  skip: sharedSkipReason('vulndb', 'Debian', 'fixtures'),
}, async () => {
  importPath(db, sharedPath('vulndb', 'Debian', 'bookworm-changelog-fixes.json') as string);
  // A rootfs in a temp dir holding the real status file and os-release, read by the images engine.
  const root = join(dir, 'rootfs');
  makeBookwormRootfs(root);
  const inv = await inventoryImage(`dir:${root}`, { cacheDir: false });
  assert.equal(inv.packages.filter((p) => p.type === 'deb').length, 752);
  const out = matchInventory(inv, db);
  const binaries = new Set(out.matches.map((m) => m.package.name));
  const cves = new Set(out.matches.map((m) => m.vulnerabilityId));
  assert.equal(binaries.size, 114);
  assert.equal(cves.size, 2314);
  const nonKernel = new Set(out.matches.filter((m) => m.package.sourceName !== 'linux').map((m) => m.vulnerabilityId));
  assert.equal(nonKernel.size, 296);
  // binNMU: bash 5.2.15-2+b8 is compared as its source version 5.2.15-2.
  const bash = inv.packages.find((p) => p.name === 'bash');
  assert.equal(bash?.sourceVersion, '5.2.15-2');
  // The derived index marks which rows fix the build machine; every such (source, CVE) must be found.
  const rows = JSON.parse(
    readFileSync(sharedPath('vulndb', 'Debian', 'bookworm-changelog-fixes.json') as string, 'utf8'),
  ) as Array<{ source: string; cves: string[]; fixes_build_machine: boolean; bookworm_update: boolean }>;
  const expected = new Set(
    rows
      .filter((r) => r.fixes_build_machine && r.bookworm_update)
      .flatMap((r) => r.cves.map((c) => `${r.source} ${c}`)),
  );
  const found = new Set(out.matches.map((m) => `${m.package.sourceName} ${m.vulnerabilityId}`));
  const missing = [...expected].filter((k) => !found.has(k));
  assert.deepEqual(missing, []);
});

interface OracleEntry {
  ecosystem: string;
  name: string;
  version: string;
  vuln_ids: string[];
}

test('osv.dev oracle: every covered (ecosystem, package, version) answer is reproduced — no id osv.dev does not report, and every reported id our data holds', {
  skip: sharedSkipReason('vulndb', '_oracles'),
}, (t) => {
  importPath(db, sharedPath('vulndb', 'Alpine', 'secdb-2020') as string);
  const oracle = JSON.parse(
    readFileSync(sharedPath('vulndb', '_oracles', 'osv-scanner-cassettes-os-querybatch.json') as string, 'utf8'),
  ) as OracleEntry[];
  const covered = db.ecosystems();
  let compared = 0;
  let expectedIds = 0;
  const extra: string[] = [];
  const missing: string[] = [];
  for (const q of oracle) {
    if (!covered.has(q.ecosystem)) continue;
    compared++;
    const distro = q.ecosystem.startsWith('Alpine:')
      ? { id: 'alpine', versionId: q.ecosystem.slice('Alpine:v'.length) }
      : { id: 'debian', versionId: q.ecosystem.split(':')[1] as string };
    assert.ok(distroEcosystems(distro).includes(q.ecosystem));
    const inv: ImageInventory = {
      reference: 'oracle',
      layers: [],
      problems: [],
      distro,
      packages: [
        {
          type: q.ecosystem.startsWith('Alpine') ? 'apk' : 'deb',
          name: q.name,
          sourceName: q.name,
          version: q.version,
          locations: [],
        },
      ],
    };
    const ours = new Set(matchInventory(inv, db).matches.map((m) => m.advisory.id));
    // Ids our data can know: advisories in the DB for this package.
    const known = new Set(db.affectedFor(q.ecosystem, q.name).map((r) => r.advisory.id));
    for (const id of ours) if (!q.vuln_ids.includes(id)) extra.push(`${q.ecosystem} ${q.name} ${q.version}: ${id}`);
    for (const id of q.vuln_ids) {
      if (!known.has(id)) continue;
      expectedIds++;
      if (!ours.has(id)) missing.push(`${q.ecosystem} ${q.name} ${q.version}: ${id}`);
    }
  }
  t.diagnostic(
    `oracle: ${compared} of ${oracle.length} answers in ecosystems our data covers; ${expectedIds} ids reproducible, ${missing.length} missed, ${extra.length} extra`,
  );
  assert.ok(compared > 0);
  assert.deepEqual(missing, []);
  assert.deepEqual(extra, []);
});
