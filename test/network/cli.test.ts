import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

test('netpol matrix/check/lint on examples/acme', () => {
  const m = runCli(['netpol', 'matrix', 'examples/acme', '-o', 'json']);
  assert.equal(m.status, 0, m.stderr);
  const rows = JSON.parse(m.stdout) as Array<{ src: string; dst: string; conn: string }>;
  assert.ok(
    rows.some(
      (r) =>
        r.src === 'storefront/cart[Deployment]' &&
        r.dst === 'payments/payments-api[Deployment]' &&
        r.conn === 'TCP 8443',
    ),
  );
  assert.ok(
    !rows.some((r) => r.src === 'monitoring/prometheus[Deployment]' && r.dst === 'payments/payments-api[Deployment]'),
  );

  const ok = runCli([
    'netpol',
    'check',
    'examples/acme',
    '--from',
    'storefront/cart',
    '--to',
    'payments/payments-api',
    '--port',
    '8443/TCP',
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^ALLOWED/);
  assert.match(
    ok.stdout,
    /payments\/api-from-storefront allows it by ingress rule #1 \(examples\/acme\/network\/policies\.yaml:\d+/,
  );
  const denied = runCli([
    'netpol',
    'check',
    'examples/acme',
    '--from',
    'monitoring/prometheus',
    '--to',
    'payments/payments-api',
    '--port',
    '8443',
  ]);
  assert.equal(denied.status, 1);
  assert.match(denied.stdout, /^DENIED/);

  const lint = runCli(['netpol', 'lint', 'examples/acme', '-o', 'json', '--fail-on', 'never']);
  assert.equal(lint.status, 0, lint.stderr);
  const ids = (JSON.parse(lint.stdout).findings as Array<{ ruleId: string }>).map((f) => f.ruleId);
  for (const id of ['NETPOL-004', 'NETPOL-009', 'NETPOL-010']) assert.ok(ids.includes(id), id);
  const bad = runCli(['netpol', 'check', 'examples/acme', '--from', 'nope', '--to', 'payments/payments-api']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--from "nope": no workload/);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:/);
});

test('netpol diff: connections added and removed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-netpol-'));
  try {
    const base = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: c}]}
`;
    writeFileSync(join(dir, 'old.yaml'), base);
    writeFileSync(
      join(dir, 'new.yaml'),
      `${base}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-only-80, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]
`,
    );
    const r = runCli(['netpol', 'diff', join(dir, 'old.yaml'), '--', join(dir, 'new.yaml')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^- x\/a\[Pod\] => x\/b\[Pod\] : SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535$/m);
    assert.match(r.stdout, /^- 0\.0\.0\.0-255\.255\.255\.255\[External\] => x\/b\[Pod\] : All Connections$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('netpol matrix --compat netpol-analyzer accepts the recorded flags as one command line', {
  skip: sharedSkipReason('conformance', 'netpol-analyzer', 'acs-security-demos-added-workloads'),
}, () => {
  const dir = sharedPath('conformance', 'netpol-analyzer', 'acs-security-demos-added-workloads', 'manifests') as string;
  const r = runCli([
    'netpol',
    'matrix',
    '--compat',
    'netpol-analyzer',
    '-o',
    'txt',
    '--focusworkload',
    'backend/catalog',
    '--focus-conn',
    'tcp-8080',
    dir,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Permitted connections on TCP 8080:\n/);
});
