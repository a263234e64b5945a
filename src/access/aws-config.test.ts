import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeProfiles, loadAwsConfig, parseIni, ssoTokenCachePath, ssoTokenStatus } from './aws-config.js';

const home = mkdtempSync(join(tmpdir(), 'rampart-awscfg-'));
after(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
writeFileSync(
  join(home, 'custom-config'),
  `[default]
region = eu-west-1

[profile dev-admin]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile legacy]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile broken-sso]
sso_session = nope
sso_account_id = 111122223333
sso_role_name = X

[profile deploy]
role_arn = arn:aws:iam::111122223333:role/deploy
source_profile = dev-admin

[profile loop-a]
role_arn = arn:aws:iam::111122223333:role/a
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::111122223333:role/b
source_profile = loop-a

[profile ci]
role_arn = arn:aws:iam::111122223333:role/ci
web_identity_token_file = /var/run/secrets/token

[profile proc]
credential_process = /usr/local/bin/get-creds
s3 =
  max_concurrent_requests = 20

[services local]
eks =
  endpoint_url = http://127.0.0.1:9
`,
);
writeFileSync(
  join(home, 'custom-credentials'),
  `[keys]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${SECRET}\n`,
);
const env = {
  HOME: home,
  AWS_CONFIG_FILE: join(home, 'custom-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'custom-credentials'),
  AWS_PROFILE: 'dev-admin',
};

describe('AWS config', () => {
  const config = loadAwsConfig(env);
  test('honours AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE; classifies every profile', () => {
    assert.equal(config.activeProfile, 'dev-admin');
    const kinds = Object.fromEntries([...config.profiles.values()].map((p) => [p.name, p.kind]));
    assert.deepEqual(kinds, {
      default: 'none',
      'dev-admin': 'sso-session',
      legacy: 'sso-legacy',
      'broken-sso': 'sso-session',
      deploy: 'assume-role',
      'loop-a': 'assume-role',
      'loop-b': 'assume-role',
      ci: 'web-identity',
      proc: 'credential-process',
      keys: 'static',
    });
    assert.deepEqual(config.profiles.get('dev-admin')?.sso, {
      startUrl: 'https://corp.awsapps.com/start',
      region: 'us-east-1',
      accountId: '111122223333',
      roleName: 'AdministratorAccess',
      session: 'corp',
    });
  });

  test('problems the AWS CLI reports: missing sso-session, role-chain loops', () => {
    assert.deepEqual(config.profiles.get('broken-sso')?.problems, ['The specified sso-session does not exist: "nope"']);
    assert.deepEqual(config.profiles.get('deploy')?.chain, ['dev-admin']);
    assert.match(config.profiles.get('loop-a')?.problems[0] ?? '', /source_profile loop: loop-a → loop-b → loop-a/);
  });

  test('secrets never leave the module', () => {
    const text = JSON.stringify([...config.profiles.values()]) + describeProfiles(config).join('\n');
    assert.ok(!text.includes(SECRET));
    assert.equal(config.profiles.get('keys')?.settings.aws_secret_access_key, '<redacted>');
  });

  test('malformed ini names file and line', () => {
    assert.throws(
      () => parseIni('[ok]\na = 1\n[broken\n', 'cfg'),
      (e: Error & { location?: { line?: number } }) => e.location?.line === 3,
    );
    assert.throws(() => parseIni('key = value\n', 'cfg'), /outside any \[section\]/);
  });

  test('SSO token cache: sha1 of the session name; valid, expired-refreshable, expired, missing', () => {
    const profile = config.profiles.get('dev-admin');
    assert.ok(profile);
    const now = new Date('2026-11-27T12:00:00Z');
    const file = ssoTokenCachePath('corp', home);
    assert.match(file, /sso\/cache\/[0-9a-f]{40}\.json$/);
    assert.equal(ssoTokenStatus(profile, { home, now }).state, 'missing');
    writeFileSync(file, JSON.stringify({ accessToken: 'tok', expiresAt: '2026-11-27T12:30:00Z' }));
    const valid = ssoTokenStatus(profile, { home, now });
    assert.deepEqual([valid.state, valid.minutesLeft], ['valid', 30]);
    writeFileSync(
      file,
      JSON.stringify({
        accessToken: 'tok',
        expiresAt: '2026-11-27T11:00:00Z',
        refreshToken: 'r',
        registrationExpiresAt: '2027-01-01T00:00:00Z',
      }),
    );
    assert.equal(ssoTokenStatus(profile, { home, now }).state, 'expired-refreshable');
    writeFileSync(file, JSON.stringify({ accessToken: 'tok', expiresAt: '2026-11-27T11:00:00Z' }));
    const expired = ssoTokenStatus(profile, { home, now });
    assert.equal(expired.state, 'expired');
    assert.match(expired.message, /aws sso login --sso-session corp/);
    assert.ok(!JSON.stringify(expired).includes('tok"'));
  });
});
