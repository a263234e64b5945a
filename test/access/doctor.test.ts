import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { judgeAwsCliVersion, runDoctor, ssoTokenCachePath, updateKubeconfig } from '../../src/access/index.js';
import { missingTool } from '../support/tools.js';
import { ACME_CLUSTER, type FakeAws, startFakeAws } from './support/aws-server.js';
import { type FakeKube, type KubeUser, startFakeKube } from './support/kube-server.js';

const home = mkdtempSync(join(tmpdir(), 'rampart-doctor-'));
const bin = join(home, 'bin');
mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
mkdirSync(bin);
writeFileSync(
  join(home, 'config'),
  '[profile dev-admin]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n',
);
// Static keys for the same profile let the SDK sign requests to the local server without an SSO portal; the AWS CLI
// (and our classifier) still sees an SSO profile.
writeFileSync(
  join(home, 'credentials'),
  '[dev-admin]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = example-secret\n',
);
writeFileSync(ssoTokenCachePath('corp', home), JSON.stringify({ accessToken: 't', expiresAt: '2099-01-01T00:00:00Z' }));
const kubectl = join(home, 'kubectl');
writeFileSync(kubectl, '#!/bin/sh\necho \'{"clientVersion":{"major":"1","minor":"30","gitVersion":"v1.30.2"}}\'\n');
chmodSync(kubectl, 0o755);

/** A fake `aws` on PATH printing the given `--version` line (to stdout, or stderr as AWS CLI v1 once did). */
function fakeAws(versionLine: string, stream: 'stdout' | 'stderr' = 'stdout') {
  writeFileSync(join(bin, 'aws'), `#!/bin/sh\necho '${versionLine}'${stream === 'stderr' ? ' >&2' : ''}\n`);
  chmodSync(join(bin, 'aws'), 0o755);
}
fakeAws('aws-cli/2.22.35 Python/3.12.6 Linux/6.1.0 exe/x86_64.debian.12');

