import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ImageInventory } from '../../src/core/index.js';
import { inventoryImage } from '../../src/image/index.js';
import { writerFor } from '../../src/report/index.js';
import { AdvisoryDb, importPath, loadVex, scanInventory } from '../../src/vuln/index.js';
import { runCli } from '../support/cli.js';
import { compileSchemaFile, schemaErrors } from '../support/schemas.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { makeBookwormRootfs } from './rootfs.js';

const skip = sharedSkipReason('vulndb', 'Debian', 'fixtures') ?? sharedSkipReason('schemas');
let dir: string;
let root: string;
let env: NodeJS.ProcessEnv;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
  env = { RAMPART_CACHE_DIR: join(dir, 'cache') };
  root = join(dir, 'rootfs');
  if (skip) return;
  makeBookwormRootfs(root);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('CLI: db import, db status, image scan of a Debian rootfs; SARIF and ASFF of that scan validate against the shared schemas', {
  skip,
}, async () => {
  const imp = runCli(['db', 'import', sharedPath('vulndb', 'Debian', 'bookworm-changelog-fixes.json') as string], {
    env,
  });
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /4586 records/);
  const status = runCli(['db', 'status', '-o', 'json'], { env });
  assert.equal(JSON.parse(status.stdout).ecosystems[0].ecosystem, 'Debian:12');

  // The writers the CLI uses for -o sarif / -o asff, on the same scan (in process: each CLI start costs seconds).
  const db = AdvisoryDb.open(join(env.RAMPART_CACHE_DIR as string, 'vuln', 'advisories.sqlite'), { readonly: true });
  const result = scanInventory(await inventoryImage(`dir:${root}`, { cacheDir: false }), db);
  db.close();
  assert.equal(new Set(result.findings.map((f) => f.ruleId)).size, 2314);
  const expat = result.findings.find(
    (f) => f.ruleId === 'CVE-2023-52425' && f.evidence?.packages === 'libexpat1, libexpat1-dev',
  );
  assert.ok(expat?.remediation?.startsWith('Upgrade expat to 2.5.0-1+deb12u'));
  const ctx = {
    toolVersion: '0.0.0-test',
    now: new Date('2026-11-27T12:00:00Z'),
    color: false,
    showPassed: false,
    aws: { accountId: '111122223333', region: 'eu-west-1' },
  };
  const validateSarif = compileSchemaFile(sharedPath('schemas', 'sarif', 'sarif-schema-2.1.0.json') as string);
  const sarifDoc = JSON.parse(writerFor('sarif')(result, ctx)) as {
    runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } } }>;
  };
  assert.ok(validateSarif(sarifDoc), schemaErrors(validateSarif));
  const rules = sarifDoc.runs[0]?.tool.driver.rules ?? [];
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'one rule per vulnerability id');
  assert.equal(rules.length, 2314);

  const asffSchema = sharedPath('schemas', 'aws', 'asff-AwsSecurityFinding.derived.schema.json') as string;
  const validateOne = compileSchemaFile(asffSchema);
  const asffDocs = JSON.parse(writerFor('asff')(result, ctx)) as Array<Record<string, unknown>>;
  assert.equal(asffDocs.length, result.findings.length);
  for (const f of asffDocs) assert.ok(validateOne(f), `${f.Id}: ${schemaErrors(validateOne)}`);
  assert.equal(
    new Set(asffDocs.map((f) => f.Id)).size,
    asffDocs.length,
    'one finding per (image, source package, vulnerability)',
  );
});

