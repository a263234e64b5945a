import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canIFromFiles, pullAwsSnapshot } from '../../src/access/index.js';
import { ACME_CLUSTER, type FakeAws, startFakeAws } from './support/aws-server.js';
import { runCliAsync } from './support/cli-async.js';

const work = mkdtempSync(join(tmpdir(), 'rampart-aws-live-'));
const credentials = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example-secret',
  AWS_CONFIG_FILE: join(work, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
};
const PAYMENTS = 'arn:aws:iam::111122223333:role/payments-team';
const ADMIN = 'arn:aws:iam::111122223333:role/platform/platform-admin';
const POLICY = 'arn:aws:eks::aws:cluster-access-policy/';

// Our own small snapshot: RBAC binding the entry's Kubernetes group.
const kubeDir = join(work, 'kube');
mkdirSync(kubeDir);
writeFileSync(
  join(kubeDir, 'rbac.yaml'),
  `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: oncall-view, namespace: billing}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: acme:payments-oncall}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
`,
);

let aws: FakeAws;
const saved = { ...process.env };
before(async () => {
  aws = await startFakeAws(
    {
      'acme-prod': {
        ...ACME_CLUSTER,
        _accessEntries: [
          {
            principalArn: PAYMENTS,
            username: 'payments:{{SessionName}}',
            kubernetesGroups: ['acme:payments-oncall'],
            policies: [
              { policyArn: `${POLICY}AmazonEKSViewPolicy`, accessScope: { type: 'cluster' } },
              {
                policyArn: `${POLICY}AmazonEKSEditPolicy`,
                accessScope: { type: 'namespace', namespaces: ['payments'] },
              },
            ],
          },
          {
            principalArn: ADMIN,
            policies: [{ policyArn: `${POLICY}AmazonEKSClusterAdminPolicy`, accessScope: { type: 'cluster' } }],
          },
          {
            principalArn: 'arn:aws:iam::111122223333:role/acme-eks-node',
            type: 'EC2_LINUX',
            kubernetesGroups: ['system:nodes'],
          },
        ],
      },
      legacy: { ...ACME_CLUSTER, name: 'legacy', accessConfig: { authenticationMode: 'CONFIG_MAP' } },
    },
    undefined,
    {
      roles: [PAYMENTS, ADMIN, 'arn:aws:iam::111122223333:role/acme-eks-node'],
      users: ['arn:aws:iam::111122223333:user/ci'],
    },
  );
  Object.assign(process.env, credentials);
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
});
after(async () => {
  await aws.close();
  process.env = saved;
  rmSync(work, { recursive: true, force: true });
});

