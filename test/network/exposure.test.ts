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
