import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runDoctor, ssoTokenCachePath, updateKubeconfig } from '../../src/access/index.js';
import { ACME_CLUSTER, type FakeAws, startFakeAws } from './support/aws-server.js';

const home = mkdtempSync(join(tmpdir(), 'rampart-doctor-'));
mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
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
const env = {
  PATH: process.env.PATH,
  HOME: home,
  AWS_CONFIG_FILE: join(home, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
};

let aws: FakeAws;
const saved = { ...process.env };
before(async () => {
  aws = await startFakeAws({
    'acme-prod': {
      ...ACME_CLUSTER,
      _accessEntries: [
        'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Developer_0a1b2c3d4e5f6071',
      ],
    },
  });
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete process.env[k];
  Object.assign(process.env, env);
});
after(async () => {
  await aws.close();
  process.env = saved;
  rmSync(home, { recursive: true, force: true });
});

const statusOf = (r: Awaited<ReturnType<typeof runDoctor>>) =>
  Object.fromEntries(r.findings.map((f) => [f.ruleId, f.status]));

describe('access doctor against a local HTTP server speaking the EKS and STS wire formats', () => {
  test('every check, with the fixing command when it fails', async () => {
    const opts = {
      profile: 'dev-admin',
      region: 'eu-west-1',
      name: 'acme-prod',
      kubeconfig: join(home, 'kube'),
      endpointUrl: aws.url,
      env,
      kubectl,
    };
    const first = await runDoctor(opts);
    assert.deepEqual(statusOf(first), {
      'ACCESS-DOCTOR-PROFILE': 'pass',
      'ACCESS-DOCTOR-SSO-TOKEN': 'pass',
      'ACCESS-DOCTOR-CREDENTIALS': 'pass',
      'ACCESS-DOCTOR-CLUSTER': 'pass',
      'ACCESS-DOCTOR-ENDPOINT': 'pass',
      'ACCESS-DOCTOR-KUBECONFIG': 'fail',
      'ACCESS-DOCTOR-KUBECTL': 'pass',
      'ACCESS-DOCTOR-MAPPED': 'pass',
    });
    const kc = first.findings.find((f) => f.ruleId === 'ACCESS-DOCTOR-KUBECONFIG');
    assert.equal(kc?.remediation, 'rampart access kubeconfig --profile dev-admin --region eu-west-1 --name acme-prod');
    await updateKubeconfig({
      name: 'acme-prod',
      region: 'eu-west-1',
      profile: 'dev-admin',
      kubeconfig: opts.kubeconfig,
      endpointUrl: aws.url,
    });
    assert.equal(statusOf(await runDoctor(opts))['ACCESS-DOCTOR-KUBECONFIG'], 'pass');
  });

  test('expired SSO token, missing profile, unknown cluster', async () => {
    writeFileSync(
      ssoTokenCachePath('corp', home),
      JSON.stringify({ accessToken: 't', expiresAt: '2001-01-01T00:00:00Z' }),
    );
    const r = await runDoctor({
      profile: 'dev-admin',
      region: 'eu-west-1',
      name: 'nope',
      endpointUrl: aws.url,
      env,
      kubectl,
    });
    const token = r.findings.find((f) => f.ruleId === 'ACCESS-DOCTOR-SSO-TOKEN');
    assert.equal(token?.status, 'fail');
    assert.equal(token?.remediation, 'aws sso login --sso-session corp');
    assert.equal(statusOf(r)['ACCESS-DOCTOR-CLUSTER'], 'fail');
    assert.equal(statusOf(r)['ACCESS-DOCTOR-MAPPED'], 'unknown');
    const missing = await runDoctor({
      profile: 'ghost',
      region: 'eu-west-1',
      name: 'acme-prod',
      endpointUrl: aws.url,
      env,
      kubectl,
    });
    assert.equal(
      missing.findings.find((f) => f.ruleId === 'ACCESS-DOCTOR-PROFILE')?.remediation,
      'aws configure sso --profile ghost',
    );
  });
});
