import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeFinding, type ScanResult } from '../../src/core/index.js';
import { startHub } from '../../src/hub/index.js';
import { inventoryImage, toCycloneDx, toSpdx } from '../../src/image/index.js';
import { writeJson } from '../../src/report/index.js';
import {
  batchFindings,
  imageScanParts,
  importAdvisories,
  rescanStoredImages,
  runImageScan,
  toCycloneDxWithVulnerabilities,
} from '../../src/vuln/index.js';
import { startFakeAws } from '../access/support/aws-server.js';
import { runCliAsync } from '../support/cli.js';
import { compileSchemaFile, schemaErrors } from '../support/schemas.js';
import { type SecurityHubStandIn, startSecurityHubStandIn } from '../support/securityhub.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { makeBookwormRootfs } from './rootfs.js';

// The CLI runs as a real child process. runCliAsync, not runCli: spawnSync blocks this process's event loop, so a
// server living in the test process (Security Hub stand-in, hub) could never answer and the test would hang.
const skip = sharedSkipReason('vulndb', 'Debian', 'fixtures') ?? sharedSkipReason('schemas');
let dir: string;
let root: string;
let cache: string;
let env: NodeJS.ProcessEnv;
const standIns: SecurityHubStandIn[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-image-scan-'));
  cache = join(dir, 'cache');
  env = {
    RAMPART_CACHE_DIR: cache,
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_REGION: '',
    AWS_PROFILE: '',
  };
  root = join(dir, 'rootfs');
  if (skip) return;
  makeBookwormRootfs(root);
  importAdvisories([sharedPath('vulndb', 'Debian', 'bookworm-changelog-fixes.json') as string], cache);
});
after(async () => {
  for (const s of standIns) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An OpenVEX document saying the bookworm rootfs's libexpat1 is not affected by CVE-2023-52425. */
function writeExpatVex(path: string): string {
  writeFileSync(
    path,
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.invalid/vex/1',
      author: 'test',
      timestamp: '2026-11-27T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2023-52425' },
          products: [{ '@id': 'pkg:deb/debian/libexpat1' }, { '@id': 'pkg:deb/debian/libexpat1-dev' }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
      ],
    }),
  );
  return path;
}

test('CLI image scan --securityhub against a local HTTP server speaking the Security Hub REST/JSON wire format: batches ≤ 100, ASFF schema-valid, throttling and FailedFindings retried, vanished findings re-imported ARCHIVED', {
  skip,
}, async () => {
  const hub = await startSecurityHubStandIn();
  standIns.push(hub);
  const out = join(dir, 'scan.json');
  const args = [
    'image',
    'scan',
    `dir:${root}`,
    '--securityhub',
    '--region',
    'eu-west-1',
    '--aws-account-id',
    '111122223333',
    '--securityhub-endpoint',
    hub.url,
    '-o',
    'json',
    '--output-file',
    out,
    '--fail-on',
    'never',
  ];
  const first = await runCliAsync(args, { env });
  assert.equal(first.status, 0, first.stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')) as ScanResult;
  const failing = result.findings.filter((f) => f.status === 'fail' || f.status === 'unknown');
  assert.ok(failing.length > 2000, `${failing.length} findings`);
  assert.match(
    first.stderr,
    new RegExp(`Security Hub: ${failing.length} imported, 0 archived, \\d+ requests, 1 re-sent, 0 failed`),
  );
  assert.equal(hub.stored.size, failing.length, 'every finding arrived once the retries were done');
  for (const c of hub.calls) {
    assert.ok(c.findings.length <= 100, `${c.findings.length} findings in one call`);
    assert.ok(c.bytes <= 6 * 1024 * 1024);
  }
  // CVE-2023-52425 is also fixed in python3.11 (bundled expat): the expat source package's finding is the one meant.
  const expat = result.findings.find(
    (f) => f.ruleId === 'CVE-2023-52425' && f.evidence?.packages === 'libexpat1, libexpat1-dev',
  );
  assert.ok(expat);
  const expatAsff = hub.stored.get(`rampart/${expat.id}`);
  assert.equal(expatAsff?.RecordState, 'ACTIVE');

  // Second scan: a VEX statement suppresses the expat finding, so it is closed in Security Hub as ARCHIVED with a
  // newer UpdatedAt and its original CreatedAt; the rest are updated in place.
  const vex = writeExpatVex(join(dir, 'expat.openvex.json'));
  const second = await runCliAsync([...args, '--vex', vex], { env });
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /since the last scan of this image: 0 new, 1 resolved/);
  assert.match(second.stderr, new RegExp(`Security Hub: ${failing.length - 1} imported, 1 archived`));
  const archived = hub.stored.get(`rampart/${expat.id}`);
  assert.equal(archived?.RecordState, 'ARCHIVED');
  assert.equal(archived?.CreatedAt, expatAsff?.CreatedAt);
  assert.ok(String(archived?.UpdatedAt) > String(expatAsff?.UpdatedAt));
});

