import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSnapshot } from '../inputs/index.js';
import { buildNetwork } from './build.js';
import { ConnSet } from './conn.js';
import type { Endpoint } from './engine.js';
import { IpSet, parseCidr, parseIp } from './ip.js';
import { lintNetwork } from './lint.js';

type Obj = Record<string, unknown>;
const ns = (name: string, labels: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const pod = (namespace: string, name: string, labels: Obj, extra: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: {
    containers: [
      {
        name: 'c',
        ports: [
          { name: 'serve-80-tcp', containerPort: 80 },
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
        ],
      },
    ],
    ...extra,
  },
  status: { podIP: `10.0.${namespace.length}.${name.length}` },
});
const np = (namespace: string, name: string, spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

function world(policies: Obj[], opts: { ipblockMatchesPods?: boolean } = {}) {
  const objects = [
    ns('x', { ns: 'x' }),
    ns('y', { ns: 'y' }),
    pod('x', 'a', { pod: 'a' }),
    pod('x', 'b', { pod: 'b' }),
    pod('y', 'a', { pod: 'a' }),
    pod('y', 'host', { pod: 'host' }, { hostNetwork: true }),
    ...policies,
  ];
  const snap = buildSnapshot(
    objects.map((object, i) => ({ object, source: { file: 'mem.yaml', line: i + 1, documentIndex: i } })),
  );
  const net = buildNetwork(snap, opts);
  const ep = (ref: string): Endpoint => {
    const ip = parseIp(ref);
    if (ip) return { type: 'ip', range: { family: ip.family, lo: ip.value, hi: ip.value } };
    const p = net.model.pods.find((x) => `${x.namespace}/${x.name}` === ref);
    assert.ok(p, ref);
    return { type: 'pod', pod: p };
  };
  const conns = (from: string, to: string) => net.model.evaluatePair(ep(from), ep(to)).allowed;
  return { net, conns };
}

test('no policy: everything allowed; self always allowed', () => {
  const { conns } = world([]);
  assert.ok(conns('x/a', 'y/a').isAll());
  assert.ok(conns('x/a', 'x/a').isAll());
});

test('ingress: [] isolates, ingress: [{}] allows all; union of policies', () => {
  const deny = np('x', 'deny', { podSelector: {}, ingress: [] });
  assert.ok(world([deny]).conns('y/a', 'x/a').isEmpty());
  const allowAll = np('x', 'all', { podSelector: {}, ingress: [{}] });
  assert.ok(world([deny, allowAll]).conns('y/a', 'x/a').isAll());
});

test('policyTypes default: Egress only when egress rules exist; Egress-only leaves ingress open', () => {
  const egressOnly = np('x', 'e', { podSelector: {}, policyTypes: ['Egress'], ingress: [] });
  const w = world([egressOnly]);
  assert.ok(w.conns('y/a', 'x/a').isAll());
  assert.ok(w.conns('x/a', 'y/a').isEmpty());
  assert.equal(
    lintNetwork(w.net).some((f) => f.ruleId === 'NETPOL-006'),
    false,
  );
  const inert = np('x', 'i', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] });
  assert.ok(lintNetwork(world([inert]).net).some((f) => f.ruleId === 'NETPOL-006'));
});

test('namespaceSelector+podSelector in one peer is AND, in two peers is OR', () => {
  const and = np('x', 'p', {
    podSelector: { matchLabels: { pod: 'a' } },
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] },
    ],
  });
  assert.ok(world([and]).conns('y/a', 'x/a').isEmpty());
  const or = np('x', 'p', {
    podSelector: { matchLabels: { pod: 'a' } },
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] },
    ],
  });
  const w = world([or]);
  assert.ok(w.conns('y/a', 'x/a').isAll());
  assert.ok(w.conns('x/b', 'x/a').isAll());
  assert.ok(lintNetwork(w.net).some((f) => f.ruleId === 'NETPOL-004'));
});

