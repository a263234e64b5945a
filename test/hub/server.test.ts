import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { makeFinding, type ResourceRef, type ScanResult } from '../../src/core/index.js';
import {
  buildHubApp,
  HubStore,
  IMAGE_SCAN_JOB,
  JobQueue,
  openHubDb,
  parseEcrEvents,
  parseRegistryEnvelope,
  pushFindings,
  startHub,
} from '../../src/hub/index.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-server-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DIGEST = `sha256:${'b'.repeat(64)}`;

function sample(): ScanResult {
  const web: ResourceRef = { type: 'kubernetes', kind: 'Deployment', namespace: 'shop', name: 'web' };
  const pay: ResourceRef = { type: 'kubernetes', kind: 'Deployment', namespace: 'pay', name: 'api' };
  const img: ResourceRef = {
    type: 'image',
    reference: 'registry.local/shop/web:2.0',
    digest: DIGEST,
    package: { name: 'openssl', version: '3.0.1' },
  };
  return {
    command: 'audit',
    targets: ['examples/acme'],
    errors: [],
    findings: [
      makeFinding({
        ruleId: 'CFG-RUN-AS-ROOT',
        title: 'runs as root',
        severity: 'HIGH',
        status: 'fail',
        pillar: 'config',
        resource: web,
      }),
      makeFinding({
        ruleId: 'BND-OPEN',
        title: 'namespace open',
        severity: 'MEDIUM',
        status: 'fail',
        pillar: 'boundary',
        resource: pay,
      }),
      makeFinding({
        ruleId: 'CVE-2024-0001',
        title: 'openssl flaw',
        severity: 'CRITICAL',
        status: 'fail',
        pillar: 'vulnerability',
        resource: img,
        details: {
          vulnerability: {
            id: 'CVE-2024-0001',
            package: { name: 'openssl', version: '3.0.1', ecosystem: 'deb', fixedVersion: '3.0.2' },
          },
        },
      }),
    ],
  };
}