const env = {
  PATH: `${bin}:${process.env.PATH}`,
  HOME: home,
  AWS_CONFIG_FILE: join(home, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
};
const SSO_ROLE =
  'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Developer_0a1b2c3d4e5f6071';
const DANA: KubeUser = {
  username: 'sso:dana',
  uid: 'aws-iam-authenticator:111122223333:AROAEXAMPLE',
  groups: ['dev'],
  extra: { arn: ['arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6071/dana'] },
};

const noOpenssl = missingTool('openssl');
let aws: FakeAws;
let kube: FakeKube | undefined;
const saved = { ...process.env };
const clusterOn = (k: FakeKube | undefined, mode: string) => ({
  ...ACME_CLUSTER,
  ...(k ? { endpoint: k.url, certificateAuthority: { data: k.caData } } : {}),
  accessConfig: { authenticationMode: mode },
});
before(async () => {
  if (!noOpenssl)
    kube = await startFakeKube({
      users: { AKIDEXAMPLE: DANA },
      allow: (_user, spec) => ({
        allowed: spec.resourceAttributes?.verb === 'list' && spec.resourceAttributes?.resource === 'pods',
        reason: 'RBAC: allowed by RoleBinding "dev-view/default" of ClusterRole "view" to Group "dev"',
      }),
      awsAuth: 403,
    });
  aws = await startFakeAws({
    'acme-prod': { ...clusterOn(kube, 'API_AND_CONFIG_MAP'), _accessEntries: [SSO_ROLE] },
    'acme-configmap': { ...clusterOn(kube, 'CONFIG_MAP'), name: 'acme-configmap' },
  });
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete process.env[k];
  Object.assign(process.env, env);
});
after(async () => {
  await aws.close();
  await kube?.close();
  process.env = saved;
  rmSync(home, { recursive: true, force: true });
});

const statusOf = (r: Awaited<ReturnType<typeof runDoctor>>) =>
  Object.fromEntries(r.findings.map((f) => [f.ruleId, f.status]));
const finding = (r: Awaited<ReturnType<typeof runDoctor>>, ruleId: string) =>
  r.findings.find((f) => f.ruleId === ruleId);
const base = () => ({
  profile: 'dev-admin',
  region: 'eu-west-1',
  name: 'acme-prod',
  kubeconfig: join(home, 'kube'),
  endpointUrl: aws.url,
  env,
  kubectl,
});

describe('access doctor against local HTTP servers speaking the EKS and STS wire formats and the Kubernetes authentication/authorization API (HTTPS)', {
  skip: noOpenssl,
}, () => {
  test('every check, with the fixing command when it fails', async () => {
    const opts = { ...base(), checks: ['list pods', 'create pods --subresource exec'] };
    const first = await runDoctor(opts);
    assert.deepEqual(statusOf(first), {
      'ACCESS-DOCTOR-PROFILE': 'pass',
      'ACCESS-DOCTOR-SSO-TOKEN': 'pass',
      'ACCESS-DOCTOR-AWS-CLI': 'pass',
      'ACCESS-DOCTOR-CREDENTIALS': 'pass',
      'ACCESS-DOCTOR-CLUSTER': 'pass',
      'ACCESS-DOCTOR-ENDPOINT': 'pass',
      'ACCESS-DOCTOR-KUBECONFIG': 'fail',
      'ACCESS-DOCTOR-KUBECTL': 'pass',
      'ACCESS-DOCTOR-WHOAMI': 'pass',
      'ACCESS-DOCTOR-CAN-I': 'fail',
      'ACCESS-DOCTOR-MAPPED': 'pass',
    });
    const canI = first.findings.filter((f) => f.ruleId === 'ACCESS-DOCTOR-CAN-I');
    assert.deepEqual(
      canI.map((f) => [f.title, f.status]),
      [
        ['may list pods in namespace default (SelfSubjectAccessReview)', 'pass'],
        ['may create pods/exec in namespace default (SelfSubjectAccessReview)', 'fail'],
      ],
    );
    assert.notEqual(canI[0]?.id, canI[1]?.id);
    assert.match(canI[0]?.description ?? '', /RoleBinding "dev-view\/default"/);
    assert.equal(
      canI[1]?.remediation,
      'rampart access grant --iam-arn "$(aws iam get-role --role-name AWSReservedSSO_Developer_0a1b2c3d4e5f6071 --query Role.Arn --output text)" -n default --role view --cluster-name acme-prod',
    );
    assert.match(
      finding(first, 'ACCESS-DOCTOR-WHOAMI')?.description ?? '',
      /authenticated as sso:dana; groups dev, system:authenticated; arn arn:aws:sts::/,
    );
    assert.equal(finding(first, 'ACCESS-DOCTOR-AWS-CLI')?.description, 'aws-cli 2.22.35');
    // The wire format the API server saw: SelfSubjectReview v1, then one SelfSubjectAccessReview per check.
    const reviews = (kube as FakeKube).requests.filter((r) => r.method === 'POST');
    assert.equal(reviews[0]?.path, '/apis/authentication.k8s.io/v1/selfsubjectreviews');
    assert.deepEqual(JSON.parse(reviews[0]?.body ?? '{}'), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    assert.deepEqual(JSON.parse(reviews[2]?.body ?? '{}'), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace: 'default' },
      },
    });
    const kc = finding(first, 'ACCESS-DOCTOR-KUBECONFIG');
    assert.equal(kc?.remediation, 'rampart access kubeconfig --profile dev-admin --region eu-west-1 --name acme-prod');
    await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      profile: 'dev-admin',
      kubeconfig: opts.kubeconfig,
      endpointUrl: aws.url,
    });
    assert.equal(statusOf(await runDoctor(opts))['ACCESS-DOCTOR-KUBECONFIG'], 'pass');
    // Several KUBECONFIG files: the context is found in the file that holds the cluster, as kubectl merges them.
    const other = join(home, 'kube-other');
    writeFileSync(other, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    const merged = await runDoctor({
      ...opts,
      kubeconfig: undefined,
      env: { ...env, KUBECONFIG: `${other}:${opts.kubeconfig}` },
    });
    assert.equal(finding(merged, 'ACCESS-DOCTOR-KUBECONFIG')?.status, 'pass');
  });

  test('token rejected (HTTP 401): not mapped, access checks unknown, the aws-auth fix proposed', async () => {
    const stranger = await startFakeKube({
      users: {},
      awsAuth: { mapRoles: `- rolearn: ${SSO_ROLE}\n  username: dana\n  groups: [dev]\n` },
    });
    const aws2 = await startFakeAws({
      'acme-configmap': { ...clusterOn(stranger, 'CONFIG_MAP'), name: 'acme-configmap' },
    });
    try {
      const r = await runDoctor({ ...base(), name: 'acme-configmap', endpointUrl: aws2.url });
      assert.equal(finding(r, 'ACCESS-DOCTOR-WHOAMI')?.status, 'fail');
      assert.match(
        finding(r, 'ACCESS-DOCTOR-WHOAMI')?.description ?? '',
        /^HTTP 401: Unauthorized: arn:aws:iam::111122223333:role\/AWSReservedSSO_Developer_0a1b2c3d4e5f6071 is not mapped/,
      );
      assert.equal(finding(r, 'ACCESS-DOCTOR-CAN-I')?.status, 'unknown');
      const mapped = finding(r, 'ACCESS-DOCTOR-MAPPED');
      assert.equal(mapped?.status, 'fail');
      assert.match(mapped?.remediation ?? '', /--via aws-auth$/);
    } finally {
      await aws2.close();
      await stranger.close();
    }
  });

  test('CONFIG_MAP cluster: aws-auth read live through the Kubernetes API (mapped, path mistake, forbidden)', async () => {
    const cases: Array<[Record<string, string> | 403, string, RegExp]> = [
      [
        {
          mapRoles: `- rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Developer_0a1b2c3d4e5f6071\n  username: sso:{{SessionName}}\n  groups: [dev]\n`,
        },
        'pass',
        /^aws-auth mapRoles .* → sso:dana \(groups dev\)$/,
      ],
      [
        { mapRoles: `- rolearn: ${SSO_ROLE}\n  username: dana\n  groups: [dev]\n` },
        'fail',
        /aws-auth only matches the path-less ARN/,
      ],
      [
        403,
        'pass',
        /authenticated as sso:dana \(SelfSubjectReview\); aws-auth not readable: HTTP 403: configmaps "aws-auth" is forbidden/,
      ],
    ];
    for (const [awsAuth, expected, detail] of cases) {
      const k = await startFakeKube({ users: { AKIDEXAMPLE: DANA }, awsAuth });
      const a = await startFakeAws({ 'acme-configmap': { ...clusterOn(k, 'CONFIG_MAP'), name: 'acme-configmap' } });
      try {
        const r = await runDoctor({ ...base(), name: 'acme-configmap', endpointUrl: a.url });
        const mapped = finding(r, 'ACCESS-DOCTOR-MAPPED');
        assert.equal(mapped?.status, expected, mapped?.description);
        assert.match(mapped?.description ?? '', detail);
        assert.ok(k.requests.some((q) => q.path === '/api/v1/namespaces/kube-system/configmaps/aws-auth'));
      } finally {
        await a.close();
        await k.close();
      }
    }
  });

  test('endpoint: limited CIDRs but answering is reachable; a refused connection fails with the reason', async () => {
    const limited = {
      ...clusterOn(kube, 'API'),
      _accessEntries: [SSO_ROLE],
      resourcesVpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24'] },
    };
    const closed = { ...limited, endpoint: 'https://127.0.0.1:1' };
    const a = await startFakeAws({ 'acme-prod': limited, closed: { ...closed, name: 'closed' } });
    try {
      const ok = finding(await runDoctor({ ...base(), endpointUrl: a.url }), 'ACCESS-DOCTOR-ENDPOINT');
      assert.equal(ok?.status, 'pass');
      assert.equal(ok?.description, 'public endpoint limited to 203.0.113.0/24; the API server answered from here');
      const r = await runDoctor({ ...base(), name: 'closed', endpointUrl: a.url });
      assert.equal(finding(r, 'ACCESS-DOCTOR-ENDPOINT')?.status, 'fail');
      assert.match(
        finding(r, 'ACCESS-DOCTOR-ENDPOINT')?.description ?? '',
        /cannot reach https:\/\/127\.0\.0\.1:1: ECONNREFUSED$/,
      );
      assert.match(finding(r, 'ACCESS-DOCTOR-ENDPOINT')?.remediation ?? '', /publicAccessCidrs=<your-cidr>$/);
      assert.equal(finding(r, 'ACCESS-DOCTOR-WHOAMI')?.status, 'unknown');
    } finally {
      await a.close();
    }
  });

  test('Kubernetes 1.27: SelfSubjectReview falls back to v1beta1', async () => {
    const k = await startFakeKube({ users: { AKIDEXAMPLE: DANA }, onlyV1beta1: true });
    const a = await startFakeAws({ 'acme-prod': { ...clusterOn(k, 'API'), _accessEntries: [SSO_ROLE] } });
    try {
      const r = await runDoctor({ ...base(), endpointUrl: a.url });
      assert.equal(finding(r, 'ACCESS-DOCTOR-WHOAMI')?.status, 'pass');
      assert.deepEqual(
        k.requests.filter((q) => q.path.includes('selfsubjectreviews')).map((q) => q.path),
        ['/apis/authentication.k8s.io/v1/selfsubjectreviews', '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews'],
      );
    } finally {
      await a.close();
      await k.close();
    }
  });

  test('expired SSO token, missing profile, unknown cluster', async () => {
    writeFileSync(
      ssoTokenCachePath('corp', home),
      JSON.stringify({ accessToken: 't', expiresAt: '2001-01-01T00:00:00Z' }),
    );
    const r = await runDoctor({ ...base(), kubeconfig: undefined, name: 'nope' });
    const token = finding(r, 'ACCESS-DOCTOR-SSO-TOKEN');
    assert.equal(token?.status, 'fail');
    assert.equal(token?.remediation, 'aws sso login --sso-session corp');
    assert.equal(statusOf(r)['ACCESS-DOCTOR-CLUSTER'], 'fail');
    assert.equal(statusOf(r)['ACCESS-DOCTOR-MAPPED'], 'unknown');
    assert.equal(statusOf(r)['ACCESS-DOCTOR-WHOAMI'], 'unknown');
    const missing = await runDoctor({ ...base(), kubeconfig: undefined, profile: 'ghost' });
    assert.equal(finding(missing, 'ACCESS-DOCTOR-PROFILE')?.remediation, 'aws configure sso --profile ghost');
    writeFileSync(
      ssoTokenCachePath('corp', home),
      JSON.stringify({ accessToken: 't', expiresAt: '2099-01-01T00:00:00Z' }),
    );
  });

  test('AWS CLI version through a fake `aws` script on PATH', async () => {
    const awsCheck = async (pathEnv: string) =>
      finding(await runDoctor({ ...base(), name: 'nope', env: { ...env, PATH: pathEnv } }), 'ACCESS-DOCTOR-AWS-CLI');
    fakeAws('aws-cli/2.8.1 Python/3.9.11 Linux/5.15 exe/x86_64.ubuntu.22 prompt/off');
    let f = await awsCheck(env.PATH);
    assert.equal(f?.status, 'fail');
    assert.match(f?.description ?? '', /does not read \[sso-session\] sections \(needs 2\.9\.0\)/);
    fakeAws('aws-cli/1.29.0 Python/3.11.4 Linux/6.1 botocore/1.31.0', 'stderr');
    f = await awsCheck(env.PATH);
    assert.equal(f?.status, 'fail');
    assert.match(f?.description ?? '', /is v1: `aws sso login`/);
    f = await awsCheck(join(home, 'empty-path'));
    assert.equal(f?.status, 'fail');
    assert.match(f?.description ?? '', /^aws not runnable \(ENOENT\)$/);
    assert.match(f?.remediation ?? '', /Install or update AWS CLI v2/);
    fakeAws('aws-cli/2.22.35 Python/3.12.6 Linux/6.1.0 exe/x86_64.debian.12');
  });
});

describe('judgeAwsCliVersion', () => {
  test('get-token, SSO, sso-session and PKCE thresholds', () => {
    assert.equal(judgeAwsCliVersion('aws-cli/1.16.155 Python/2.7', false, false).status, 'fail');
    assert.equal(judgeAwsCliVersion('aws-cli/1.16.156 Python/3.6', false, false).status, 'pass');
    assert.equal(judgeAwsCliVersion('aws-cli/1.45.11 Python/3.11.7', false, true).status, 'fail');
    assert.equal(judgeAwsCliVersion('aws-cli/2.8.0 Python/3.9', false, true).status, 'pass');
    assert.equal(judgeAwsCliVersion('aws-cli/2.8.0 Python/3.9', true, true).status, 'fail');
    assert.match(judgeAwsCliVersion('aws-cli/2.21.0 Python/3.12', true, true).detail, /device-code flow/);
    assert.equal(judgeAwsCliVersion('something else', true, true).status, 'unknown');
  });
});
