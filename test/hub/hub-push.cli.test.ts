import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Finding, makeFinding, type ResourceRef, type ScanResult } from '../../src/core/index.js';
import { startHub } from '../../src/hub/index.js';
import { writeJson } from '../../src/report/index.js';
import { runCliAsync } from '../support/cli.js';
import { startSecurityHubStandIn } from '../support/securityhub.js';
import { sharedSkipReason } from '../support/shared.js';

const skipSchemas = sharedSkipReason('schemas');
let dir: string;
let file: string;
let result: ScanResult;
const env: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: 'AKIDTEST',
  AWS_SECRET_ACCESS_KEY: 'test-secret',
  AWS_REGION: '',
  AWS_PROFILE: '',
  AWS_ACCOUNT_ID: '',
  RAMPART_HUB_TOKEN: '',
};

/** 230 findings over every resource type, written by the real `-o json` writer: 3 BatchImportFindings calls. */
function savedResult(): ScanResult {
  const resources: ResourceRef[] = [
    {
      type: 'kubernetes',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      file: 'web.yaml',
      line: 3,
    },
    {
      type: 'image',
      reference: 'registry.example/app:1.0',
      digest: `sha256:${'a'.repeat(64)}`,
      package: { name: 'openssl', version: '3.0.11' },
    },
    { type: 'aws', arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/prod', resourceType: 'AwsEksCluster' },
    { type: 'file', path: 'Dockerfile', line: 12, column: 1 },
  ];
  const findings: Finding[] = [];
  for (let i = 0; i < 230; i++) {
    const resource = resources[i % resources.length] as ResourceRef;
    const unknown = i % 50 === 7;
    findings.push(
      makeFinding({
        ruleId: `TEST-${i % 9}`,
        title: `test finding ${i}`,
        description: 'hand-written case for hub push',
        severity: (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const)[i % 5] as Finding['severity'],
        status: unknown ? 'unknown' : 'fail',
        ...(unknown ? { reason: 'data missing' } : {}),
        resource,
        discriminator: String(i),
        evidence: { index: i },
        remediation: 'fix it',
      }),
    );
  }
  return { command: 'lint', targets: ['examples/acme'], findings, errors: [] };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-hub-push-'));
  result = savedResult();
  file = join(dir, 'saved.json');
  writeFileSync(file, writeJson(result, { toolVersion: 'test', now: new Date(), color: false, showPassed: false }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('CLI hub push --to securityhub against a local HTTP server speaking the Security Hub REST/JSON wire format: every finding ASFF schema-valid, ≤ 100 per call, throttling and FailedFindings retried', {
  skip: skipSchemas,
}, async () => {
  const sh = await startSecurityHubStandIn();
  try {
    const run = await runCliAsync(
      [
        'hub',
        'push',
        file,
        '--to',
        'securityhub',
        '--region',
        'eu-west-1',
        '--aws-account-id',
        '111122223333',
        '--securityhub-endpoint',
        sh.url,
        '--cluster',
        'prod',
      ],
      { env },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(sh.invalid, [], 'every finding passes the ASFF schema');
    assert.match(run.stdout, /Security Hub: 230 of 230 findings imported, \d+ requests, 1 re-sent, 0 failed/);
    assert.equal(sh.stored.size, 230);
    assert.ok(sh.calls.length >= 3);
    for (const c of sh.calls) assert.ok(c.findings.length <= 100, `${c.findings.length} findings in one call`);
    for (const f of result.findings) {
      const asff = sh.stored.get(`rampart/${f.id}`);
      assert.ok(asff, `finding ${f.id} imported under its stable id`);
      assert.equal(asff.AwsAccountId, '111122223333');
    }
  } finally {
    await sh.close();
  }
});

test('CLI hub push: a malformed findings file exits 2 naming the file and the field, without a stack trace', async () => {
  const doc = JSON.parse(writeJson(result, { toolVersion: 't', now: new Date(), color: false, showPassed: false }));
  doc.findings[4].resource = { type: 'kubernetes', name: 'web' };
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify(doc));
  const run = await runCliAsync(['hub', 'push', bad, '--to', 'securityhub', '--region', 'eu-west-1'], { env });
  assert.equal(run.status, 2);
  assert.ok(run.stderr.includes(`${bad}: findings[4].resource.kind: missing or empty`), run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /);

  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{"findings": [');
  const second = await runCliAsync(['hub', 'push', notJson, '--to', 'http://127.0.0.1:1'], { env });
  assert.equal(second.status, 2);
  assert.ok(second.stderr.includes(`${notJson}: not JSON`), second.stderr);

  const badTarget = await runCliAsync(['hub', 'push', file, '--to', 'elsewhere'], { env });
  assert.equal(badTarget.status, 2);
  assert.match(badTarget.stderr, /--to elsewhere: expected "securityhub" or a hub URL/);
});

test('CLI hub push --to <hub url> sends the saved result to a real hub (SQLite, 127.0.0.1, port 0), token from $RAMPART_HUB_TOKEN', async () => {
  const hub = await startHub({
    port: 0,
    db: join(dir, 'hub.sqlite'),
    cacheDir: join(dir, 'cache'),
    version: 'test',
    rematchIntervalMs: 0,
  });
  try {
    const token = hub.newToken ?? '';
    assert.ok(token);
    const denied = await runCliAsync(['hub', 'push', file, '--to', hub.url], { env });
    assert.equal(denied.status, 2);
    assert.match(denied.stderr, /RAMPART_HUB_TOKEN/);

    const run = await runCliAsync(['hub', 'push', file, '--to', hub.url, '--cluster', 'prod'], {
      env: { ...env, RAMPART_HUB_TOKEN: token },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /pushed to http:\/\/127\.0\.0\.1:\d+: 230 findings, 230 new, 0 reopened, 0 resolved/);
    const again = await runCliAsync(['hub', 'push', file, '--to', hub.url, '--cluster', 'prod'], {
      env: { ...env, RAMPART_HUB_TOKEN: token },
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /230 findings, 0 new, 0 reopened, 0 resolved/);
  } finally {
    await hub.close();
  }
});

test('CLI hub push --to securityhub of a real `audit -o json` result, against a local HTTP server speaking the Security Hub REST/JSON wire format: every finding ASFF schema-valid', {
  skip: skipSchemas,
}, async () => {
  const saved = join(dir, 'audit.json');
  const audit = await runCliAsync([
    'audit',
    'examples/acme',
    '-o',
    'json',
    '--output-file',
    saved,
    '--fail-on',
    'never',
  ]);
  assert.equal(audit.status, 0, audit.stderr);
  const doc = JSON.parse(readFileSync(saved, 'utf8')) as { findings: Array<{ status: string }> };
  const reported = doc.findings.filter((f) => f.status === 'fail' || f.status === 'unknown').length;
  assert.ok(reported > 50, `${reported} findings`);
  const sh = await startSecurityHubStandIn();
  try {
    const run = await runCliAsync(
      ['hub', 'push', saved, '--to', 'securityhub', '--region', 'eu-west-1', '--securityhub-endpoint', sh.url],
      { env: { ...env, AWS_ACCOUNT_ID: '111122223333' } },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(sh.invalid, [], 'every finding passes the ASFF schema');
    assert.equal(sh.stored.size, reported);
    assert.match(run.stdout, new RegExp(`Security Hub: ${reported} of ${reported} findings imported`));
  } finally {
    await sh.close();
  }
});