describe('hub HTTP server', () => {
  test('first start creates a token shown once and stored hashed; the API needs it; a restart makes none', async () => {
    const db = join(dir, 'auth.sqlite');
    const hub = await startHub({ port: 0, db, cacheDir: dir, version: 't' });
    let token: string;
    try {
      assert.ok(hub.newToken?.startsWith('rmp_'));
      token = hub.newToken ?? '';
      assert.ok(hub.url.startsWith('http://127.0.0.1:'));
      const health = await fetch(`${hub.url}/healthz`);
      assert.deepEqual(await health.json(), { status: 'ok', db: 'sqlite' });
      assert.equal((await fetch(`${hub.url}/api/v1/findings`)).status, 401);
      const wrong = await fetch(`${hub.url}/api/v1/findings`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      const ok = await fetch(`${hub.url}/api/v1/findings`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      assert.equal((await fetch(`${hub.url}/api/v1/openapi.json`)).status, 200, 'the API description is public');
    } finally {
      await hub.close();
    }
    const again = await startHub({ port: 0, db, cacheDir: dir, version: 't' });
    try {
      assert.equal(again.newToken, undefined);
      const ok = await fetch(`${again.url}/api/v1/clusters`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
    } finally {
      await again.close();
    }
  });

  test('--no-auth only on loopback; non-loopback binds keep the token; insecure registries only on loopback', async () => {
    await assert.rejects(
      startHub({ host: '0.0.0.0', port: 0, auth: false, db: join(dir, 'x.sqlite'), cacheDir: dir, version: 't' }),
      /--no-auth is only allowed on a loopback address/,
    );
    await assert.rejects(
      startHub({
        port: 0,
        insecureRegistries: ['10.0.0.5:5000'],
        db: join(dir, 'x.sqlite'),
        cacheDir: dir,
        version: 't',
      }),
      /only allowed for loopback registries/,
    );
    const cli = runCli(['serve', '--host', '0.0.0.0', '--no-auth', '--db', join(dir, 'cli.sqlite')]);
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /^rampart: --no-auth is only allowed on a loopback address/);
    assert.doesNotMatch(cli.stderr, /\n\s+at /, 'no stack trace');
    const worker = runCli(['worker', '--db', join(dir, 'worker.sqlite')]);
    assert.equal(worker.status, 2);
    assert.match(worker.stderr, /^rampart: --db must be a postgres:\/\/ URL: workers share the scan queue/);
    assert.doesNotMatch(worker.stderr, /\n\s+at /, 'no stack trace');
    const hub = await startHub({ port: 0, auth: false, db: join(dir, 'noauth.sqlite'), cacheDir: dir, version: 't' });
    try {
      assert.equal(hub.newToken, undefined);
      assert.equal((await fetch(`${hub.url}/api/v1/findings`)).status, 200);
    } finally {
      await hub.close();
    }
  });

  test('ingest, filters, sort, pagination, images, namespaces, scans, suppressions, workflow over HTTP', async () => {
    const hub = await startHub({ port: 0, auth: false, db: join(dir, 'api.sqlite'), cacheDir: dir, version: 't' });
    const api = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${hub.url}${path}`, {
        ...init,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    try {
      const bare = await api('/api/v1/findings:batch?cluster=prod', { method: 'POST', body: JSON.stringify(sample()) });
      assert.equal(bare.status, 200);
      assert.equal(bare.body.new, 3);
      const wrapped = await api('/api/v1/findings:batch', {
        method: 'POST',
        body: JSON.stringify({ result: sample(), cluster: 'staging', source: 'rampart audit' }),
      });
      assert.equal(wrapped.body.new, 3);
      const bad = await api('/api/v1/findings:batch', {
        method: 'POST',
        body: JSON.stringify({ command: 'x', findings: [{ ...sample().findings[0], status: 'maybe' }] }),
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, 'findings[0].status');

      const all = await api('/api/v1/findings');
      assert.equal(all.body.total, 6);
      assert.equal(all.body.items[0].severity, 'CRITICAL');
      const crit = await api('/api/v1/findings?severity=CRITICAL,HIGH&cluster=prod');
      assert.deepEqual(
        crit.body.items.map((i: { ruleId: string }) => i.ruleId),
        ['CVE-2024-0001', 'CFG-RUN-AS-ROOT'],
      );
      const ns = await api('/api/v1/findings?namespace=pay&pillar=boundary');
      assert.equal(ns.body.total, 2);
      const paged = await api('/api/v1/findings?per_page=4&page=2&sort=rule');
      assert.equal(paged.body.items.length, 2);
      assert.equal(paged.body.total, 6);
      const byImage = await api(`/api/v1/findings?image=${encodeURIComponent(DIGEST.slice(0, 20))}`);
      assert.equal(byImage.body.total, 2);
      assert.equal((await api('/api/v1/findings?page=0')).status, 400);
      assert.equal((await api('/api/v1/findings?sort=bogus')).status, 400);

      const images = await api('/api/v1/images');
      assert.equal(images.body.total, 1);
      assert.equal(images.body.items[0].findings.CRITICAL, 2);
      const image = await api(`/api/v1/images/${DIGEST}`);
      assert.equal(image.status, 200);
      assert.deepEqual(image.body.fixes, [{ package: 'openssl', installed: '3.0.1', fixedVersion: '3.0.2', fixes: 2 }]);
      assert.equal((await api(`/api/v1/images/sha256:${'0'.repeat(64)}`)).status, 404);

      const clusters = await api('/api/v1/clusters');
      assert.deepEqual(
        clusters.body.map((c: { name: string }) => c.name),
        ['prod', 'staging'],
      );
      const namespaces = await api('/api/v1/namespaces?cluster=prod');
      assert.deepEqual(
        namespaces.body.map((n: { namespace: string; boundary: string }) => [n.namespace, n.boundary]),
        [
          ['pay', 'fail'],
          ['shop', 'no-findings'],
        ],
      );
      const scans = await api('/api/v1/scans');
      assert.equal(scans.body.total, 2);
      assert.equal((await api(`/api/v1/scans/${bare.body.scanId}`)).body.cluster, 'prod');

      const one = all.body.items[0];
      const patched = await api(`/api/v1/findings/${one.uid}`, {
        method: 'PATCH',
        body: JSON.stringify({ workflow: 'NOTIFIED' }),
      });
      assert.equal(patched.body.workflow, 'NOTIFIED');
      assert.equal(
        (await api(`/api/v1/findings/${one.uid}`, { method: 'PATCH', body: JSON.stringify({ workflow: 'RESOLVED' }) }))
          .status,
        400,
      );

      const noReason = await api('/api/v1/suppressions', {
        method: 'POST',
        body: JSON.stringify({ ruleId: 'BND-OPEN' }),
      });
      assert.equal(noReason.status, 400);
      assert.equal(noReason.body.field, 'reason');
      const sup = await api('/api/v1/suppressions', {
        method: 'POST',
        body: JSON.stringify({
          ruleId: 'BND-OPEN',
          reason: 'shared namespace by design',
          expiresAt: '2999-01-01T00:00:00Z',
        }),
      });
      assert.equal(sup.status, 201);
      assert.equal((await api('/api/v1/findings?status=SUPPRESSED')).body.total, 2);
      assert.equal((await api('/api/v1/suppressions')).body.length, 1);
      assert.equal((await api(`/api/v1/suppressions/${sup.body.id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await api('/api/v1/findings?status=SUPPRESSED')).body.total, 0);

      const overview = await api('/api/v1/overview');
      assert.equal(overview.body.bySeverity.CRITICAL, 2);

      const doc = await api('/api/v1/openapi.json');
      assert.equal(doc.body.openapi, '3.1.0');
      for (const p of [
        '/api/v1/findings',
        '/api/v1/findings:batch',
        '/api/v1/images/{digest}',
        '/api/v1/suppressions',
        '/webhooks/registry',
        '/webhooks/ecr',
      ]) {
        assert.ok(doc.body.paths[p], `openapi documents ${p}`);
      }
      assert.equal(
        (await api('/webhooks/registry', { method: 'POST', body: '{}' })).status,
        503,
        'webhooks off without a secret',
      );
    } finally {
      await hub.close();
    }
  });

  test('webhooks: secret checked, manifest pushes enqueued by exact digest, duplicates of a live job dropped', async () => {
    const db = await openHubDb(join(dir, 'wh.sqlite'), dir);
    const store = new HubStore(db);
    const queue = new JobQueue(db, {}); // never started: this test looks at what gets queued
    const app = await buildHubApp({
      store,
      queue,
      authRequired: true,
      webhookSecret: 's3cret-s3cret-s3cret',
      version: 't',
    });
    try {
      const envelope = {
        events: [
          {
            id: 'e1',
            action: 'push',
            target: {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: DIGEST,
              repository: 'shop/web',
              url: `http://127.0.0.1:5055/v2/shop/web/manifests/${DIGEST}`,
              tag: '2.0',
            },
            request: { host: '127.0.0.1:5055' },
          },
          {
            id: 'e2',
            action: 'push',
            target: { mediaType: 'application/octet-stream', digest: DIGEST, repository: 'shop/web' },
          },
          {
            id: 'e3',
            action: 'pull',
            target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, repository: 'shop/web' },
          },
        ],
      };
      const post = (url: string, body: unknown, auth?: string) =>
        app.inject({
          method: 'POST',
          url,
          payload: JSON.stringify(body),
          headers: {
            'content-type': url.includes('registry')
              ? 'application/vnd.docker.distribution.events.v1+json'
              : 'application/json',
            ...(auth ? { authorization: auth } : {}),
          },
        });
      assert.equal((await post('/webhooks/registry', envelope)).statusCode, 401);
      assert.equal((await post('/webhooks/registry', envelope, 'Bearer wrong')).statusCode, 401);
      const r1 = await post('/webhooks/registry', envelope, 'Bearer s3cret-s3cret-s3cret');
      assert.equal(r1.statusCode, 202);
      assert.deepEqual(r1.json(), { received: 1, queued: 1 });
      const r2 = await post('/webhooks/registry', envelope, 'Bearer s3cret-s3cret-s3cret');
      assert.deepEqual(r2.json(), { received: 1, queued: 0 }, 'same digest already queued');
      const ecr = {
        version: '0',
        'detail-type': 'ECR Image Action',
        source: 'aws.ecr',
        account: '123456789012',
        region: 'eu-west-1',
        detail: {
          result: 'SUCCESS',
          'repository-name': 'shop/api',
          'image-digest': `sha256:${'c'.repeat(64)}`,
          'action-type': 'PUSH',
          'image-tag': 'v3',
        },
      };
      const r3 = await post('/webhooks/ecr', ecr, 'Bearer s3cret-s3cret-s3cret');
      assert.deepEqual(r3.json(), { received: 1, queued: 1 });
      const bad = await post(
        '/webhooks/ecr',
        { ...ecr, detail: { ...ecr.detail, 'image-digest': 'latest' } },
        'Bearer s3cret-s3cret-s3cret',
      );
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().field, 'detail.image-digest');
      const jobs = await queue.list();
      assert.deepEqual(
        jobs.map((j) => [j.kind, j.payload.reference]).sort(),
        [
          [IMAGE_SCAN_JOB, `127.0.0.1:5055/shop/web@${DIGEST}`],
          [IMAGE_SCAN_JOB, `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:${'c'.repeat(64)}`],
        ].sort(),
      );
    } finally {
      await app.close();
      await db.close();
    }
  });

  test('webhook parsers name the bad field', () => {
    assert.throws(() => parseRegistryEnvelope({}), /events array/);
    assert.throws(
      () =>
        parseRegistryEnvelope({
          events: [
            {
              action: 'push',
              target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'x', repository: 'a' },
            },
          ],
        }),
      (e: { location?: { field?: string } }) => e.location?.field === 'events[0].target.digest',
    );
    assert.throws(() => parseEcrEvents({ source: 'aws.s3' }), /ECR Image Action/);
    assert.deepEqual(
      parseEcrEvents({
        source: 'aws.ecr',
        'detail-type': 'ECR Image Action',
        account: '123456789012',
        region: 'us-east-1',
        detail: { 'action-type': 'DELETE', result: 'SUCCESS' },
      }),
      [],
    );
  });
});

