import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import type { ImageInventory, InventoryPackage } from '../../src/core/index.js';
import { AdvisoryDb, importPath, scanInventory } from '../../src/vuln/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

const skip = sharedSkipReason('vulndb');
let dir: string;
let db: AdvisoryDb;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-vulndb-'));
  db = AdvisoryDb.open(join(dir, 'advisories.sqlite'));
});
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function inventory(
  packages: Array<Partial<InventoryPackage> & Pick<InventoryPackage, 'type' | 'name' | 'version'>>,
  distro?: ImageInventory['distro'],
): ImageInventory {
  return {
    reference: 'example.com/app:1',
    digest: `sha256:${'b'.repeat(64)}`,
    layers: [],
    packages: packages.map((p) => ({ locations: ['/x'], ...p })),
    problems: [],
    ...(distro ? { distro } : {}),
  };
}

test('imports every OSV record of the shared Go, crates.io, PyPI, AlmaLinux and Bitnami sets; none is malformed', {
  skip,
}, () => {
  const expected: Record<string, [number, number]> = {
    Go: [4291, 17],
    'crates.io': [1206, 13],
    PyPI: [2661, 10],
    AlmaLinux: [884, 0],
    Bitnami: [2347, 0],
  };
  for (const [folder, [records, withdrawn]] of Object.entries(expected)) {
    const r = importPath(db, sharedPath('vulndb', folder) as string);
    assert.deepEqual(
      { records: r.records, withdrawn: r.withdrawn, problems: r.problems.length, formats: r.formats },
      { records, withdrawn, problems: 0, formats: ['osv'] },
      folder,
    );
  }
  // Re-importing unchanged records writes nothing when incremental.
  assert.equal(importPath(db, sharedPath('vulndb', 'crates.io') as string, { onlyIfNewer: true }).written, 0);
});

test('withdrawn records are stored but never matched (GO-2022-0617, k8s.io/kubernetes, all versions)', { skip }, () => {
  const result = scanInventory(inventory([{ type: 'golang', name: 'k8s.io/kubernetes', version: 'v1.20.0' }]), db);
  const ids = result.findings.map(
    (f) => f.details?.vulnerability && (f.details.vulnerability as { advisoryId: string }).advisoryId,
  );
  assert.ok(!ids.includes('GO-2022-0617'), 'withdrawn advisory matched');
  assert.ok(db.status().withdrawn >= 40);
});

test('language packages match by ecosystem and normalised name; RustSec informational is INFO', { skip }, () => {
  const result = scanInventory(
    inventory([
      { type: 'cargo', name: 'openssl', version: '0.8.0' },
      { type: 'pypi', name: 'Django', version: '1.11.0' },
      { type: 'golang', name: 'stdlib', version: 'go1.21.0' },
    ]),
    db,
  );
  const byPackage = (name: string) =>
    result.findings.filter((f) => (f.resource as { package?: { name: string } }).package?.name === name);
  assert.ok(
    byPackage('openssl').some(
      (f) => f.details && (f.details.vulnerability as { advisoryId: string }).advisoryId === 'RUSTSEC-2016-0001',
    ),
  );
  assert.ok(byPackage('Django').length > 10, 'PyPI names are compared in PEP 503 form');
  assert.ok(byPackage('stdlib').length > 10, 'Go toolchain versions go1.x are compared');
  const informational = result.findings.filter((f) => f.evidence?.informational);
  for (const f of informational) assert.equal(f.severity, 'INFO');
  // A CVE alias becomes the finding's id; the advisory id stays in the details.
  const rustsec = byPackage('openssl').find(
    (f) => (f.details?.vulnerability as { advisoryId?: string } | undefined)?.advisoryId === 'RUSTSEC-2016-0001',
  );
  assert.match(rustsec?.ruleId ?? '', /^CVE-/);
  assert.equal(rustsec?.severity, 'HIGH', 'CVSS 3.0 vector 8.1 scored with ae-cvss-calculator');
});