test('VEX: the real Trivy OpenVEX sample suppresses the Go advisories it declares not_affected, keeping the justification', {
  skip: sharedSkipReason('vulndb', '_vex-samples'),
}, () => {
  const db = AdvisoryDb.open(join(dir, 'vex.sqlite'));
  try {
    // The advisory the sample's first statement is about.
    importPath(db, sharedPath('vulndb', 'Go', 'GO-2024-2575.json') as string);
    const vex = loadVex(sharedPath('vulndb', '_vex-samples', 'trivy.openvex.json') as string);
    assert.equal(vex.length, 21);
    const inv: ImageInventory = {
      reference: 'aquasec/trivy:0.50.0',
      layers: [],
      problems: [],
      packages: [
        {
          type: 'golang',
          name: 'github.com/aquasecurity/trivy',
          version: 'v0.50.0',
          purl: 'pkg:golang/github.com/aquasecurity/trivy@v0.50.0',
          locations: ['/usr/local/bin/trivy'],
        },
        {
          type: 'golang',
          name: 'helm.sh/helm/v3',
          version: 'v3.14.1',
          purl: 'pkg:golang/helm.sh/helm/v3@v3.14.1',
          locations: ['/usr/local/bin/trivy'],
        },
      ],
    };
    const plain = scanInventory(inv, db);
    const withVex = scanInventory(inv, db, { vex });
    const target = (r: typeof plain) => r.findings.find((f) => f.ruleId === 'CVE-2024-26147');
    assert.equal(target(plain)?.status, 'fail');
    assert.equal(target(withVex)?.status, 'skipped');
    assert.match(target(withVex)?.reason ?? '', /not_affected \(vulnerable_code_not_in_execute_path\)/);
    // Only the findings the statements name are suppressed.
    assert.ok(
      withVex.findings.filter((f) => f.status === 'skipped').every((f) => f.reason?.includes('trivy.openvex.json')),
    );
  } finally {
    db.close();
  }
});

test('VEX: OpenVEX image products, CycloneDX VEX, and a clear error for a document that is neither', () => {
  const openvex = join(dir, 'image.openvex.json');
  writeFileSync(
    openvex,
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      timestamp: '2026-01-01T00:00:00Z',
      statements: [
        {
          vulnerability: { name: 'TEST-9' },
          products: [{ '@id': 'pkg:oci/app' }],
          status: 'not_affected',
          justification: 'component_not_present',
          timestamp: '2026-01-01T00:00:00Z',
        },
        {
          vulnerability: { name: 'TEST-9' },
          products: [{ '@id': 'pkg:oci/app' }],
          status: 'affected',
          action_statement: 'upgrade',
          timestamp: '2026-02-01T00:00:00Z',
        },
        {
          vulnerability: { name: 'TEST-8' },
          products: [{ '@id': 'pkg:oci/app', subcomponents: [{ '@id': 'pkg:npm/left-pad' }] }],
          status: 'fixed',
        },
      ],
    }),
  );
  const cdx = join(dir, 'vex.cdx.json');
  writeFileSync(
    cdx,
    JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      vulnerabilities: [
        {
          id: 'TEST-7',
          analysis: { state: 'false_positive', detail: 'not reachable' },
          affects: [{ ref: 'urn:cdx:abc/1#pkg:npm/left-pad@1.2.0' }],
        },
      ],
    }),
  );
  const db = AdvisoryDb.open(join(dir, 'vex2.sqlite'));
  try {
    const adv = (id: string) => ({
      id,
      modified: '2026-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'left-pad' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
        },
      ],
    });
    const feed = join(dir, 'feed');
    mkdirSync(feed);
    for (const id of ['TEST-7', 'TEST-8', 'TEST-9']) writeFileSync(join(feed, `${id}.json`), JSON.stringify(adv(id)));
    importPath(db, feed);
    const inv: ImageInventory = {
      reference: 'registry.example/app:1',
      layers: [],
      problems: [],
      packages: [{ type: 'npm', name: 'left-pad', version: '1.2.0', locations: ['/app/package-lock.json'] }],
    };
    const result = scanInventory(inv, db, { vex: [...loadVex(openvex), ...loadVex(cdx)] });
    const status = Object.fromEntries(result.findings.map((f) => [f.ruleId, f.status]));
    assert.deepEqual(
      status,
      { 'TEST-7': 'skipped', 'TEST-8': 'skipped', 'TEST-9': 'fail' },
      'the later affected statement overrides not_affected',
    );
  } finally {
    db.close();
  }
  const notVex = join(dir, 'not-vex.json');
  writeFileSync(notVex, '{"hello": 1}');
  assert.throws(() => loadVex(notVex), /neither OpenVEX/);
  const broken = JSON.parse(
    readFileSync(sharedPath('vulndb', '_vex-samples', 'nodejs-security-wg.node.openvex.json') ?? openvex, 'utf8'),
  );
  assert.ok(broken);
});
