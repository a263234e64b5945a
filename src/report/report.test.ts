import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { compileSchemaFile, schemaErrors } from '../../test/support/schemas.js';
import { sharedPath, sharedSkipReason } from '../../test/support/shared.js';
import { type Finding, makeFinding, type ScanResult, UsageError } from '../core/index.js';
import {
  exitCodeFor,
  filterByRules,
  OUTPUT_SCHEMA_VERSION,
  parseFailOn,
  shouldColor,
  toAsffFindings,
  type WriterContext,
  writerFor,
} from './index.js';

// biome-ignore lint/suspicious/noExplicitAny: ASFF documents are checked by the schema, then read loosely
type AsffDoc = Record<string, any>; // also used for SARIF documents

const ctx: WriterContext = {
  toolVersion: '0.1.0',
  now: new Date('2026-11-27T10:00:00.000Z'),
  color: false,
  showPassed: true,
  aws: { accountId: '111122223333', region: 'eu-west-1' },
  cluster: 'acme-prod',
};

const k8s = makeFinding({
  ruleId: 'POD-001',
  pillar: 'config',
  title: 'Container runs privileged',
  description: 'A privileged container has every capability of the host.',
  severity: 'HIGH',
  status: 'fail',
  resource: {
    type: 'kubernetes',
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'web',
    file: 'k8s/web.yaml',
    line: 12,
  },
  evidence: { container: 'web', field: 'spec.template.spec.containers[0].securityContext.privileged' },
  remediation: 'Remove securityContext.privileged.',
  references: [
    { id: 'PSS-baseline:privileged', url: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/' },
  ],
  discriminator: 'web',
});
const unknown = makeFinding({
  ruleId: 'NET-010',
  pillar: 'network',
  title: 'NetworkPolicy enforcement',
  severity: 'MEDIUM',
  status: 'unknown',
  reason: 'no enforcing CNI found in the snapshot',
  resource: { type: 'kubernetes', kind: 'Namespace', name: 'shop' },
});
const passed = makeFinding({
  ruleId: 'POD-002',
  title: 'runAsNonRoot set',
  severity: 'LOW',
  status: 'pass',
  resource: { type: 'file', path: 'docker/web.Dockerfile', line: 3 },
});
const ecrVuln = makeFinding({
  ruleId: 'VULN-OS',
  pillar: 'vulnerability',
  title: 'CVE-2024-0001 in openssl',
  severity: 'CRITICAL',
  status: 'fail',
  resource: {
    type: 'image',
    reference: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/acme/web:1.4.2',
    digest: `sha256:${'a'.repeat(64)}`,
    layer: `sha256:${'b'.repeat(64)}`,
    package: { name: 'openssl', version: '3.0.11-1~deb12u1', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1' },
  },
  details: {
    vulnerability: {
      id: 'CVE-2024-0001',
      aliases: ['CVE-2024-0001', 'DSA-5500-1'],
      package: { name: 'openssl', version: '3.0.11-1~deb12u1', ecosystem: 'deb', fixedVersion: '3.0.13-1~deb12u1' },
      cvss: [{ version: '3.1', score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', source: 'nvd' }],
      vendorSeverity: 'high',
      vendor: { name: 'Debian', url: 'https://security-tracker.debian.org/tracker/CVE-2024-0001' },
      references: ['https://example.org/advisory'],
    },
  },
  discriminator: 'CVE-2024-0001',
});
const hubVuln = makeFinding({
  ruleId: 'VULN-LANG',
  title: 'GHSA-xxxx in lodash',
  severity: 'MEDIUM',
  status: 'fail',
  resource: { type: 'image', reference: 'docker.io/library/node:20', package: { name: 'lodash', version: '4.17.20' } },
  details: {
    vulnerability: { id: 'GHSA-35jh-r3h4-6jhm', package: { name: 'lodash', version: '4.17.20', ecosystem: 'npm' } },
  },
});
const aws = makeFinding({
  ruleId: 'ACC-001',
  title: 'Role maps to system:masters',
  severity: 'CRITICAL',
  status: 'fail',
  resource: { type: 'aws', arn: 'arn:aws:iam::111122223333:role/admin', resourceType: 'AwsIamRole' },
});

const result: ScanResult = {
  command: 'test all',
  targets: ['examples/acme'],
  findings: [passed, unknown, k8s, ecrVuln, hubVuln, aws],
  errors: [{ level: 'error', file: 'k8s/broken.yaml', line: 4, message: 'malformed YAML/JSON document 1: bad' }],
};

describe('SARIF', () => {
  test('validates against the SARIF 2.1.0 schema', { skip: sharedSkipReason('schemas', 'sarif') }, () => {
    const validate = compileSchemaFile(sharedPath('schemas', 'sarif', 'sarif-schema-2.1.0.json') as string);
    const doc = JSON.parse(writerFor('sarif')(result, ctx)) as AsffDoc;
    assert.ok(validate(doc), schemaErrors(validate));
    const run = doc.runs[0];
    assert.equal(run.results.length, 6);
    const byRule = Object.fromEntries(run.results.map((r: { ruleId: string }) => [r.ruleId, r]));
    assert.equal(byRule['POD-001'].level, 'error');
    assert.equal(byRule['POD-001'].locations[0].physicalLocation.region.startLine, 12);
    assert.equal(byRule['NET-010'].kind, 'open');
    assert.equal(byRule['NET-010'].level, 'none');
    assert.equal(byRule['POD-001'].partialFingerprints['rampartFindingId/v1'], k8s.id);
    assert.equal(run.invocations[0].executionSuccessful, false);
  });
});

describe('ASFF', () => {
  test('every finding validates against the derived ASFF schema, and a batch request too', {
    skip: sharedSkipReason('schemas', 'aws'),
  }, () => {
    const asffSchema = sharedPath('schemas', 'aws', 'asff-AwsSecurityFinding.derived.schema.json') as string;
    const validateOne = compileSchemaFile(asffSchema);
    const validateBatch = compileSchemaFile(asffSchema, { ref: '#/$defs/BatchImportFindingsRequest' });
    assert.ok(validateOne);
    const findings = JSON.parse(writerFor('asff')(result, ctx)) as Record<string, unknown>[];
    assert.equal(findings.length, 6);
    for (const f of findings)
      assert.ok(validateOne(f), `${f.Id}: ${JSON.stringify(validateOne.errors?.slice(0, 5), null, 2)}`);
    assert.ok(validateBatch({ Findings: findings }), JSON.stringify(validateBatch.errors?.slice(0, 3)));
    const byGen = Object.fromEntries(findings.map((f) => [f.GeneratorId, f])) as Record<string, AsffDoc>;
    const vuln = byGen['rampart/VULN-OS'] as AsffDoc;
    assert.equal(vuln.Resources[0].Type, 'AwsEcrContainerImage');
    assert.equal(
      vuln.Resources[0].Id,
      `arn:aws:ecr:eu-west-1:111122223333:repository/acme/web/sha256:${'a'.repeat(64)}`,
    );
    assert.equal(vuln.Vulnerabilities[0].FixAvailable, 'YES');
    assert.equal(vuln.Compliance, undefined);
    assert.equal(byGen['rampart/VULN-LANG']?.Resources[0].Type, 'Container');
    assert.equal(byGen['rampart/NET-010']?.Compliance.Status, 'NOT_AVAILABLE');
    assert.equal(byGen['rampart/POD-002']?.Compliance.Status, 'PASSED');
    assert.equal(
      byGen['rampart/POD-001']?.ProductArn,
      'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default',
    );
    assert.equal(byGen['rampart/POD-001']?.Resources[0].Id, 'k8s://acme-prod/shop/Deployment/web');
  });

  test('needs an account and a Region, and says which flag gives them', () => {
    assert.throws(
      () => toAsffFindings(result, { ...ctx, aws: {} }),
      (e: unknown) => e instanceof UsageError && /--aws-account-id/.test(e.message),
    );
  });
});

describe('JSON and YAML', () => {
  test('carry the schema version, summary, flattened resources and input errors', () => {
    const doc = JSON.parse(writerFor('json')(result, ctx));
    assert.equal(doc.schemaVersion, OUTPUT_SCHEMA_VERSION);
    assert.deepEqual(doc.summary.byStatus, { fail: 4, unknown: 1, skipped: 0, pass: 1 });
    assert.equal(doc.findings[0].severity, 'CRITICAL');
    const web = doc.findings.find((f: Finding) => f.ruleId === 'POD-001');
    assert.deepEqual(web.resource, {
      type: 'kubernetes',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      file: 'k8s/web.yaml',
      line: 12,
    });
    assert.equal(doc.errors[0].file, 'k8s/broken.yaml');
    assert.deepEqual(parseYaml(writerFor('yaml')(result, ctx)), doc);
  });
});

describe('table', () => {
  test('lists fail and unknown with reasons and locations, no escapes without colour', () => {
    const text = writerFor('table')(result, { ...ctx, showPassed: false });
    assert.match(text, /POD-001 .*Deployment shop\/web.*k8s\/web\.yaml:12/);
    assert.match(text, /no enforcing CNI found/);
    assert.doesNotMatch(text, /POD-002/);
    assert.doesNotMatch(text, /\x1b\[/);
    assert.match(text, /1 input problems:\n {2}error: k8s\/broken\.yaml:4: malformed/);
  });
  test('colour only on a TTY and never with NO_COLOR', () => {
    assert.equal(shouldColor({ isTTY: true }, {}), true);
    assert.equal(shouldColor({ isTTY: false }, {}), false);
    assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  });
});

describe('selection and exit codes', () => {
  test('--rules globs select by rule id', () => {
    assert.deepEqual(
      filterByRules(result.findings, ['POD-*'])
        .map((f) => f.ruleId)
        .sort(),
      ['POD-001', 'POD-002'],
    );
    assert.deepEqual(
      filterByRules(result.findings, ['VULN-OS,ACC-*'])
        .map((f) => f.ruleId)
        .sort(),
      ['ACC-001', 'VULN-OS'],
    );
  });
  test('0 below --fail-on, 1 at or above it, 2 when inputs could not be read', () => {
    const clean = { ...result, errors: [] };
    assert.equal(exitCodeFor(clean, parseFailOn('CRITICAL')), 1);
    assert.equal(exitCodeFor({ ...clean, findings: [k8s] }, parseFailOn('critical')), 0);
    assert.equal(exitCodeFor({ ...clean, findings: [k8s] }, parseFailOn('HIGH')), 1);
    assert.equal(exitCodeFor({ ...clean, findings: [{ ...k8s, suppression: { reason: 'accepted' } }] }, 'LOW'), 0);
    assert.equal(exitCodeFor({ ...clean, findings: [unknown, passed] }, 'INFO'), 0);
    assert.equal(exitCodeFor(clean, 'never'), 0);
    assert.equal(exitCodeFor(result, 'never'), 2);
    assert.throws(() => parseFailOn('severe'), UsageError);
  });
  test('finding ids are stable and distinguish discriminators; unknown needs a reason', () => {
    const again = makeFinding({ ...k8s, discriminator: 'web' });
    assert.equal(again.id, k8s.id);
    assert.notEqual(makeFinding({ ...k8s, discriminator: 'sidecar' }).id, k8s.id);
    assert.throws(() => makeFinding({ ...unknown, reason: undefined }));
  });
});