describe('access pull against a local HTTP server speaking the EKS REST-JSON and IAM Query wire formats', () => {
  test('every access entry, its policies and the IAM listing, all pages, read back by the snapshot loader', async () => {
    const dir = join(work, 'pulled');
    const r = await pullAwsSnapshot({
      name: 'acme-prod',
      region: 'eu-west-1',
      outputDir: dir,
      endpointUrl: aws.url,
      iamEndpointUrl: aws.url,
    });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.snapshot.problems, []);
    assert.deepEqual(readdirSync(dir).sort(), [...r.files].sort());
    assert.equal(r.snapshot.cluster?.authenticationMode, 'API_AND_CONFIG_MAP');
    assert.deepEqual(r.snapshot.listedEntries, [PAYMENTS, ADMIN, 'arn:aws:iam::111122223333:role/acme-eks-node']);
    const payments = r.snapshot.accessEntries.find((e) => e.principalArn === PAYMENTS);
    assert.equal(payments?.username, 'payments:{{SessionName}}');
    assert.deepEqual(payments?.kubernetesGroups, ['acme:payments-oncall']);
    assert.deepEqual(
      payments?.policies.map((p) => [p.policyArn.slice(POLICY.length), p.accessScope.type]),
      [
        ['AmazonEKSViewPolicy', 'cluster'],
        ['AmazonEKSEditPolicy', 'namespace'],
      ],
    );
    assert.equal(r.snapshot.accessEntries.find((e) => e.principalArn.endsWith('acme-eks-node'))?.type, 'EC2_LINUX');
    assert.ok(r.snapshot.iamPrincipals?.has('arn:aws:iam::111122223333:role/platform-admin'), 'path-less spelling');
    assert.ok(r.snapshot.iamPrincipals?.has('arn:aws:iam::111122223333:user/ci'));
    // Paging was followed: one item per page from the server.
    assert.ok(aws.requests.some((q) => q.path.includes('/access-entries?') && q.path.includes('nextToken=1')));
    assert.ok(aws.requests.some((q) => q.body.includes('Action=ListRoles') && q.body.includes('Marker=1')));

    // The pulled directory answers questions like any --aws-snapshot.
    const exec = canIFromFiles([kubeDir, 'create', 'pods'], {
      awsSnapshot: dir,
      namespace: 'payments',
      subresource: 'exec',
      as: 'arn:aws:sts::111122223333:assumed-role/payments-team/alice',
    });
    assert.equal(exec.allowed, true);
    assert.equal(exec.identity.source, 'accessEntry');
    assert.equal(exec.identity.user.name, 'payments:alice');
    const billing = canIFromFiles([kubeDir, 'list', 'pods'], {
      awsSnapshot: dir,
      namespace: 'billing',
      as: 'arn:aws:sts::111122223333:assumed-role/payments-team/alice',
    });
    assert.equal(billing.allowed, true);
  });

  test('CONFIG_MAP cluster: no access-entry calls; IAM refused: a warning, no IAM files', async () => {
    const denying = await startFakeAws(
      { legacy: { ...ACME_CLUSTER, name: 'legacy', accessConfig: { authenticationMode: 'CONFIG_MAP' } } },
      undefined,
      { roles: [], users: [], deny: true },
    );
    try {
      const dir = join(work, 'legacy');
      const r = await pullAwsSnapshot({
        name: 'legacy',
        region: 'eu-west-1',
        outputDir: dir,
        endpointUrl: denying.url,
        iamEndpointUrl: denying.url,
      });
      assert.deepEqual(r.files, ['describe-cluster.json']);
      assert.equal(r.warnings.length, 2);
      assert.match(r.warnings[0] ?? '', /authentication mode CONFIG_MAP: no access entries/);
      assert.match(r.warnings[1] ?? '', /^IAM ListRoles\/ListUsers: AccessDenied: User is not authorized/);
      assert.equal(r.snapshot.iamPrincipals, undefined);
      assert.ok(!denying.requests.some((q) => q.path.includes('access-entries')));
    } finally {
      await denying.close();
    }
  });

  test('CLI: rampart access pull writes the directory; a non-empty directory or an unknown cluster is refused, nothing written', async () => {
    const dir = join(work, 'cli');
    const env = { ...credentials, AWS_PROFILE: '' };
    const pull = (...extra: string[]) =>
      runCliAsync(
        [
          'access',
          'pull',
          '--name',
          'acme-prod',
          '--region',
          'eu-west-1',
          '--output-dir',
          dir,
          '--endpoint-url',
          aws.url,
          ...extra,
        ],
        { env },
      );
    const ok = await pull('--iam-endpoint-url', aws.url);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^wrote 10 API responses to /);
    assert.ok(!ok.stdout.includes('example-secret') && !ok.stderr.includes('example-secret'));
    // In-process from here on: one CLI spawn is enough to prove the wiring (spawns are slow on a loaded machine).
    await assert.rejects(
      pullAwsSnapshot({ name: 'acme-prod', region: 'eu-west-1', outputDir: dir, endpointUrl: aws.url, skipIam: true }),
      (e: Error) => e.name === 'UsageError' && /is not empty; choose a new or empty directory/.test(e.message),
    );
    const missing = join(work, 'missing');
    const unknown = await pullAwsSnapshot({
      name: 'nope',
      region: 'eu-west-1',
      outputDir: missing,
      endpointUrl: aws.url,
      skipIam: true,
    }).catch((e: Error) => e);
    assert.match(String(unknown), /DescribeCluster nope in eu-west-1: ResourceNotFoundException/);
    assert.throws(() => readdirSync(missing));
  });
});
