/**
 * `netpol matrix --exposure`: hand-written cases (our own, not upstream data) for the native mode and the CLI wiring.
 * Upstream's recorded exposure runs are checked in netpol-analyzer.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { netpolMatrix } from '../../src/network/index.js';
import { runCli } from '../support/cli.js';

const CASE = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: monitoring}}
      podSelector: {matchLabels: {role: scraper}}
    ports: [{port: http}]
`;

describe('netpol matrix --exposure (hand-written case)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-exposure-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'case.yaml'), CASE);

  test('a selector naming pods that do not exist yet is an exposure; an existing peer is not', () => {
    const r = netpolMatrix({ paths: [dir], format: 'txt', exposure: true });
    assert.equal(r.fatal, false);
    const lines = r.text.split('\n');
    // the named port resolves on the protected pod: TCP 8080
    assert.ok(
      lines.some((l) =>
        /^shop\/api\[Deployment\] +\t<= \t\[namespace with \{team=monitoring\}\]\/\[pod with \{role=scraper\}\] : TCP 8080$/.test(
          l,
        ),
      ),
      r.text,
    );
    // web exists and is already in the connection list: no representative line for it
    assert.ok(!lines.some((l) => l.includes('[pod with {app=web}]')), r.text);
    assert.ok(lines.includes('shop/api[Deployment] is not protected on Egress'), r.text);
    assert.ok(lines.includes('shop/web[Deployment] is not protected on Ingress'), r.text);
  });

  test('json carries connlist_results and exposure_results', () => {
    const r = netpolMatrix({ paths: [dir], format: 'json', exposure: true });
    const doc = JSON.parse(r.text) as {
      connlist_results: unknown[];
      exposure_results: { ingress_exposure: Array<{ src: string; dst: string; conn: string }> };
    };
    assert.ok(doc.connlist_results.length > 0);
    assert.ok(
      doc.exposure_results.ingress_exposure.some(
        (e) => e.dst === 'shop/api[Deployment]' && e.src.startsWith('[namespace with') && e.conn === 'TCP 8080',
      ),
    );
  });

  test('the CLI passes --exposure through', () => {
    const ok = runCli(['netpol', 'matrix', '--exposure', '-o', 'csv', dir]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Exposure Analysis Result:,,$/m);
  });
});

/** Admin tiers: an ANP Deny carves a representative peer out of the entire cluster, a Pass hands it to the
 * NetworkPolicy tier, and a baseline policy protects a workload no NetworkPolicy selects. */
const ADMIN_CASE = `${CASE.split('---\napiVersion: networking.k8s.io/v1')[0]}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-monitoring, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: monitoring}}}]
    ports: [{port: http}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: guard-api}
spec:
  priority: 10
  subject:
    pods:
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: api}}
  egress:
  - name: deny-metrics-to-monitoring
    action: Deny
    to: [{namespaces: {matchLabels: {team: monitoring}}}]
    ports: [{portNumber: {protocol: TCP, port: 9090}}]
  - name: allow-cluster
    action: Allow
    to: [{namespaces: {}}]
  ingress:
  - name: pass-monitoring
    action: Pass
    from: [{namespaces: {matchLabels: {team: monitoring}}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - name: deny-cluster
    action: Deny
    from: [{namespaces: {}}]
`;

describe('netpol matrix --exposure through admin policies (hand-written case)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-exposure-admin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'case.yaml'), ADMIN_CASE);
  const exposure = (arrow: '=>' | '<=', workload: string) => {
    const r = netpolMatrix({ paths: [dir], format: 'txt', exposure: true });
    assert.equal(r.fatal, false);
    return r.text
      .split('\n')
      .filter((l) => l.startsWith(workload) && l.includes(`\t${arrow} \t`) && !l.includes('[External]'))
      .map((l) => l.split(`\t${arrow} \t`)[1]);
  };

  test('an ANP Deny before an Allow to the entire cluster leaves the denied peer short of the rest', () => {
    assert.deepEqual(exposure('=>', 'shop/api[Deployment]'), [
      '[namespace with {team=monitoring}]/[all pods] : SCTP 1-65535,TCP 1-9089,9091-65535,UDP 1-65535',
      'entire-cluster : All Connections',
    ]);
  });

  test('an ANP Pass hands the peer to the NetworkPolicy tier (named port resolved on the subject)', () => {
    // the NetworkPolicy isolates api on ingress: the entire cluster gets nothing, the passed peer its rule's port
    assert.deepEqual(exposure('<=', 'shop/api[Deployment]'), [
      '[namespace with {team=monitoring}]/[all pods] : TCP 8080',
    ]);
  });

  test('a baseline policy protects a workload no NetworkPolicy selects', () => {
    const r = netpolMatrix({ paths: [dir], format: 'txt', exposure: true });
    // web: baseline denies ingress from the whole cluster; egress is unguarded
    assert.deepEqual(exposure('<=', 'shop/web[Deployment]'), []);
    assert.deepEqual(exposure('=>', 'shop/web[Deployment]'), ['entire-cluster : All Connections']);
    assert.ok(r.text.includes('shop/web[Deployment] is not protected on Egress'), r.text);
    assert.ok(!r.text.includes('is not protected on Ingress'), r.text);
  });

  test('the CLI appends the exposure to --explain', () => {
    const r = runCli(['netpol', 'matrix', '--compat', 'netpol-analyzer', '--explain', '--exposure', dir]);
    assert.equal(r.status, 0, r.stderr);
    const at = r.stdout.indexOf('Exposure Analysis Result:');
    assert.ok(r.stdout.indexOf("AdminNetworkPolicy 'guard-api'") >= 0 && at > 0, r.stdout);
    assert.match(
      r.stdout.slice(at),
      /shop\/api\[Deployment\] \t<= \t\[namespace with \{team=monitoring\}\]\/\[all pods\] : TCP 8080/,
    );
  });

  test('json carries the admin exposure too', () => {
    const r = netpolMatrix({ paths: [dir], format: 'json', exposure: true });
    const doc = JSON.parse(r.text) as {
      exposure_results: { egress_exposure: Array<{ src: string; dst: string; conn: string }> };
    };
    assert.ok(
      doc.exposure_results.egress_exposure.some(
        (e) => e.src === 'shop/api[Deployment]' && e.dst === '[namespace with {team=monitoring}]/[all pods]',
      ),
    );
  });
});

test('--exposure refuses a snapshot whose --cni policies it does not model (Cilium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-exposure-cni-'));
  try {
    writeFileSync(
      join(dir, 'case.yaml'),
      `${CASE}---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-deny, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingressDeny: [{fromEntities: [world]}]
`,
    );
    assert.throws(
      () => netpolMatrix({ paths: [dir], format: 'txt', exposure: true, cni: 'cilium' }),
      (e: Error) => e.name === 'UsageError' && e.message.includes('--cni cilium'),
    );
    // the same snapshot under --cni generic: the Cilium policy is not in force, exposure is computed
    assert.equal(netpolMatrix({ paths: [dir], format: 'txt', exposure: true }).fatal, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