test('OS packages are matched only against their own distro release, never language advisories', { skip }, () => {
  importPath(db, sharedPath('vulndb', 'Alpine', 'secdb-2020', 'v3.10') as string);
  const pkgs = [{ type: 'apk' as const, name: 'libcrypto1.1', sourceName: 'openssl', version: '1.1.1c-r0' }];
  const alpine310 = scanInventory(inventory(pkgs, { id: 'alpine', versionId: '3.10.2' }), db);
  assert.ok(
    alpine310.findings.some((f) => f.ruleId === 'CVE-2019-1547'),
    'origin openssl fixed in 1.1.1d-r0',
  );
  const alpine312 = scanInventory(inventory(pkgs, { id: 'alpine', versionId: '3.12.0' }), db);
  assert.deepEqual(
    alpine312.findings.map((f) => [f.ruleId, f.status]),
    [['vuln/no-advisory-data', 'unknown']],
    'a release without data is a coverage gap, not a clean result',
  );
  // A Python package installed by apk is an OS package: the PyPI advisories for Django do not apply to it.
  const osDjango = scanInventory(
    inventory([{ type: 'apk', name: 'py3-django', version: '1.11.0-r0' }], { id: 'alpine', versionId: '3.10.2' }),
    db,
  );
  assert.equal(osDjango.findings.filter((f) => f.status === 'fail').length, 0);
});

test('malformed records and files are reported with file and field, skipped, and never abort the import', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad, { recursive: true });
  writeFileSync(
    join(bad, 'ok.json'),
    JSON.stringify({
      id: 'TEST-1',
      modified: '2026-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'left-pad' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
        },
      ],
    }),
  );
  writeFileSync(join(bad, 'no-id.json'), JSON.stringify({ modified: '2026-01-01T00:00:00Z' }));
  writeFileSync(
    join(bad, 'bad-events.json'),
    JSON.stringify({
      id: 'TEST-2',
      modified: 'x',
      affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [{ fixed: 1 }] }] }],
    }),
  );
  writeFileSync(join(bad, 'truncated.json'), '{"id": "TEST-3", "modif');
  writeFileSync(
    join(bad, 'alpine.json'),
    JSON.stringify({
      distroversion: 'v3.15',
      reponame: 'main',
      packages: [
        { pkg: { name: 'zlib', secfixes: { '1.2.12-r0': ['CVE-2018-25032'], '1.2.11-r4': null } } },
        { nope: 1 },
      ],
    }),
  );
  const zip = zipSync({
    'TEST-4.json': strToU8(
      JSON.stringify({
        id: 'TEST-4',
        modified: '2026-01-01T00:00:00Z',
        withdrawn: '2026-02-01T00:00:00Z',
        affected: [],
      }),
    ),
    'broken.json': strToU8('['),
  });
  writeFileSync(join(bad, 'records.zip'), zip);
  const r = importPath(db, bad);
  assert.equal(r.records, 3, 'TEST-1, the Alpine zlib record, TEST-4 from the zip (withdrawn), and nothing else');
  assert.equal(r.withdrawn, 1);
  const messages = r.problems
    .map((p) => `${p.file?.slice(bad.length + 1)}${p.field ? ` ${p.field}` : ''}: ${p.message}`)
    .sort();
  assert.deepEqual(
    messages.map((m) => m.replace(/: .*/, '')),
    [
      'alpine.json packages[1]',
      'alpine.json packages[0].secfixes.1.2.11-r4',
      'bad-events.json affected[0].ranges[0].events[0].fixed',
      'no-id.json id',
      'records.zip!broken.json',
      'truncated.json',
    ].sort(),
  );
  const hit = scanInventory(inventory([{ type: 'npm', name: 'left-pad', version: '1.2.0' }]), db);
  assert.deepEqual(
    hit.findings.map((f) => [f.ruleId, f.evidence?.fixedIn]),
    [['TEST-1', '1.3.0']],
  );
});

test('Debian tracker JSON: resolved → fixed version, "0" → not affected, open → no fix yet', { skip }, () => {
  const r = importPath(
    db,
    sharedPath('vulndb', 'Debian', 'format-samples', 'osv.dev-tracker-json-mock.json') as string,
  );
  assert.equal(r.problems.length, 0);
  assert.deepEqual(r.formats, ['debian-tracker']);
  const sample = JSON.parse(
    readFileSync(sharedPath('vulndb', 'Debian', 'format-samples', 'osv.dev-tracker-json-mock.json') as string, 'utf8'),
  );
  const apparmor = sample.apparmor['CVE-2014-1424'].releases.bookworm;
  assert.equal(apparmor.fixed_version, '0');
  const result = scanInventory(
    inventory([{ type: 'deb', name: 'apparmor', version: '2.13.6-10', sourceName: 'apparmor' }], {
      id: 'debian',
      versionId: '12',
    }),
    db,
  );
  assert.ok(!result.findings.some((f) => f.ruleId === 'CVE-2014-1424'), 'fixed_version 0 means never affected');
});