test('ports: named port resolves on the destination with its protocol; endPort ranges; protocol-only', () => {
  const named = np('x', 'n', {
    podSelector: {},
    ingress: [{ ports: [{ port: 'serve-80-tcp' }, { port: 'dns' }, { port: 'dns', protocol: 'UDP' }] }],
  });
  const c = world([named]).conns('y/a', 'x/a');
  assert.equal(c.toString(), 'TCP 80,UDP 53');
  const range = np('x', 'r', {
    podSelector: {},
    ingress: [{ ports: [{ port: 1000, endPort: 2000, protocol: 'SCTP' }, { protocol: 'UDP' }] }],
  });
  assert.equal(world([range]).conns('y/a', 'x/a').toString(), 'SCTP 1000-2000,UDP 1-65535');
});

test('ipBlock with except, IPv4 and IPv6; --ipblock-matches-pods switch', () => {
  const block = np('x', 'b', {
    podSelector: {},
    ingress: [
      { from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.1.0/24'] } }, { ipBlock: { cidr: '2001:db8::/32' } }] },
    ],
  });
  const w = world([block]);
  assert.ok(w.conns('10.9.9.9', 'x/a').isAll());
  assert.ok(w.conns('10.0.1.5', 'x/a').isEmpty());
  assert.ok(w.conns('2001:db8::1', 'x/a').isAll());
  assert.ok(w.conns('2001:db9::1', 'x/a').isEmpty());
  // y/a has pod IP 10.0.1.1: excepted; x/b has 10.0.1.1 too → use a block that includes 10.0.1.0/24 only
  const podBlock = np('x', 'pb', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.1.0/24' } }] }] });
  assert.ok(world([podBlock]).conns('y/a', 'x/a').isAll());
  assert.ok(world([podBlock], { ipblockMatchesPods: false }).conns('y/a', 'x/a').isEmpty());
});

test('host-network pods are node traffic: not isolated, ingress from them allowed', () => {
  const deny = np('y', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  const w = world([deny, np('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
  assert.ok(w.conns('x/a', 'y/host').isAll());
  assert.ok(w.conns('y/host', 'x/a').isAll());
});

test('invalid policies are reported and not applied', () => {
  const bad = [
    np('x', 'p1', { podSelector: {}, ingress: [{ from: [{}] }] }),
    np('x', 'p2', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }),
    np('x', 'p3', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/8'] } }] }],
    }),
    np('x', 'p4', { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }),
    np('x', 'p5', { podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'ICMP' }] }] }),
    np('x', 'p6', { podSelector: {}, policyTypes: ['Ingress', 'Sideways'] }),
    np('x', 'p7', { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] }),
  ];
  const w = world(bad);
  assert.equal(w.net.problems.length, 7);
  assert.equal(w.net.model.networkPolicies.length, 0);
  assert.ok(w.conns('y/a', 'x/a').isAll());
});

test('ANP Allow/Deny/Pass precede NetworkPolicy; BANP after; first matching rule wins', () => {
  const anp = (name: string, priority: number, action: string): Obj => ({
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name },
    spec: {
      priority,
      subject: { namespaces: { matchLabels: { ns: 'x' } } },
      ingress: [
        {
          name: `${action}-y`,
          action,
          from: [{ namespaces: { matchLabels: { ns: 'y' } } }],
          ports: [{ portNumber: { protocol: 'TCP', port: 80 } }],
        },
      ],
    },
  });
  const banp: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default' },
    spec: { subject: { namespaces: {} }, ingress: [{ name: 'deny', action: 'Deny', from: [{ namespaces: {} }] }] },
  };
  const allowNp = np('x', 'all', { podSelector: {}, ingress: [{}] });
  // Deny at priority 1 beats Allow at priority 2 and the NetworkPolicy allowing everything
  const w1 = world([anp('deny', 1, 'Deny'), anp('allow', 2, 'Allow'), allowNp]);
  assert.equal(w1.conns('y/a', 'x/a').contains('TCP', 80), false);
  assert.ok(w1.conns('y/a', 'x/a').contains('TCP', 81));
  // Pass goes to the NetworkPolicy tier; with no NetworkPolicy, the BANP denies
  const w2 = world([anp('pass', 1, 'Pass'), anp('allow', 2, 'Allow'), banp]);
  assert.ok(w2.conns('y/a', 'x/a').isEmpty());
  // Allow is final even against the baseline deny
  const w3 = world([anp('allow', 2, 'Allow'), banp]);
  assert.equal(w3.conns('y/a', 'x/a').toString(), 'TCP 80');
});

