/**
 * `rampart netpol matrix --multiple-networks` from the command line, on a small hand-written snapshot (one primary
 * UDN namespace, one pod-network namespace): on with --compat netpol-analyzer, refused without it, and the native
 * matrix reports the UDN as not analysed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-multinet-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'cluster.yaml'),
  `apiVersion: v1
kind: Namespace
metadata: {name: tenant, labels: {k8s.ovn.org/primary-user-defined-network: ""}}
---
apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: tenant-net, namespace: tenant}
spec: {topology: Layer2, layer2: {role: Primary, subnets: [10.100.0.0/16]}}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: tenant}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {containers: [{name: c, image: x}]}
`,
);

test('--compat netpol-analyzer --multiple-networks: per-network sections; the UDN namespace is isolated', () => {
  const r = runCli(['netpol', 'matrix', '--compat', 'netpol-analyzer', '--multiple-networks', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Permitted connectivity analyzed in primary UDN tenant:/);
  assert.match(r.stdout, /tenant\[udn\]\/app\[Pod\] => 0\.0\.0\.0-255\.255\.255\.255\[External\] : All Connections/);
  assert.doesNotMatch(r.stdout, /shop\/web\[Pod\] => tenant/);
  const off = runCli(['netpol', 'matrix', '--compat', 'netpol-analyzer', '--multiple-networks=false', dir]);
  assert.equal(off.status, 0, off.stderr);
  assert.doesNotMatch(off.stdout, /Workload-to-Networks Mapping/);
});

test('--multiple-networks needs --compat netpol-analyzer; the native matrix says the UDN is not analysed', () => {
  const refused = runCli(['netpol', 'matrix', '--multiple-networks', dir]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--multiple-networks needs --compat netpol-analyzer/);
  const native = runCli(['netpol', 'matrix', dir]);
  assert.equal(native.status, 0, native.stderr);
  assert.match(native.stderr, /warning: .*UserDefinedNetwork tenant\/tenant-net: kind: .*unknown/);
});

test('native netpol check into a primary UDN namespace is UNKNOWN (exit 3), never ALLOWED; pod-network pairs are answered', () => {
  const into = runCli(['netpol', 'check', dir, '--from', 'shop/web', '--to', 'tenant/app', '--port', '80/TCP']);
  assert.equal(into.status, 3, into.stderr);
  assert.match(
    into.stdout,
    /^UNKNOWN: shop\/web\[Pod\] => tenant\/app\[Pod\] on TCP 80: namespace tenant \(UserDefinedNetwork tenant\/tenant-net\) is on a primary user-defined network, .*the policies alone would say allowed/,
  );
  const json = runCli(['netpol', 'check', dir, '--from', 'tenant/app', '--to', '10.0.0.1', '-o', 'json']);
  assert.equal(json.status, 3, json.stderr);
  assert.equal(JSON.parse(json.stdout).verdict, 'unknown');
  const podNetwork = runCli(['netpol', 'check', dir, '--from', 'shop/web', '--to', '10.0.0.1']);
  assert.equal(podNetwork.status, 0, podNetwork.stderr);
  assert.match(podNetwork.stdout, /^ALLOWED: /);
});
