import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { updateKubeconfig } from '../../src/access/index.js';
import { ACME_CLUSTER, type FakeAws, startFakeAws } from './support/aws-server.js';
import { runCliAsync } from './support/cli-async.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-kubeconfig-'));
writeFileSync(
  join(dir, 'credentials'),
  '[dev-admin]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n',
);
const env = {
  HOME: dir,
  AWS_CONFIG_FILE: join(dir, 'none'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret-example',
};
let aws: FakeAws;
const saved = { ...process.env };
before(async () => {
  aws = await startFakeAws({
    'acme-prod': ACME_CLUSTER,
    creating: { ...ACME_CLUSTER, name: 'creating', status: 'CREATING' },
  });
  Object.assign(process.env, env);
  delete process.env.AWS_PROFILE;
});
after(async () => {
  await aws.close();
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

const ARN = 'arn:aws:eks:eu-west-1:111122223333:cluster/acme-prod';

describe('access kubeconfig against a local HTTP server speaking the EKS DescribeCluster wire format', () => {
  test('KUBECONFIG with several files: the first that already holds the cluster is updated, as the AWS CLI chooses', async () => {
    const a = join(dir, 'kc-a');
    const b = join(dir, 'kc-b');
    const broken = join(dir, 'kc-broken');
    writeFileSync(a, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    writeFileSync(
      b,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: ${ARN}\n  cluster: {server: https://old.example}\n`,
    );
    writeFileSync(broken, 'clusters: [unclosed\n');
    const before = readFileSync(a, 'utf8');
    const r = await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      endpointUrl: aws.url,
      env: { ...env, KUBECONFIG: `${a}:${broken}:${b}` },
    });
    assert.equal(r.path, b);
    assert.equal(r.message, `Updated context ${ARN} in ${b}`);
    assert.equal(readFileSync(a, 'utf8'), before);
    const none = await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      endpointUrl: aws.url,
      dryRun: true,
      env: { ...env, KUBECONFIG: `${a}:${broken}` },
    });
    assert.equal(none.path, a);
    await assert.rejects(
      updateKubeconfig({
        name: 'acme-prod',
        region: 'eu-west-1',
        endpointUrl: aws.url,
        env: { ...env, KUBECONFIG: `${broken}:${a}` },
      }),
      /kubeconfig is not valid YAML/,
    );
  });

  test('writes exactly the update-kubeconfig entries, keeps other entries and unknown fields, mode 0600', async () => {
    const path = join(dir, 'config');
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: https://other.example, x-custom: keep-me}
contexts:
- name: other
  context: {cluster: other, user: other}
users:
- name: other
  user: {token: abc}
current-context: other
x-extension-field: 42
`,
    );
    const r = await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      profile: 'dev-admin',
      kubeconfig: path,
      endpointUrl: aws.url,
    });
    assert.equal(r.message, `Added new context ${ARN} to ${path}`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const k = parse(readFileSync(path, 'utf8'));
    assert.equal(k['x-extension-field'], 42);
    assert.equal(k.clusters[0].cluster['x-custom'], 'keep-me');
    assert.deepEqual(k.clusters[1], {
      cluster: { 'certificate-authority-data': ACME_CLUSTER.certificateAuthority.data, server: ACME_CLUSTER.endpoint },
      name: ARN,
    });
    assert.deepEqual(k.contexts[1], { context: { cluster: ARN, user: ARN }, name: ARN });
    assert.deepEqual(k.users[1], {
      name: ARN,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'acme-prod', '--output', 'json'],
          command: 'aws',
          env: [{ name: 'AWS_PROFILE', value: 'dev-admin' }],
        },
      },
    });
    assert.equal(k['current-context'], ARN);
    assert.ok(
      aws.requests.some(
        (q) =>
          q.method === 'GET' && q.path === '/clusters/acme-prod' && q.authorization?.startsWith('AWS4-HMAC-SHA256'),
      ),
    );

    // Second run with aliases and a role: replaced by name, not duplicated; --alias names the context only.
    const again = await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      kubeconfig: path,
      endpointUrl: aws.url,
      alias: 'prod',
      roleArn: 'arn:aws:iam::111122223333:role/ops',
    });
    assert.equal(again.message, `Updated context prod in ${path}`);
    const k2 = parse(readFileSync(path, 'utf8'));
    assert.equal(k2.clusters.length, 2);
    assert.equal(k2.users.length, 2);
    assert.deepEqual(k2.users[1].user.exec.args.slice(-2), ['--role', 'arn:aws:iam::111122223333:role/ops']);
    assert.equal(k2.users[1].user.exec.env, undefined);
    assert.deepEqual(
      k2.contexts.map((c: { name: string }) => c.name),
      ['other', ARN, 'prod'],
    );
    assert.equal(k2['current-context'], 'prod');
  });

  test('--exec rampart makes Rampart the exec plugin; --dry-run writes nothing', async () => {
    const path = join(dir, 'dry');
    const r = await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      kubeconfig: path,
      endpointUrl: aws.url,
      exec: 'rampart',
      dryRun: true,
      userAlias: 'me',
    });
    assert.equal(r.written, false);
    assert.throws(() => statSync(path));
    const k = parse(r.yaml);
    assert.deepEqual(k.users[0].user.exec.args, ['access', 'token', '--cluster', 'acme-prod', '--region', 'eu-west-1']);
    assert.equal(k.users[0].user.exec.command, 'rampart');
    assert.equal(k.contexts[0].name, 'me');
  });

  test('errors: cluster not ACTIVE, not found, malformed kubeconfig — nothing written', async () => {
    const path = join(dir, 'err');
    await assert.rejects(
      updateKubeconfig({ name: 'creating', region: 'eu-west-1', kubeconfig: path, endpointUrl: aws.url }),
      /Cluster status is CREATING/,
    );
    await assert.rejects(
      updateKubeconfig({ name: 'nope', region: 'eu-west-1', kubeconfig: path, endpointUrl: aws.url }),
      /ResourceNotFoundException/,
    );
    assert.throws(() => statSync(path));
    writeFileSync(path, 'clusters: {not: a list}\n');
    await assert.rejects(
      updateKubeconfig({ name: 'acme-prod', region: 'eu-west-1', kubeconfig: path, endpointUrl: aws.url }),
      (e: Error & { location?: { field?: string; file?: string } }) =>
        e.message === 'must be a list' && e.location?.field === 'clusters' && e.location.file === path,
    );
    assert.equal(readFileSync(path, 'utf8'), 'clusters: {not: a list}\n');
  });

  test('CLI exits 2 with one line on a bad kubeconfig', async () => {
    const path = join(dir, 'cli');
    writeFileSync(path, 'a: [\n');
    const bad = await runCliAsync(
      [
        'access',
        'kubeconfig',
        '--name',
        'acme-prod',
        '--region',
        'eu-west-1',
        '--kubeconfig',
        path,
        '--endpoint-url',
        aws.url,
      ],
      { env },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /kubeconfig is not valid YAML/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });
});
