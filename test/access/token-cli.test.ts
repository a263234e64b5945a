import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tokenCommand } from '../../src/access/index.js';
import { runCli } from '../support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'rampart-token-'));
after(() => rmSync(home, { recursive: true, force: true }));
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
// A clean environment: no real AWS configuration of the machine can leak in.
const base = {
  PATH: process.env.PATH,
  HOME: home,
  AWS_CONFIG_FILE: join(home, 'none'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
};

describe('rampart access token', () => {
  test('prints an ExecCredential from environment credentials; the secret never appears', () => {
    const r = runCli(['access', 'token', '--cluster', 'acme-prod', '--region', 'eu-west-1'], {
      env: { ...base, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET },
    });
    assert.equal(r.status, 0, r.stderr);
    const cred = JSON.parse(r.stdout);
    assert.equal(cred.kind, 'ExecCredential');
    assert.equal(cred.apiVersion, 'client.authentication.k8s.io/v1beta1');
    assert.match(cred.status.token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    assert.match(cred.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
  });

  test('no credentials: an auth error naming the profile (the CLI prints it as one line, exit 2)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, base);
    try {
      await assert.rejects(
        tokenCommand({ cluster: 'c', region: 'eu-west-1', profile: 'missing' }),
        (e: Error & { kind?: string }) =>
          e.kind === 'auth' && /no AWS credentials from profile missing/.test(e.message),
      );
    } finally {
      process.env = saved;
    }
  });
});
