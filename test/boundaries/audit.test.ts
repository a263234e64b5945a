import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runAudit } from '../../src/boundaries/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-audit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "dir:${join(tmp, 'no-such-rootfs')}"}]
`;

test('runAudit without --images: the image pillar is skipped with its reason, nothing passes for it', async () => {
  const file = join(tmp, 'cluster.yaml');
  writeFileSync(file, CLUSTER);
  const r = await runAudit([file]);
  const image = r.findings.filter((f) => f.pillar === 'image');
  assert.equal(image.length, 1);
  assert.equal(image[0]?.status, 'skipped');
  assert.match(image[0]?.reason ?? '', /--images/);
  // No kube-system in this snapshot: enforcement is unknown and the namespace cannot be isolated.
  assert.equal(r.audit.enforcement.state, 'unknown');
  assert.notEqual(r.audit.namespaces.find((n) => n.namespace === 'shop')?.verdict, 'isolated');
  assert.deepEqual(
    r.audit.engines
      .filter((e) => e.status === 'ran')
      .map((e) => `${e.engine}: ${e.purpose}`)
      .sort(),
    [
      'access: RBAC reach into namespaces (who-can)',
      'access: risky grants, aws-auth and access entries',
      'config: Pod Security Standards admission per namespace',
      'config: workload, Pod Security, Dockerfile and script lint',
      'network: NetworkPolicy lint',
      'network: namespace reachability matrix',
    ],
  );
});

test('runAudit --images: an image that cannot be scanned is unknown with the reason, per image', async () => {
  const file = join(tmp, 'cluster.yaml');
  writeFileSync(file, CLUSTER);
  const r = await runAudit([file], { images: true, cacheDir: join(tmp, 'cache') });
  const unread = r.findings.filter((f) => f.ruleId === 'audit/image-unreadable');
  assert.equal(unread.length, 1);
  assert.equal(unread[0]?.status, 'unknown');
  assert.ok(unread[0]?.reason);
  assert.deepEqual(unread[0]?.evidence, { workloads: ['shop/Deployment/web'] });
  const run = r.audit.engines.find((e) => e.engine === 'image');
  assert.equal(run?.status, 'failed');
});
