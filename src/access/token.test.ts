import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { createEksToken, execCredential, execCredentialApiVersion, TOKEN_PREFIX } from './token.js';

// Fixed clock and example credentials (AWS documentation's example key pair), so the signature is reproducible.
const NOW = new Date('2026-11-27T10:00:00Z');
const CREDS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE/session+token==',
};

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** An independent SigV4 query-signature computation (AWS General Reference, "Create a signed request"). */
function expectedSignature(query: Map<string, string>, host: string, cluster: string, region: string): string {
  const canonicalQuery = [...query.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
  const emptyHash = createHash('sha256').update('').digest('hex');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${host}\nx-k8s-aws-id:${cluster}\n`,
    'host;x-k8s-aws-id',
    emptyHash,
  ].join('\n');
  const scope = `20261127/${region}/sts/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    '20261127T100000Z',
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${CREDS.secretAccessKey}`, '20261127'), region), 'sts'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('EKS token (k8s-aws-v1)', () => {
  test('presigned STS GetCallerIdentity URL: every part, recomputed signature', async () => {
    const t = await createEksToken({ cluster: 'acme-prod', region: 'eu-west-1', credentials: CREDS, now: NOW });
    assert.ok(t.token.startsWith(TOKEN_PREFIX));
    const body = t.token.slice(TOKEN_PREFIX.length);
    assert.doesNotMatch(body, /[=+/]/, 'base64url without padding');
    const url = new URL(Buffer.from(body, 'base64url').toString('utf8'));
    assert.equal(url.toString(), t.url);
    assert.equal(url.protocol, 'https:');
    assert.equal(url.hostname, 'sts.eu-west-1.amazonaws.com');
    assert.equal(url.pathname, '/');
    const q = new Map([...url.searchParams.entries()]);
    assert.equal(q.size, url.search.split('&').length, 'no duplicate parameters');
    assert.deepEqual(
      [...q.keys()].sort(),
      [
        'Action',
        'Version',
        'X-Amz-Algorithm',
        'X-Amz-Credential',
        'X-Amz-Date',
        'X-Amz-Expires',
        'X-Amz-Security-Token',
        'X-Amz-Signature',
        'X-Amz-SignedHeaders',
      ].sort(),
    );
    assert.equal(q.get('Action'), 'GetCallerIdentity');
    assert.equal(q.get('Version'), '2011-06-15');
    assert.equal(q.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
    assert.equal(q.get('X-Amz-Credential'), 'AKIDEXAMPLE/20261127/eu-west-1/sts/aws4_request');
    assert.equal(q.get('X-Amz-Date'), '20261127T100000Z');
    assert.equal(q.get('X-Amz-Expires'), '60');
    assert.equal(q.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id');
    assert.equal(q.get('X-Amz-Security-Token'), CREDS.sessionToken);
    assert.equal(
      q.get('X-Amz-Signature'),
      expectedSignature(q, 'sts.eu-west-1.amazonaws.com', 'acme-prod', 'eu-west-1'),
    );
    assert.equal(t.expirationTimestamp, '2026-11-27T10:14:00Z');
  });

  test('a different cluster name changes the signature (the header is signed)', async () => {
    const a = await createEksToken({ cluster: 'a', region: 'us-east-1', credentials: CREDS, now: NOW });
    const b = await createEksToken({ cluster: 'b', region: 'us-east-1', credentials: CREDS, now: NOW });
    assert.notEqual(
      new URL(a.url).searchParams.get('X-Amz-Signature'),
      new URL(b.url).searchParams.get('X-Amz-Signature'),
    );
    assert.equal(new URL(a.url).hostname, 'sts.us-east-1.amazonaws.com');
  });

  test('ExecCredential v1beta1 by default; KUBERNETES_EXEC_INFO v1 is echoed; v1alpha1 warns', async () => {
    const t = await createEksToken({ cluster: 'c', region: 'eu-west-1', credentials: CREDS, now: NOW });
    assert.deepEqual(execCredential(t), {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      spec: {},
      status: { expirationTimestamp: '2026-11-27T10:14:00Z', token: t.token },
    });
    assert.equal(execCredentialApiVersion(undefined).apiVersion, 'client.authentication.k8s.io/v1beta1');
    assert.equal(
      execCredentialApiVersion('{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}').apiVersion,
      'client.authentication.k8s.io/v1',
    );
    assert.ok(execCredentialApiVersion('{"apiVersion":"client.authentication.k8s.io/v1alpha1"}').warning);
    assert.equal(execCredentialApiVersion('not json').apiVersion, 'client.authentication.k8s.io/v1beta1');
  });
});
