import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Finding, makeFinding, type ResourceRef } from '../../src/core/index.js';
import { HubStore, openHubDb, SecurityHubSync } from '../../src/hub/index.js';
import { compileSchemaFile, schemaErrors } from '../support/schemas.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

const SCHEMA = ['schemas', 'aws', 'asff-AwsSecurityFinding.derived.schema.json'];

interface ImportCall {
  headers: IncomingHttpHeaders;
  path: string;
  findings: Array<Record<string, unknown>>;
}

/**
 * A local HTTP server speaking Security Hub's BatchImportFindings wire format (restJson1: `POST /findings/import`,
 * `{Findings}` in, `{FailedCount, SuccessCount, FailedFindings}` out, HTTP 200 even on partial failure).
 */
interface UpdateCall {
  FindingIdentifiers: Array<{ Id: string; ProductArn: string }>;
  Workflow?: { Status: string };
  Note?: { Text: string; UpdatedBy: string };
}

async function fakeSecurityHub(failIds: Set<string>) {
  const calls: ImportCall[] = [];
  const updates: UpdateCall[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      // BatchUpdateFindings: PATCH /findings/batchupdate → {ProcessedFindings, UnprocessedFindings}.
      if (req.method === 'PATCH' && req.url === '/findings/batchupdate') {
        const update = JSON.parse(body) as UpdateCall;
        updates.push(update);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ProcessedFindings: update.FindingIdentifiers, UnprocessedFindings: [] }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/findings/import') {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ Message: 'no such operation' }));
        return;
      }
      const parsed = JSON.parse(body) as { Findings: Array<Record<string, unknown>> };
      calls.push({ headers: req.headers, path: req.url, findings: parsed.Findings });
      const failed = parsed.Findings.filter((f) => failIds.has(String(f.Id)));
      for (const f of failed) failIds.delete(String(f.Id)); // fails once, then accepted
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          FailedCount: failed.length,
          SuccessCount: parsed.Findings.length - failed.length,
          FailedFindings: failed.map((f) => ({
            Id: f.Id,
            ErrorCode: 'InvalidInput',
            ErrorMessage: 'rejected by test',
          })),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { calls, updates, endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

test('Security Hub sync against a local server speaking the BatchImportFindings/BatchUpdateFindings wire format: batches ≤ 100, FailedCount honoured, resolved findings ARCHIVED, workflow changes (NOTIFIED, SUPPRESSED with note, back to NEW) sent once', {
  skip: sharedSkipReason(...SCHEMA),
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-sh-'));
  const hub = await openHubDb(join(dir, 'hub.sqlite'), dir);
  let t = Date.parse('2026-03-01T10:00:00Z');
  const clock = () => new Date(t);
  const store = new HubStore(hub, clock);
  const validateBatch = compileSchemaFile(sharedPath(...SCHEMA) ?? '', { ref: '#/$defs/BatchImportFindingsRequest' });
  const failOnce = new Set<string>();
  const sh = await fakeSecurityHub(failOnce);
  const sync = new SecurityHubSync(store, {
    region: 'eu-west-1',
    accountId: '123456789012',
    endpoint: sh.endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' },
    toolVersion: 'test',
    clock,
  });
  try {
    const findings: Finding[] = [];
    for (let i = 0; i < 230; i++) {
      const resource: ResourceRef = {
        type: 'kubernetes',
        kind: 'Deployment',
        namespace: `ns${i % 7}`,
        name: `app${i}`,
      };
      findings.push(
        makeFinding({
          ruleId: 'CFG-RUN-AS-ROOT',
          title: 'runs as root',
          severity: 'HIGH',
          status: 'fail',
          pillar: 'config',
          resource,
        }),
      );
    }
    findings.push(
      makeFinding({
        ruleId: 'CVE-2019-1551',
        title: 'openssl: rsaz_512_sqr overflow',
        severity: 'MEDIUM',
        status: 'fail',
        pillar: 'vulnerability',
        resource: {
          type: 'image',
          reference: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1',
          digest: `sha256:${'e'.repeat(64)}`,
          package: { name: 'openssl', version: '1.1.1d-r2' },
        },
        details: {
          vulnerability: {
            id: 'CVE-2019-1551',
            package: { name: 'openssl', version: '1.1.1d-r2', ecosystem: 'apk', fixedVersion: '1.1.1d-r3' },
          },
        },
      }),
    );
    await store.ingest({ result: { command: 'audit', targets: [], findings, errors: [] }, cluster: 'prod' });
    const rejected = `rampart/prod/${findings[5]?.id}`;
    failOnce.add(rejected);

    t += 60_000;
    const first = await sync.syncOnce();
    assert.deepEqual(
      sh.calls.map((c) => c.findings.length),
      [100, 100, 31],
    );
    assert.equal(first.batches, 3);
    assert.equal(first.exported, 230);
    assert.deepEqual(first.failed, [{ id: rejected, errorCode: 'InvalidInput', errorMessage: 'rejected by test' }]);
    for (const call of sh.calls) {
      assert.ok(validateBatch({ Findings: call.findings }), schemaErrors(validateBatch));
      assert.match(
        String(call.headers.authorization),
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/securityhub\/aws4_request/,
      );
    }
    const all = sh.calls.flatMap((c) => c.findings);
    assert.equal(new Set(all.map((f) => f.Id)).size, 231, 'ids unique per cluster and finding');
    const vuln = all.find((f) => String(f.Id).endsWith(findings[230]?.id ?? '?'));
    assert.ok(vuln, 'the vulnerability finding was exported');
    assert.equal((vuln.Resources as Array<{ Type: string }>)[0]?.Type, 'AwsEcrContainerImage');
    assert.equal((vuln.Vulnerabilities as Array<{ FixAvailable: string }>)[0]?.FixAvailable, 'YES');
    assert.equal(vuln?.CreatedAt, '2026-03-01T10:00:00.000Z', 'CreatedAt is when the hub first saw it');
    assert.equal(vuln?.UpdatedAt, '2026-03-01T10:01:00.000Z');

    // Nothing changed: only the finding Security Hub rejected is sent again.
    t += 60_000;
    const second = await sync.syncOnce();
    assert.equal(sh.calls.length, 4);
    assert.deepEqual(
      sh.calls[3]?.findings.map((f) => f.Id),
      [rejected],
    );
    assert.deepEqual([second.exported, second.failed.length], [1, 0]);
    const third = await sync.syncOnce();
    assert.deepEqual([third.batches, third.exported], [0, 0], 'nothing left to export');

    // A rescan of app0..app9 finds them fixed: the hub resolves them and Security Hub gets them ARCHIVED, newer UpdatedAt.
    t += 60_000;
    const fixed = findings.slice(0, 10).map((f) => ({ ...f, status: 'pass' as const }));
    await store.ingest({ result: { command: 'audit', targets: [], findings: fixed, errors: [] }, cluster: 'prod' });
    t += 1000;
    const fourth = await sync.syncOnce();
    assert.deepEqual([fourth.archived, fourth.exported], [10, 0]);
    const archived = sh.calls[4]?.findings ?? [];
    assert.ok(archived.every((f) => f.RecordState === 'ARCHIVED'));
    assert.ok(archived.every((f) => String(f.UpdatedAt) > '2026-03-01T10:01:00.000Z'));
    assert.ok(validateBatch({ Findings: archived }), schemaErrors(validateBatch));
    assert.equal(sh.updates.length, 1, 'resolved findings: one BatchUpdateFindings');
    assert.equal(sh.updates[0]?.Workflow?.Status, 'RESOLVED');
    assert.deepEqual(
      sh.updates[0]?.FindingIdentifiers.map((i) => i.Id).sort(),
      archived.map((f) => String(f.Id)).sort(),
    );
    assert.ok(sh.updates[0]?.FindingIdentifiers.every((i) => i.ProductArn === archived[0]?.ProductArn));

    // Customer-side changes in the hub go to Security Hub with BatchUpdateFindings (an import cannot change
    // Workflow): one finding marked NOTIFIED, a rule suppressed with a reason, then the suppression removed.
    t += 60_000;
    const open = await store.listFindings({ status: ['NEW'], sort: 'resource', perPage: 500 });
    const notified = open.items[0];
    assert.ok(notified);
    await store.setWorkflow(notified.uid, 'NOTIFIED');
    const suppressedRule = open.items.find((f) => f.ruleId !== notified.ruleId)?.ruleId ?? '';
    const suppression = await store.addSuppression({ ruleId: suppressedRule, reason: 'accepted risk, ticket SEC-42' });
    const suppressedCount = (await store.listFindings({ status: ['SUPPRESSED'] })).total;
    assert.ok(suppressedCount > 0);
    t += 1000;
    const fifth = await sync.syncOnce();
    assert.equal(fifth.workflowUpdated, 1 + suppressedCount);
    const [toNotified, toSuppressed] = [
      sh.updates.find((u) => u.Workflow?.Status === 'NOTIFIED'),
      sh.updates.find((u) => u.Workflow?.Status === 'SUPPRESSED'),
    ];
    assert.deepEqual(
      toNotified?.FindingIdentifiers.map((i) => i.Id),
      [`rampart/prod/${notified.id}`],
    );
    const suppressedCalls = sh.updates.filter((u) => u.Workflow?.Status === 'SUPPRESSED');
    assert.ok(
      suppressedCalls.every((u) => u.FindingIdentifiers.length <= 100),
      '≤ 100 identifiers per call',
    );
    assert.equal(
      suppressedCalls.reduce((n, u) => n + u.FindingIdentifiers.length, 0),
      suppressedCount,
    );
    assert.deepEqual(toSuppressed?.Note, {
      Text: 'Suppressed in the Rampart hub: accepted risk, ticket SEC-42',
      UpdatedBy: 'rampart-hub',
    });
    const sixth = await sync.syncOnce();
    assert.equal(sixth.workflowUpdated, 0, 'sent once');
    await store.deleteSuppression(suppression.id);
    t += 1000;
    const seventh = await sync.syncOnce();
    assert.equal(seventh.workflowUpdated, suppressedCount, 'a lifted suppression goes back to NEW');
    assert.equal(sh.updates.at(-1)?.Workflow?.Status, 'NEW');
  } finally {
    sync.stop();
    await sh.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