describe('pushFindings (what --push does)', () => {
  test('sends a ScanResult with the token; refuses plain http off loopback; names the auth problem', async () => {
    const hub = await startHub({ port: 0, db: join(dir, 'push.sqlite'), cacheDir: dir, version: 't' });
    try {
      const summary = await pushFindings(hub.url, sample(), { token: hub.newToken, cluster: 'prod' });
      assert.equal(summary.new, 3);
      assert.equal((await hub.store.listFindings({ cluster: 'prod' })).total, 3);
      await assert.rejects(pushFindings(hub.url, sample(), { token: 'nope' }), /wants its API token/);
      await assert.rejects(pushFindings('http://hub.example:8080', sample()), /use https:\/\//);
      await assert.rejects(pushFindings('not a url', sample()), /not a URL/);
    } finally {
      await hub.close();
    }
  });
});

test('context.access over HTTP: bad fields named with 400, latest answers served by GET /api/v1/access with namespace, q and filter', async () => {
  const hub = await startHub({ port: 0, auth: false, db: join(dir, 'access.sqlite'), cacheDir: dir, version: 't' });
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${hub.url}${path}`, {
      ...(body ? { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies checked field by field below
    return { status: res.status, body: (await res.json()) as any };
  };
  const subject = (name: string, arn?: string) => ({
    kind: 'Group',
    name,
    iam: arn ? [{ principalArn: arn, via: 'access entry' }] : [],
    via: `RoleBinding shop/${name} → Role reader`,
  });
  const access = (names: string[]) => ({
    questions: [{ id: 'get secrets', verb: 'get', group: '', resource: 'secrets', scope: 'namespace' }],
    subjectCap: 50,
    answers: [
      { namespace: 'shop', question: 'get secrets', subjects: names.map((n) => subject(n)), total: 3, unknowns: [] },
      {
        namespace: 'pay',
        question: 'get secrets',
        subjects: [subject('pay-devs', 'arn:aws:iam::111122223333:role/pay')],
        total: 1,
        unknowns: [],
      },
    ],
  });
  const push = (context: unknown) =>
    api('/api/v1/findings:batch', { result: sample(), cluster: 'prod', source: 'audit', context });
  try {
    const none = await api('/api/v1/access?cluster=prod');
    assert.equal(none.body.scanId, null);
    assert.match(none.body.reason, /rampart audit --push/);

    const cases: Array<[unknown, string]> = [
      [{ access: [] }, 'context.access'],
      [{ access: { ...access(['a']), subjectCap: -1 } }, 'context.access.subjectCap'],
      [{ access: { ...access(['a']), questions: [{ id: 'x' }] } }, 'context.access.questions[0].verb'],
      [
        { access: { ...access(['a']), answers: [{ ...access(['a']).answers[0], question: 'nope' }] } },
        'context.access.answers[0].question',
      ],
      [
        { access: { ...access(['a']), answers: [{ ...access(['a']).answers[0], subjects: [{ kind: 'Group' }] }] } },
        'context.access.answers[0].subjects[0].name',
      ],
      [
        {
          access: {
            ...access(['a']),
            answers: [{ ...access(['a']).answers[0], subjects: [{ ...subject('a'), iam: [{ principalArn: 1 }] }] }],
          },
        },
        'context.access.answers[0].subjects[0].iam[0].principalArn',
      ],
      [{ access: { ...access(['a', 'b', 'c', 'd']) } }, 'context.access.answers[0].total'],
    ];
    for (const [context, field] of cases) {
      const bad = await push(context);
      assert.equal(bad.status, 400, field);
      assert.equal(bad.body.field, field);
    }
    assert.equal((await api('/api/v1/access?cluster=prod')).body.scanId, null, 'nothing invalid was stored');

    assert.equal((await push({ access: access(['old']) })).status, 200);
    assert.equal((await push({ access: access(['shop-devs', 'shop-ops']) })).status, 200);
    const all = await api('/api/v1/access?cluster=prod');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.namespaces, ['pay', 'shop']);
    assert.equal(all.body.subjectCap, 50);
    assert.equal(all.body.answers.length, 2);
    const shop = await api('/api/v1/access?cluster=prod&namespace=shop&q=get%20secrets');
    assert.deepEqual(
      shop.body.answers[0].subjects.map((s: { name: string }) => s.name),
      ['shop-devs', 'shop-ops'],
      'the latest push wins',
    );
    assert.equal(shop.body.answers[0].total, 3);
    const filtered = await api('/api/v1/access?cluster=prod&filter=role/pay');
    assert.deepEqual(
      filtered.body.answers.map((a: { namespace: string; subjects: unknown[] }) => [a.namespace, a.subjects.length]),
      [
        ['shop', 0],
        ['pay', 1],
      ],
    );
    const spec = await api('/api/v1/openapi.json');
    assert.ok(spec.body.paths['/api/v1/access']?.get);
  } finally {
    await hub.close();
  }
});