test('ClusterNetworkPolicy v1alpha2 tiers: Admin Accept, Baseline Deny', () => {
  const cnp = (name: string, tier: string, action: string, priority: number): Obj => ({
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    kind: 'ClusterNetworkPolicy',
    metadata: { name },
    spec: {
      tier,
      priority,
      subject: { namespaces: {} },
      ingress: [{ name: action, action, from: [{ namespaces: { matchLabels: { ns: 'y' } } }] }],
    },
  });
  const w = world([cnp('base', 'Baseline', 'Deny', 5)]);
  assert.ok(w.conns('y/a', 'x/a').isEmpty());
  assert.ok(w.conns('x/b', 'x/a').isAll());
  assert.ok(
    world([cnp('base', 'Baseline', 'Deny', 5), cnp('acc', 'Admin', 'Accept', 1)])
      .conns('y/a', 'x/a')
      .isAll(),
  );
});

test('connection sets and IP sets', () => {
  const c = ConnSet.of('TCP', 80)
    .union(ConnSet.of('TCP', 81, 90))
    .union(ConnSet.of('UDP'));
  assert.equal(c.toString(), 'TCP 80-90,UDP 1-65535');
  assert.equal(ConnSet.all.subtract(ConnSet.of('UDP', 53)).toExplainString(), 'TCP, UDP:[1-52,54-65535], SCTP');
  const s = IpSet.from([parseCidr('10.0.0.0/8') as never]).subtract(IpSet.from([parseCidr('10.1.0.0/16') as never]));
  assert.equal(s.ranges.length, 2);
  assert.equal(parseIp('::ffff:1.2.3.4')?.value, 0xffff01020304n);
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
});

test('Calico and Cilium policies are reported as not analysed (lint: unknown with reason), never ignored silently', () => {
  const cnp: Obj = {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'l7', namespace: 'x' },
    spec: {
      endpointSelector: {},
      ingress: [{ toPorts: [{ ports: [{ port: '80' }], rules: { http: [{ method: 'GET' }] } }] }],
    },
  };
  const gnp: Obj = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'g' },
    spec: {},
  };
  const w = world([cnp, gnp]);
  assert.equal(w.net.problems.filter((p) => p.level === 'warning').length, 2);
  const unknown = lintNetwork(w.net).filter((f) => f.ruleId === 'NETPOL-013');
  assert.equal(unknown.length, 2);
  assert.ok(unknown.every((f) => f.status === 'unknown' && f.reason));
});

test('same-priority admin policies and named ports toward ipBlocks are lint findings, not "not analysed"', () => {
  const anp = (name: string): Obj => ({
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name },
    spec: {
      priority: 3,
      subject: { namespaces: {} },
      ingress: [{ name: 'r', action: 'Allow', from: [{ namespaces: {} }] }],
    },
  });
  const ipNamed = np('x', 'ipn', {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '1.2.3.0/24' } }], ports: [{ port: 'http' }] }],
  });
  const ids = lintNetwork(world([anp('a1'), anp('a2'), ipNamed]).net).map((f) => f.ruleId);
  assert.ok(ids.includes('NETPOL-014'));
  assert.ok(ids.includes('NETPOL-005'));
  assert.ok(!ids.includes('NETPOL-013'));
});