test('CLI hub push --to securityhub of saved image scans, against local HTTP servers speaking the Security Hub REST/JSON and STS Query wire formats: account from STS GetCallerIdentity, ASFF schema-valid, findings gone from a newer scan of the image re-imported ARCHIVED', {
  skip,
}, async () => {
  const saved = async (name: string, vexFiles?: string[]) => {
    const out = await runImageScan(`dir:${root}`, { cacheDir: cache, store: false, ...(vexFiles ? { vexFiles } : {}) });
    const file = join(dir, name);
    writeFileSync(
      file,
      writeJson(out.result, { toolVersion: 'test', now: new Date(), color: false, showPassed: false }),
    );
    return { file, result: out.result };
  };
  const first = await saved('push-1.json');
  const second = await saved('push-2.json', [writeExpatVex(join(dir, 'push.openvex.json'))]);
  // A newer scan that found nothing: the saved result still names its image (the target), so all is closed.
  const clean = join(dir, 'push-3.json');
  writeFileSync(clean, JSON.stringify({ ...JSON.parse(readFileSync(second.file, 'utf8')), findings: [] }));
  const failing = first.result.findings.filter((f) => f.status === 'fail' || f.status === 'unknown');
  const expat = failing.find(
    (f) => f.ruleId === 'CVE-2023-52425' && f.evidence?.packages === 'libexpat1, libexpat1-dev',
  );
  assert.ok(expat);

  const hub = await startSecurityHubStandIn();
  standIns.push(hub);
  const sts = await startFakeAws({});
  // The record of past imports lives in this push's own cache dir (not the one the scans above used).
  const pushEnv = {
    ...env,
    RAMPART_CACHE_DIR: join(dir, 'push-cache'),
    AWS_ACCOUNT_ID: '',
    AWS_ENDPOINT_URL_STS: sts.url,
  };
  const push = (file: string, cacheDir = join(dir, 'push-cache'), endpoint = hub.url) =>
    runCliAsync(
      ['hub', 'push', file, '--to', 'securityhub', '--region', 'eu-west-1', '--securityhub-endpoint', endpoint],
      { env: { ...pushEnv, RAMPART_CACHE_DIR: cacheDir } },
    );
  // The second push runs as on a fresh CI runner: a cache dir with no record of the first import. What to close
  // and which CreatedAt to keep come from Security Hub's own ACTIVE findings for the image (GetFindings).
  const freshRunnerCache = join(dir, 'push-cache-fresh-runner');
  try {
    const one = await push(first.file);
    assert.equal(one.status, 0, one.stderr);
    assert.match(
      one.stdout,
      new RegExp(
        `Security Hub: ${failing.length} of ${failing.length} findings imported, \\d+ requests, 1 re-sent, 0 failed\n`,
      ),
    );
    assert.ok(sts.requests.some((r) => r.method === 'POST' && r.body.includes('Action=GetCallerIdentity')));
    const created = hub.stored.get(`rampart/${expat.id}`);
    assert.equal(created?.RecordState, 'ACTIVE');
    assert.equal(created?.AwsAccountId, '111122223333', 'the account STS named');
    assert.equal(created?.ProductArn, 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default');

    const two = await push(second.file, freshRunnerCache);
    assert.equal(two.status, 0, two.stderr);
    const lookup = hub.getFindingsRequests.at(-1);
    assert.deepEqual(lookup?.Filters?.ProductFields, [
      {
        Key: 'rampart/ImageKey',
        Value: expat.resource.type === 'image' ? (expat.resource.digest ?? expat.resource.reference) : '',
        Comparison: 'EQUALS',
      },
    ]);
    assert.deepEqual(lookup?.Filters?.RecordState, [{ Value: 'ACTIVE', Comparison: 'EQUALS' }]);
    assert.ok(
      hub.getFindingsRequests.length >= 1 + Math.ceil(failing.length / 100),
      'every page of ACTIVE findings read',
    );
    assert.match(
      two.stdout,
      new RegExp(`${failing.length - 1} of ${failing.length - 1} findings imported, .*, 1 archived`),
    );
    const archived = hub.stored.get(`rampart/${expat.id}`);
    assert.equal(archived?.RecordState, 'ARCHIVED');
    assert.equal(archived?.CreatedAt, created?.CreatedAt, 'CreatedAt kept');
    assert.ok(String(archived?.UpdatedAt) > String(created?.UpdatedAt), 'UpdatedAt strictly newer');
    const other = failing.find((f) => f.id !== expat.id);
    assert.equal(hub.stored.get(`rampart/${other?.id}`)?.RecordState, 'ACTIVE');

    const three = await push(clean, freshRunnerCache);
    assert.equal(three.status, 0, three.stderr);
    assert.match(three.stdout, new RegExp(`0 of 0 findings imported, .*, ${failing.length - 1} archived`));
    assert.deepEqual(
      [...new Set([...hub.stored.values()].map((f) => f.RecordState))],
      ['ARCHIVED'],
      'everything the image had is closed',
    );
    assert.deepEqual(hub.invalid, [], 'every finding, ACTIVE or ARCHIVED, passes the ASFF schema');

    // Without securityhub:GetFindings the push warns and closes against this machine's record of past imports.
    const denied = await startSecurityHubStandIn({ denyGetFindings: true });
    standIns.push(denied);
    const deniedCache = join(dir, 'push-cache-no-get-findings');
    const four = await push(first.file, deniedCache, denied.url);
    assert.equal(four.status, 0, four.stderr);
    assert.match(
      four.stderr,
      /warning: could not read the images' ACTIVE findings from Security Hub \(Security Hub GetFindings: AccessDeniedException/,
    );
    const five = await push(second.file, deniedCache, denied.url);
    assert.equal(five.status, 0, five.stderr);
    assert.match(five.stdout, / 1 archived/);
    assert.equal(denied.stored.get(`rampart/${expat.id}`)?.RecordState, 'ARCHIVED');
  } finally {
    await sts.close();
  }
});

test('imageScanParts: a saved image scan splits into its images; a clean image is keyed by the digest in its target', () => {
  const digest = `sha256:${'c'.repeat(64)}`;
  const finding = makeFinding({
    ruleId: 'CVE-2026-0001',
    title: 'hand-written',
    severity: 'HIGH',
    status: 'fail',
    resource: { type: 'image', reference: 'dir:/x', package: { name: 'bash' } },
  });
  const parts = imageScanParts({
    command: 'image scan',
    targets: [`registry.example/app:1@${digest}`, 'dir:/x'],
    findings: [finding],
    errors: [],
  });
  assert.deepEqual(
    parts.map((p) => [p.key, p.result.targets, p.result.findings.length]),
    [
      [digest, [digest], 0],
      ['dir:/x', ['dir:/x'], 1],
    ],
  );
});

test('Security Hub batching: ≤ 100 findings per call, findings over 240 KB rejected up front', () => {
  const small = Array.from({ length: 250 }, (_, i) => ({ Id: `f${i}`, Description: 'x' }));
  const big = { Id: 'big', Description: 'y'.repeat(250 * 1024) };
  const { batches, oversized } = batchFindings([...small, big]);
  assert.deepEqual(
    batches.map((b) => b.length),
    [100, 100, 50],
  );
  assert.deepEqual(
    oversized.map((o) => o.id),
    ['big'],
  );
});

test('image scan --sbom: CycloneDX and SPDX SBOMs of the image give the same findings; -o cyclonedx validates against CycloneDX 1.6', {
  skip,
}, async () => {
  const inv = await inventoryImage(`dir:${root}`, { cacheDir: false });
  const ctx = { toolVersion: '0.0.0-test', now: new Date('2026-11-27T12:00:00Z') };
  const cdxFile = join(dir, 'sbom.cdx.json');
  const spdxFile = join(dir, 'sbom.spdx.json');
  writeFileSync(cdxFile, toCycloneDx(inv, ctx));
  writeFileSync(spdxFile, toSpdx(inv, ctx));
  const ids = (r: ScanResult) =>
    r.findings
      .filter((f) => f.status === 'fail')
      .map((f) => `${f.ruleId} ${f.evidence?.packages}`)
      .sort();
  const fromImage = await runImageScan(`dir:${root}`, { cacheDir: cache, store: false });
  const fromCdx = await runImageScan(cdxFile, { cacheDir: cache, sbom: true, store: false });
  const fromSpdx = await runImageScan(spdxFile, { cacheDir: cache, sbom: true, store: false });
  assert.ok(ids(fromImage.result).length > 2000);
  assert.deepEqual(ids(fromCdx.result), ids(fromImage.result));
  assert.deepEqual(ids(fromSpdx.result), ids(fromImage.result));

  const bom = JSON.parse(toCycloneDxWithVulnerabilities(fromCdx.inventory, fromCdx.result, ctx)) as {
    vulnerabilities: Array<{ id: string; affects: Array<{ ref: string }> }>;
  };
  const validate = compileSchemaFile(sharedPath('schemas', 'cyclonedx', 'bom-1.6.schema.json') as string, {
    siblings: ['spdx.schema.json', 'jsf-0.82.schema.json', 'cryptography-defs.schema.json'],
  });
  assert.ok(validate(bom), schemaErrors(validate));
  assert.equal(bom.vulnerabilities.length, ids(fromImage.result).length);
  // Every installed binary of the source package is an affected component.
  const expat = bom.vulnerabilities.filter((v) => v.id === 'CVE-2023-52425');
  assert.ok(expat.some((v) => v.affects.length === 2));

  const notSbom = join(dir, 'not-sbom.json');
  writeFileSync(notSbom, '{"hello": 1}');
  await assert.rejects(runImageScan(notSbom, { cacheDir: cache, sbom: true, store: false }), /neither a CycloneDX/);
});

test('image rescan --all: a newer advisory DB yields new and resolved findings from stored SBOMs, without the image', {
  skip,
}, async () => {
  const own = join(dir, 'rescan-cache');
  importAdvisories([sharedPath('vulndb', 'Debian', 'bookworm-changelog-fixes.json') as string], own);
  const moved = join(dir, 'rootfs-rescan');
  mkdirSync(moved);
  const image = join(moved, 'img');
  makeBookwormRootfs(image);
  await runImageScan(`dir:${image}`, { cacheDir: own });
  // The image is gone: a rescan can only use the stored SBOM.
  renameSync(image, join(moved, 'gone'));
  rmSync(join(moved, 'gone'), { recursive: true, force: true });

  const feed = join(dir, 'rescan-feed');
  mkdirSync(feed);
  const record = (modified: string, withdrawn?: string) => ({
    id: 'TEST-RESCAN-1',
    modified,
    ...(withdrawn ? { withdrawn } : {}),
    summary: 'hand-written record for the rescan test',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'bash' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.2.15-9' }] }],
      },
    ],
  });
  writeFileSync(join(feed, 'TEST-RESCAN-1.json'), JSON.stringify(record('2026-11-27T00:00:00Z')));
  importAdvisories([feed], own);
  const added = rescanStoredImages({ cacheDir: own });
  assert.deepEqual(
    added.result.findings.map((f) => [f.ruleId, f.status]),
    [['TEST-RESCAN-1', 'fail']],
  );
  assert.equal(added.changes[0]?.added.length, 1);

  writeFileSync(
    join(feed, 'TEST-RESCAN-1.json'),
    JSON.stringify(record('2026-11-28T00:00:00Z', '2026-11-28T00:00:00Z')),
  );
  importAdvisories([feed], own);
  const cli = await runCliAsync(['image', 'rescan', '--all', '-o', 'json', '--show-passed', '--fail-on', 'never'], {
    env: { RAMPART_CACHE_DIR: own },
  });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stderr, /: 0 new, 1 resolved/);
  const resolved = JSON.parse(cli.stdout) as ScanResult;
  assert.deepEqual(
    resolved.findings.map((f) => [f.ruleId, f.status]),
    [['TEST-RESCAN-1', 'pass']],
  );
});

