/**
 * Hand-written cases for the multi-network view (`--compat netpol-analyzer --multiple-networks`): primary UDN/CUDN
 * isolation, NAD secondary networks under MultiNetworkPolicies (ipBlocks match attachment addresses), KubeVirt VMs,
 * (C)UDN validation, and what the native matrix says about these objects.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSnapshot } from '../inputs/index.js';
import { type MatrixRequest, netpolLint, netpolMatrix } from './index.js';

type Obj = Record<string, unknown>;
const ns = (name: string, labels: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const udnNs = (name: string) => ns(name, { 'k8s.ovn.org/primary-user-defined-network': '' });
const pod = (namespace: string, name: string, labels: Obj, annotations: Obj = {}, ports: number[] = []): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels, annotations },
  spec: { containers: [{ name: 'c', ports: ports.map((containerPort) => ({ containerPort })) }] },
});
const udn = (
  namespace: string,
  name: string,
  spec: Obj = { topology: 'Layer2', layer2: { role: 'Primary' } },
): Obj => ({
  apiVersion: 'k8s.ovn.org/v1',
  kind: 'UserDefinedNetwork',
  metadata: { name, namespace },
  spec,
});
const cudn = (name: string, matchLabels: Obj): Obj => ({
  apiVersion: 'k8s.ovn.org/v1',
  kind: 'ClusterUserDefinedNetwork',
  metadata: { name },
  spec: { namespaceSelector: { matchLabels }, network: { topology: 'Layer3', layer3: { role: 'Primary' } } },
});
const nad = (namespace: string, name: string): Obj => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace },
  spec: { config: '{"cniVersion":"0.3.1","type":"macvlan"}' },
});
const mnp = (namespace: string, name: string, network: string, spec: Obj): Obj => ({
  apiVersion: 'k8s.cni.cncf.io/v1beta1',
  kind: 'MultiNetworkPolicy',
  metadata: { name, namespace, annotations: { 'k8s.v1.cni.cncf.io/policy-for': network } },
  spec,
});
const np = (namespace: string, name: string, spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

function run(objects: Obj[], req: Partial<MatrixRequest> = {}) {
  const snap = buildSnapshot(
    objects.map((object, i) => ({ object, source: { file: 'mem.yaml', line: i + 1, documentIndex: i } })),
  );
  return netpolMatrix({ paths: [], format: 'txt', compat: 'netpol-analyzer', multipleNetworks: true, ...req }, snap);
}

const lines = (text: string) => text.split('\n').filter(Boolean);

test('a primary UDN isolates its namespace from the pod network; its members are named ns[udn]/...', () => {
  const r = run([
    udnNs('a'),
    udn('a', 'net'),
    ns('b'),
    pod('a', 'p1', { app: 'p1' }),
    pod('a', 'p2', {}),
    pod('b', 'q', {}),
  ]);
  assert.equal(r.fatal, false);
  const l = lines(r.text);
  assert.ok(l.includes('Permitted connectivity analyzed in primary UDN a:'));
  assert.ok(l.includes('a[udn]/p1[Pod] => a[udn]/p2[Pod] : All Connections'));
  assert.ok(l.includes('0.0.0.0-255.255.255.255[External] => b/q[Pod] : All Connections'));
  assert.ok(!l.some((x) => /b\/q\[Pod\] => a/.test(x) || /a\[udn\]\/p\d\[Pod\] => b\/q/.test(x)));
  assert.ok(l.includes('\tPrimary Network: a[UDN]'));
  assert.ok(l.includes('\tPrimary Network: pod-network'));
});

test('a CUDN joins only the selected namespaces that carry the primary-UDN label; NetworkPolicies still apply there', () => {
  const r = run([
    {
      ...udnNs('red'),
      metadata: { name: 'red', labels: { tenant: 't', 'k8s.ovn.org/primary-user-defined-network': '' } },
    },
    {
      ...udnNs('blue'),
      metadata: { name: 'blue', labels: { tenant: 't', 'k8s.ovn.org/primary-user-defined-network': '' } },
    },
    ns('plain', { tenant: 't' }),
    cudn('tenant-net', { tenant: 't' }),
    pod('red', 'r', {}),
    pod('blue', 'b', {}, {}, [8080]),
    pod('plain', 'p', {}),
    np('blue', 'only-8080', { podSelector: {}, ingress: [{ ports: [{ port: 8080 }] }] }),
  ]);
  const l = lines(r.text);
  assert.ok(l.includes('Permitted connectivity analyzed in primary CUDN tenant-net:'));
  assert.ok(l.includes('red/r[Pod] => blue/b[Pod] : TCP 8080'));
  assert.ok(l.includes('blue/b[Pod] => red/r[Pod] : All Connections'));
  assert.ok(l.includes('plain/p[Pod]: ') && l.includes('\tPrimary Network: tenant-net[CUDN]'));
  assert.ok(!l.some((x) => x.startsWith('plain/p[Pod] => red') || x.startsWith('plain/p[Pod] => blue')));
  assert.ok(
    r.problems.some((p) =>
      p.text.includes('Namespace plain does not contain k8s.ovn.org/primary-user-defined-network label'),
    ),
  );
});

test('a NAD is a secondary network of its attached pods, governed only by the MultiNetworkPolicies for it', () => {
  const attach = { 'k8s.v1.cni.cncf.io/networks': 'shared' };
  const r = run([
    ns('x'),
    nad('x', 'shared'),
    pod('x', 'server', { app: 'server' }, attach),
    pod('x', 'client', { app: 'client' }, attach),
    pod('x', 'loner', {}),
    mnp('x', 'server-80', 'shared', {
      podSelector: { matchLabels: { app: 'server' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 80 }] }],
    }),
    // a NetworkPolicy acts on the pod network only
    np('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
  ]);
  const l = lines(r.text);
  assert.ok(l.includes('All connections are not allowed for the workloads in the pod-network'));
  assert.ok(l.includes('Permitted connectivity analyzed in secondary NAD shared:'));
  assert.ok(l.includes('x/client[Pod] => x/server[Pod] : TCP 80'));
  assert.ok(l.includes('x/server[Pod] => x/client[Pod] : All Connections'));
  assert.ok(!l.some((x) => x.includes('loner') && x.includes('=>')));
  assert.ok(l.includes('\tSecondary Networks: shared[NAD]'));
  const csv = run([ns('x'), nad('x', 'shared'), pod('x', 'a', {}, attach), pod('x', 'b', {}, attach)], {
    format: 'csv',
  });
  assert.ok(lines(csv.text).includes('x/a[Pod],x/b[Pod],All Connections,shared'));
  assert.ok(lines(csv.text).includes('x/a[Pod],x/b[Pod],All Connections,pod-network'));
});

test('KubeVirt VMs are workloads; on a NAD an ipBlock matches the address a VM configures through cloud-init', () => {
  const vm = (name: string, address: string, labels: Obj): Obj => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'default' },
    spec: {
      template: {
        metadata: { labels },
        spec: {
          networks: [{ name: 'l2', multus: { networkName: 'flat' } }],
          volumes: [
            {
              name: 'ci',
              cloudInitNoCloud: { networkData: `version: 2\nethernets:\n  eth1:\n    addresses:\n    - ${address}\n` },
            },
          ],
        },
      },
    },
  });
  const r = run([
    ns('default'),
    nad('default', 'flat'),
    vm('near', '10.200.0.1/24', { role: 'db' }),
    vm('far', '10.200.0.9/24', { role: 'db' }),
    vm('db', '10.200.0.2/24', { role: 'db' }),
    mnp('default', 'db-from-near', 'default/flat', {
      podSelector: { matchLabels: { role: 'db' } },
      ingress: [{ from: [{ ipBlock: { cidr: '10.200.0.0/30' } }] }],
    }),
  ]);
  const nadSection = lines(r.text.split('Permitted connectivity analyzed in secondary NAD flat:')[1] ?? '');
  assert.ok(nadSection.includes('default/near[VirtualMachine] => default/db[VirtualMachine] : All Connections'));
  assert.ok(!nadSection.some((x) => x.startsWith('default/far[VirtualMachine] => default/db')));
});

test('--exposure is refused with --multiple-networks rather than ignored', () => {
  assert.throws(
    () => run([ns('a'), pod('a', 'p', {})], { exposure: true }),
    /--exposure together with --multiple-networks/,
  );
});

test('invalid or conflicting (C)UDNs are fatal, as in netpol-analyzer', () => {
  assert.equal(run([udnNs('a'), udn('a', 'net', { topology: 'Layer4' })]).fatal, true);
  assert.equal(run([udnNs('a'), udn('a', 'default')]).fatal, true);
  assert.equal(run([ns('default'), udn('default', 'net')]).fatal, true);
  assert.equal(run([udnNs('a'), udn('a', 'one'), udn('a', 'two')]).fatal, true);
  assert.equal(run([udnNs('a'), udn('a', 'net', { topology: 'Layer2', layer3: { role: 'Primary' } })]).fatal, true);
});

test('--explain on a focus connection lists pairs across isolated networks as denied by the UDN', () => {
  const r = run([udnNs('a'), udn('a', 'net'), ns('b'), pod('a', 'p', {}), pod('b', 'q', {})], {
    explain: true,
    focusConnText: 'tcp-80',
  });
  assert.match(r.text, /# Specific connections and their reasons in primary UDN a #/);
  assert.match(r.text, /Connections between b\/q\[Pod\] => a\[udn\]\/p\[Pod\]:/);
  assert.match(r.text, /Denied TCP:\[80\] due to existence of user defined networks:/);
  assert.match(r.text, /UserDefinedNetwork 'a' isolates a\[udn\]\/p\[Pod\]/);
  const plain = run([udnNs('a'), udn('a', 'net'), ns('b'), pod('a', 'p', {}), pod('b', 'q', {})], { explain: true });
  assert.match(plain.text, /Note: Connections between any peers from separate isolated networks are denied/);
});

test('without --multiple-networks the objects are reported as not analysed, never silently ignored', () => {
  const objects = [
    udnNs('a'),
    udn('a', 'net'),
    nad('a', 'n'),
    mnp('a', 'm', 'n', { podSelector: {} }),
    pod('a', 'p', {}),
  ];
  for (const req of [{ compat: undefined, multipleNetworks: false }, { multipleNetworks: false }] as const) {
    const r = run(objects, req);
    assert.ok(!r.text.includes('Workload-to-Networks Mapping'));
    for (const kind of ['UserDefinedNetwork', 'NetworkAttachmentDefinition', 'MultiNetworkPolicy'])
      assert.ok(
        r.problems.some(
          (p) => p.level === 'warning' && p.text.includes(kind) && p.text.includes('--multiple-networks'),
        ),
        `${kind} reported`,
      );
  }
});

test('netpol lint reports each multi-network object as NETPOL-013 unknown with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-multinet-lint-'));
  try {
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [udnNs('a'), udn('a', 'net'), nad('a', 'n')] }),
    );
    const findings = netpolLint({ paths: [dir] }).findings.filter((f) => f.ruleId === 'NETPOL-013');
    assert.deepEqual(findings.map((f) => [f.status, f.resource.type === 'kubernetes' ? f.resource.kind : '']).sort(), [
      ['unknown', 'NetworkAttachmentDefinition'],
      ['unknown', 'UserDefinedNetwork'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
