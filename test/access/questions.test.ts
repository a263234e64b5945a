import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  canIFromFiles,
  formatPermissions,
  loadAwsSnapshot,
  permissionsFromFiles,
  risksFromFiles,
  whoCanFromFiles,
} from '../../src/access/index.js';
import { runCli } from '../support/cli.js';

// Our own example cluster (examples/acme + the EKS API responses in examples/acme-aws).
const ACME = 'examples/acme';
const AWS = 'examples/acme-aws';
const PAYMENTS_TEAM = 'arn:aws:sts::111122223333:assumed-role/payments-team/alice';
const SSO_ADMIN = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_PlatformAdmin_5f1c2a9e8d7b6c43/carol';

describe('access questions over examples/acme', () => {
  test('can-i: IAM role → access entry → EKS Edit policy in its namespace only', () => {
    const yes = canIFromFiles([ACME, 'create', 'pods'], {
      awsSnapshot: AWS,
      as: PAYMENTS_TEAM,
      subresource: 'exec',
      namespace: 'payments',
    });
    assert.equal(yes.allowed, true);
    assert.equal(yes.identity.source, 'accessEntry');
    assert.equal(yes.identity.user.name, 'payments:alice');
    assert.match(yes.reasons[0]?.text ?? '', /AmazonEKSEditPolicy/);
    const no = canIFromFiles([ACME, 'create', 'pods'], {
      awsSnapshot: AWS,
      as: PAYMENTS_TEAM,
      subresource: 'exec',
      namespace: 'storefront',
    });
    assert.equal(no.allowed, false);
    // Explicit groups drop access policies, as impersonation does on EKS.
    const impersonated = canIFromFiles([ACME, 'create', 'pods'], {
      awsSnapshot: AWS,
      as: PAYMENTS_TEAM,
      asGroups: ['acme:payments-oncall'],
      subresource: 'exec',
      namespace: 'payments',
    });
    assert.equal(impersonated.allowed, false);
  });

  test('can-i: SSO role mapped with its path in aws-auth is Unauthorized without access entries, admin with them', () => {
    const cmOnly = canIFromFiles([ACME, 'get', 'secrets'], { as: SSO_ADMIN, namespace: 'payments' });
    assert.equal(cmOnly.allowed, false);
    assert.equal(cmOnly.identity.authenticated, false);
    assert.ok(cmOnly.identity.notes.some((n) => n.includes('path-less ARN')));
    const withEntries = canIFromFiles([ACME, 'get', 'secrets'], {
      awsSnapshot: AWS,
      as: SSO_ADMIN,
      namespace: 'payments',
    });
    assert.equal(withEntries.allowed, true);
    assert.match(withEntries.reasons[0]?.text ?? '', /AmazonEKSClusterAdminPolicy/);
  });

  test('can-i: aws-auth role with a templated group, service account, named secret', () => {
    const dev = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6071/dana@acme.example';
    const exec = canIFromFiles([ACME, 'create', 'pods'], { as: dev, subresource: 'exec', namespace: 'storefront' });
    assert.equal(exec.allowed, true);
    assert.equal(exec.identity.user.name, 'developer:dana-acme.example');
    assert.equal(
      canIFromFiles([ACME, 'create', 'pods'], { as: dev, subresource: 'exec', namespace: 'payments' }).allowed,
      false,
    );
    const sa = 'system:serviceaccount:payments:payments-api';
    assert.equal(
      canIFromFiles([ACME, 'get', 'secrets/ledger-db-credentials'], { as: sa, namespace: 'payments' }).allowed,
      true,
    );
    assert.equal(canIFromFiles([ACME, 'list', 'secrets'], { as: sa, namespace: 'payments' }).allowed, false);
    assert.equal(
      canIFromFiles([ACME, 'get', '/metrics'], { as: 'system:serviceaccount:monitoring:prometheus' }).allowed,
      true,
    );
  });

  test('who-can: subjects with the IAM principals behind them, dead mappings marked inactive', () => {
    const r = whoCanFromFiles([ACME, 'get', 'secrets'], { awsSnapshot: AWS, namespace: 'payments' });
    const deployers = r.rows.find((row) => row.subject.name === 'acme:deployers');
    assert.ok(deployers);
    assert.deepEqual(
      deployers.iam.map((l) => l.principalArn),
      ['arn:aws:iam::111122223333:role/github-deploy', 'arn:aws:iam::111122223333:role/old-jenkins'],
    );
    const masters = r.rows.find((row) => row.subject.name === 'system:masters');
    assert.match(masters?.iam[0]?.inactive ?? '', /path/);
    assert.deepEqual(r.accessPolicies.map((p) => p.principalArn.split('/').at(-1)).sort(), [
      'AWSReservedSSO_PlatformAdmin_5f1c2a9e8d7b6c43',
      'payments-team',
    ]);
  });

  test('risks: the deliberate mistakes of the example, each with file:line', () => {
    const r = risksFromFiles([ACME], { awsSnapshot: AWS });
    const ids = new Set(r.findings.map((f) => f.ruleId));
    for (const id of [
      'ACCESS-AWSAUTH-SSO-PATH',
      'ACCESS-AWSAUTH-SYSTEM-MASTERS',
      'ACCESS-AWSAUTH-IAM-USER',
      'ACCESS-AWSAUTH-MISSING-PRINCIPAL',
      'ACCESS-AWSAUTH-NO-SESSION-NAME',
      'ACCESS-RBAC-SECRETS-READ',
      'ACCESS-RBAC-NODES-PROXY',
      'ACCESS-RBAC-AWS-AUTH-WRITE',
      'ACCESS-RBAC-POD-EXEC',
      'ACCESS-RBAC-DANGLING-BINDING',
      'ACCESS-ENTRY-POWERFUL-POLICY',
    ])
      assert.ok(ids.has(id), id);
    const ssoPath = r.findings.find((f) => f.ruleId === 'ACCESS-AWSAUTH-SSO-PATH');
    assert.equal(ssoPath?.resource.type === 'kubernetes' && ssoPath.resource.line, 16);
    // the named-secret grant of payments-api is not "secrets read"
    assert.ok(
      !r.findings.some((f) => f.ruleId === 'ACCESS-RBAC-SECRETS-READ' && f.description?.includes('payments-api')),
    );
    assert.deepEqual(
      r.errors.filter((e) => e.level === 'error'),
      [],
    );
  });

  test('bad snapshot path: input error naming it', () => {
    assert.throws(
      () => whoCanFromFiles(['no/such/dir', 'get', 'pods'], {}),
      /no\/such\/dir: no such file or directory/,
    );
    assert.throws(() => canIFromFiles([ACME, 'get', 'pods', 'extra'], { as: 'x' }), /unexpected arguments: extra/);
  });

  test('AWS snapshot: malformed JSON is an input error naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-aws-'));
    try {
      writeFileSync(join(dir, 'describe-cluster.json'), '{"cluster": ');
      assert.throws(
        () => loadAwsSnapshot(dir),
        (e: Error) =>
          e.message.includes('not valid JSON') &&
          (e as { location?: { file?: string } }).location?.file?.endsWith('describe-cluster.json') === true,
      );
      writeFileSync(
        join(dir, 'describe-cluster.json'),
        '{"cluster": {"accessConfig": {"authenticationMode": "BOGUS"}}}',
      );
      assert.throws(() => loadAwsSnapshot(dir), /unknown authenticationMode BOGUS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rampart access CLI', () => {
  // One spawn per test: the CLI runs from sources and each start costs seconds on a loaded machine.
  test('can-i prints yes with exit 0 and the reason', () => {
    const yes = runCli([
      'access',
      'can-i',
      ACME,
      'get',
      '/metrics',
      '--as',
      'system:serviceaccount:monitoring:prometheus',
    ]);
    assert.equal(yes.status, 0, yes.stderr);
    assert.match(yes.stdout, /^yes\n/);
    assert.match(yes.stdout, /ClusterRoleBinding prometheus/);
  });

  test('risks -o json exits 1 on findings', () => {
    const r = runCli(['access', 'risks', ACME, '--aws-snapshot', AWS, '-o', 'json']);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(JSON.parse(r.stdout).findings.length >= 10);
  });
});

describe('access permissions', () => {
  test('an IAM role through aws-auth: cluster-wide and per-namespace rules with their bindings', () => {
    const r = permissionsFromFiles(
      [ACME, 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6071/dana'],
      {},
    );
    assert.equal(r.identity.user.name, 'developer:dana');
    assert.deepEqual([...new Set(r.rows.map((row) => row.scope))], ['*', 'storefront']);
    assert.ok(r.rows.some((row) => row.scope === 'storefront' && row.rule.resources?.includes('pods/exec')));
    assert.match(
      formatPermissions(r, 'text'),
      /RoleBinding storefront\/developers for Group acme:developers → Role developer/,
    );
  });

  test('an access entry: its policies per scope', () => {
    const r = permissionsFromFiles([ACME, 'arn:aws:iam::111122223333:role/payments-team'], { awsSnapshot: AWS });
    assert.ok(r.rows.length > 0);
    assert.ok(r.rows.every((row) => row.scope === 'payments'));
    assert.ok(r.rows.every((row) => row.via.via === 'access-policy'));
  });
});