test('CLI image rescan --all --vex: a stored finding a VEX statement declares not_affected is reported resolved, skipped with the statement as reason', {
  skip,
}, async () => {
  const own = join(dir, 'rescan-vex-cache');
  const feed = join(dir, 'rescan-vex-feed');
  mkdirSync(feed);
  writeFileSync(
    join(feed, 'TEST-RESCAN-VEX.json'),
    JSON.stringify({
      id: 'TEST-RESCAN-VEX',
      modified: '2026-11-27T00:00:00Z',
      summary: 'hand-written record for the rescan --vex test',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'bash' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.2.15-9' }] }],
        },
      ],
    }),
  );
  importAdvisories([feed], own);
  const first = await runImageScan(`dir:${root}`, { cacheDir: own });
  assert.deepEqual(
    first.result.findings.filter((f) => f.status === 'fail').map((f) => f.ruleId),
    ['TEST-RESCAN-VEX'],
  );
  const vex = join(dir, 'bash.openvex.json');
  writeFileSync(
    vex,
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.invalid/vex/bash',
      author: 'test',
      timestamp: '2026-11-28T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'TEST-RESCAN-VEX' },
          products: [{ '@id': 'pkg:deb/debian/bash' }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
      ],
    }),
  );
  const cli = await runCliAsync(['image', 'rescan', '--all', '--vex', vex, '-o', 'json', '--fail-on', 'never'], {
    env: { RAMPART_CACHE_DIR: own },
  });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stderr, /: 0 new, 1 resolved/);
  const out = JSON.parse(cli.stdout) as ScanResult;
  const resolved = out.findings.find((f) => f.ruleId === 'TEST-RESCAN-VEX');
  assert.equal(resolved?.status, 'skipped');
  assert.match(String(resolved?.reason), /VEX not_affected \(vulnerable_code_not_in_execute_path\)/);
  assert.equal(resolved?.evidence?.change, 'resolved');

  const badVex = join(dir, 'bad.openvex.json');
  writeFileSync(badVex, '{"statements": 1}');
  const bad = await runCliAsync(['image', 'rescan', '--all', '--vex', badVex], { env: { RAMPART_CACHE_DIR: own } });
  assert.equal(bad.status, 2, bad.stderr);
  assert.ok(bad.stderr.includes(badVex), bad.stderr);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});

test('CLI image scan --push sends the findings to a real Rampart hub on loopback', { skip }, async () => {
  const hubCache = join(dir, 'hub-cache');
  const hub = await startHub({ cacheDir: hubCache, port: 0, auth: false, version: '0.0.0-test', rematchIntervalMs: 0 });
  try {
    const r = await runCliAsync(
      ['image', 'scan', `dir:${root}`, '--no-store', '--push', hub.url, '-o', 'json', '--fail-on', 'never'],
      { env },
    );
    assert.equal(r.status, 0, r.stderr);
    const sent = (JSON.parse(r.stdout) as ScanResult).findings.length;
    assert.match(r.stderr, new RegExp(`pushed to ${hub.url.replace(/\/$/, '')}: ${sent} findings, ${sent} new`));
  } finally {
    await hub.close();
  }
});
