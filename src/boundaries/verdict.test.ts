import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotOf } from '../../test/boundaries/snapshot.js';
import { makeFinding } from '../core/index.js';
import { defaultDenyOf, expandWorkloadsCached, placementOf, toleratesTaint } from './facts.js';
import type { BoundaryProviders, PermissionHolder, RbacOracle } from './providers.js';
import { analyzeBoundaries, verdictOf } from './verdict.js';

const ENFORCING_CNI = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: calico-node, namespace: kube-system}
spec:
  template:
    spec:
      containers: [{name: calico-node, image: quay.io/calico/node:v3.28.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: coredns:1.11}]
`;

/** A tenant with every fence in place. */
function fencedTenant(ns: string, withApp = true): string {
  return `---
apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: restricted
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: ${ns}}
spec: {hard: {pods: "10"}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: ${ns}}
spec: {limits: [{type: Container, default: {memory: 256Mi}}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: ${ns}}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: ${ns}}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
      ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
${
  withApp
    ? `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ${ns}}
spec:
  template:
    metadata: {labels: {app: app}}
    spec:
      automountServiceAccountToken: false
      containers: [{name: app, image: app:1}]
`
    : ''
}`;
}

const allowAll: PermissionHolder[] = [];
function providers(over: Partial<BoundaryProviders> = {}, holders = allowAll): BoundaryProviders {
  const rbac: RbacOracle = { whoCan: () => ({ holders, incomplete: [] }) };
  return {
    pss: { available: true, value: { evaluate: () => ({ allowed: true, violations: [] }) } },
    reachability: { available: true, value: { edges: [] } },
    rbac: { available: true, value: rbac },
    ...over,
  };
}

test('a tenant with every fence in place and an enforcing CNI is isolated', () => {
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('shop')), { providers: providers() });
  const shop = report.namespaces.find((n) => n.namespace === 'shop');
  assert.equal(shop?.verdict, 'isolated', shop?.reasons.join('\n'));
  assert.equal(report.namespaces.find((n) => n.namespace === 'kube-system')?.verdict, undefined);
  const verdict = report.findings.find((f) => f.ruleId === 'boundary/verdict');
  assert.equal(verdict?.status, 'pass');
});

test('a missing engine makes the verdict partial with the reason, never isolated', () => {
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('shop')), {
    providers: providers({ rbac: { available: false, reason: 'access engine not there' } }),
  });
  const shop = report.namespaces.find((n) => n.namespace === 'shop');
  assert.equal(shop?.verdict, 'partial');
  assert.ok(shop?.reasons.some((r) => r.includes('access engine not there')));
  const rbac = shop?.findings.find((f) => f.ruleId === 'boundary/rbac-outside-reach');
  assert.equal(rbac?.status, 'unknown');
  assert.equal(rbac?.reason, 'access engine not there');
});

test('without an enforcing CNI, declared default-deny fails as "not enforced" and the namespace is open', () => {
  const coredns = ENFORCING_CNI.split('---\n')[1] ?? '';
  const report = analyzeBoundaries(snapshotOf(coredns + fencedTenant('shop')), { providers: providers() });
  assert.equal(report.enforcement.state, 'not-enforced');
  const shop = report.namespaces.find((n) => n.namespace === 'shop');
  assert.equal(shop?.verdict, 'open');
  const ingress = shop?.findings.find((f) => f.ruleId === 'boundary/default-deny-ingress');
  assert.equal(ingress?.status, 'fail');
  assert.match(ingress?.title ?? '', /declared .* but not enforced/);
  const enforcement = report.findings.find((f) => f.ruleId === 'boundary/netpol-enforced');
  assert.equal(enforcement?.status, 'fail');
  assert.equal(enforcement?.severity, 'HIGH');
});

test('snapshot without kube-system: network fences are unknown, not pass', () => {
  const report = analyzeBoundaries(snapshotOf(fencedTenant('shop')), { providers: providers() });
  assert.equal(report.enforcement.state, 'unknown');
  const shop = report.namespaces.find((n) => n.namespace === 'shop');
  assert.equal(shop?.verdict, 'partial');
  for (const rule of ['boundary/default-deny-ingress', 'boundary/default-deny-egress', 'boundary/reachability']) {
    assert.equal(shop?.findings.find((f) => f.ruleId === rule)?.status, 'unknown', rule);
  }
});

test('privileged and hostNetwork pods, missing PSA and quotas open the boundary with every reason', () => {
  const yaml = `${ENFORCING_CNI}---
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: agent, image: agent:1, securityContext: {privileged: true}}]
`;
  const report = analyzeBoundaries(snapshotOf(yaml), { providers: providers() });
  const ops = report.namespaces.find((n) => n.namespace === 'ops');
  assert.equal(ops?.verdict, 'open');
  const byRule = new Map(ops?.findings.map((f) => [f.ruleId, f]));
  assert.equal(byRule.get('boundary/privileged-pods')?.status, 'fail');
  assert.match(
    byRule.get('boundary/host-network')?.title ?? '',
    /hostNetwork bypasses NetworkPolicy.*DaemonSet\/agent/,
  );
  assert.equal(byRule.get('boundary/pod-security-labels')?.severity, 'HIGH');
  assert.equal(byRule.get('boundary/resource-quota')?.status, 'fail');
  assert.equal(byRule.get('boundary/limit-range')?.status, 'fail');
  assert.equal(byRule.get('boundary/token-automount')?.status, 'fail');
  assert.equal(byRule.get('boundary/pod-security-admission')?.status, 'skipped');
  assert.ok((ops?.reasons.length ?? 0) >= 6);
  assert.match(ops?.reasons[0] ?? '', /^HIGH: /);
});

test('PSS admission: workloads the enforce level rejects are listed with the violations', () => {
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('shop')), {
    providers: providers({
      pss: {
        available: true,
        value: { evaluate: (_s, _m, level, version) => ({ allowed: false, violations: [`${level}@${version}: no`] }) },
      },
    }),
  });
  const f = report.findings.find((x) => x.ruleId === 'boundary/pod-security-admission');
  assert.equal(f?.status, 'fail');
  assert.match(f?.title ?? '', /restricted:latest" would reject pods of 1 workload\(s\): Deployment\/app/);
  assert.deepEqual(f?.evidence, {
    rejected: { 'Deployment/app': 'restricted@latest: no' },
    // warn and audit are shown too (they do not block).
    'warn (restricted:latest)': { 'Deployment/app': 'restricted@latest: no' },
    'audit (restricted:latest)': { 'Deployment/app': 'restricted@latest: no' },
  });
});

test('RBAC reach: cluster-wide secret readers fail, local grants and administrators do not; local fence editors fail', () => {
  const holders: PermissionHolder[] = [
    { kind: 'Group', name: 'system:masters', via: 'system:masters', local: false },
    { kind: 'Group', name: 'ci', via: 'ClusterRoleBinding ci', local: false },
    {
      kind: 'Group',
      name: 'admins',
      via: 'ClusterRoleBinding admins → ClusterRole cluster-admin',
      local: false,
      admin: true,
    },
    { kind: 'Group', name: 'shop-devs', via: 'RoleBinding shop/devs', local: true },
    { kind: 'ServiceAccount', name: 'bot', namespace: 'other', via: 'RoleBinding shop/bot', local: true },
  ];
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('shop')), {
    providers: providers({}, holders),
  });
  const outside = report.findings.find((f) => f.ruleId === 'boundary/rbac-outside-reach');
  assert.equal(outside?.status, 'fail');
  const evidence = outside?.evidence as Record<string, string[]>;
  const secretReaders = evidence['read its secrets'] ?? [];
  assert.ok(secretReaders.some((s) => s.startsWith('Group ci')));
  assert.ok(secretReaders.some((s) => s.startsWith('ServiceAccount other/bot')));
  assert.ok(!secretReaders.some((s) => s.includes('shop-devs') || s.includes('admins') || s.includes('masters')));
  assert.ok(evidence['cluster administrators (not counted)']?.some((s) => s.startsWith('Group admins')));
  const fences = report.findings.find((f) => f.ruleId === 'boundary/tenant-edits-fences');
  assert.equal(fences?.status, 'fail');
  assert.match(fences?.title ?? '', /edit NetworkPolicies/);
});

test('RBAC: bindings to roles missing from the snapshot make the fence check unknown, not pass', () => {
  const rbac: RbacOracle = {
    whoCan: () => ({ holders: [], incomplete: ['rolebinding shop/x: ClusterRole admin not found'] }),
  };
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('shop')), {
    providers: providers({ rbac: { available: true, value: rbac } }),
  });
  for (const rule of ['boundary/rbac-outside-reach', 'boundary/tenant-edits-fences']) {
    const f = report.findings.find((x) => x.ruleId === rule);
    assert.equal(f?.status, 'unknown', rule);
    assert.match(f?.reason ?? '', /ClusterRole admin not found/);
  }
});

test('reachability: tenant-to-tenant traffic fails; from a shared namespace it does not', () => {
  const shared = `---
apiVersion: v1
kind: Namespace
metadata: {name: ingress, labels: {rampart.io/role: shared}}
`;
  const edges = [
    { from: 'ingress', to: 'shop', connections: 'TCP 8080' },
    { from: 'blog', to: 'shop', connections: 'All Connections' },
    { from: 'shop', to: 'ingress', connections: 'TCP 443' },
  ];
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('shop') + fencedTenant('blog') + shared), {
    providers: providers({ reachability: { available: true, value: { edges } } }),
  });
  const reach = (ns: string) =>
    report.findings.find(
      (f) => f.ruleId === 'boundary/reachability' && f.resource.type === 'kubernetes' && f.resource.name === ns,
    );
  assert.equal(reach('shop')?.status, 'fail');
  assert.match(reach('shop')?.title ?? '', /blog \(All Connections\)/);
  assert.doesNotMatch(reach('shop')?.title ?? '', /ingress/);
  assert.equal(reach('ingress')?.status, 'pass');
  assert.equal(report.namespaces.find((n) => n.namespace === 'ingress')?.role, 'shared');
});

test('default deny: policyTypes defaulting, DNS only when UDP 53 reaches kube-system', () => {
  const snap = snapshotOf(`${ENFORCING_CNI}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: implicit-ingress, namespace: a}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-tcp-dns-only, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{protocol: TCP, port: 53}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: some-pods, namespace: b}
spec: {podSelector: {matchLabels: {app: x}}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-elsewhere, namespace: c}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {team: dns}}}], ports: [{protocol: UDP, port: 53}]}]
`);
  const a = defaultDenyOf(snap, 'a');
  assert.deepEqual(
    a.ingress.map((p) => p.name),
    ['implicit-ingress'],
  );
  assert.deepEqual(a.egress, []);
  assert.equal(a.dns, undefined);
  const b = defaultDenyOf(snap, 'b');
  assert.deepEqual([b.ingress.length, b.egress.length], [0, 0]);
  assert.equal(defaultDenyOf(snap, 'c').dns, undefined);
});

test('node isolation: intended when pinned and tolerating; a pod without selector or a foreign toleration leaks', () => {
  const pinned = (ns: string, name: string, selector: boolean) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  template:
    spec:
      ${selector ? 'nodeSelector: {pool: gold}' : ''}
      tolerations: [{key: dedicated, operator: Equal, value: gold, effect: NoSchedule}]
      containers: [{name: c, image: c:1}]
`;
  const ok = analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('gold', false) + pinned('gold', 'w', true)), {
    providers: providers(),
  });
  const okF = ok.findings.find(
    (f) => f.ruleId === 'boundary/node-isolation' && f.resource.type === 'kubernetes' && f.resource.name === 'gold',
  );
  assert.equal(okF?.status, 'pass');
  const leaky = analyzeBoundaries(
    snapshotOf(
      ENFORCING_CNI +
        fencedTenant('gold', false) +
        pinned('gold', 'w', true) +
        pinned('gold', 'job', false) +
        fencedTenant('tin') +
        pinned('tin', 'x', false),
    ),
    { providers: providers() },
  );
  const f = leaky.findings.find(
    (x) => x.ruleId === 'boundary/node-isolation' && x.resource.type === 'kubernetes' && x.resource.name === 'gold',
  );
  assert.equal(f?.status, 'fail');
  const problems = (f?.evidence as { problems?: string[] } | undefined)?.problems ?? [];
  assert.ok(problems.some((p) => p.includes('Deployment/job has no nodeSelector')));
  assert.ok(problems.some((p) => p.startsWith('tin/Deployment/x also tolerates dedicated=gold:NoSchedule')));
});

test('node isolation with Node objects: every node of the pool must carry the taint the tenant tolerates', () => {
  const node = (name: string, tainted: boolean) => `---
apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {pool: gold}}
spec: {${tainted ? 'taints: [{key: dedicated, value: gold, effect: NoSchedule}]' : ''}}
`;
  const workload = `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: w, namespace: gold}
spec:
  template:
    spec:
      nodeSelector: {pool: gold}
      tolerations: [{key: dedicated, operator: Equal, value: gold, effect: NoSchedule}]
      containers: [{name: c, image: c:1}]
`;
  const iso = (extra: string) =>
    analyzeBoundaries(snapshotOf(ENFORCING_CNI + fencedTenant('gold', false) + workload + extra), {
      providers: providers(),
    }).findings.find((f) => f.ruleId === 'boundary/node-isolation');
  const good = iso(node('n1', true) + node('n2', true));
  assert.equal(good?.status, 'pass');
  assert.equal((good?.evidence as { nodes?: string } | undefined)?.nodes, '2 node(s) in the pool, 2 tainted');
  const leaky = iso(node('n1', true) + node('n2', false));
  assert.equal(leaky?.status, 'fail');
  assert.match(leaky?.title ?? '', /node n2 \(pool=gold\) has no taint/);
});

test('placement and toleration matching', () => {
  const snap = snapshotOf(`apiVersion: v1
kind: Pod
metadata: {name: p, namespace: n}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [gold]}]}]
  tolerations:
    - {key: dedicated, operator: Exists, effect: NoSchedule}
    - {key: soft, operator: Exists, effect: PreferNoSchedule}
  containers: [{name: c, image: c:1}]
`);
  const pod = expandWorkloadsCached(snap)[0];
  assert.ok(pod);
  assert.deepEqual(placementOf(pod), { nodeLabels: ['pool=gold'], tolerations: ['dedicated:NoSchedule'] });
  assert.ok(toleratesTaint('dedicated:NoSchedule', 'dedicated=gold:NoSchedule'));
  assert.ok(!toleratesTaint('dedicated:NoExecute', 'dedicated=gold:NoSchedule'));
  assert.ok(toleratesTaint('dedicated=gold:*', 'dedicated=gold:NoSchedule'));
  assert.ok(!toleratesTaint('dedicated=tin:NoSchedule', 'dedicated=gold:NoSchedule'));
  assert.ok(toleratesTaint('*', 'anything=x:NoExecute'));
});

test('verdictOf: HIGH fail opens, lower fail or unknown is partial, suppressed fails do not count', () => {
  const f = (status: 'fail' | 'pass' | 'unknown', severity: 'HIGH' | 'LOW', suppressed = false) =>
    makeFinding({
      ruleId: `r-${status}-${severity}`,
      title: 't',
      severity,
      status,
      reason: status === 'unknown' ? 'why' : undefined,
      resource: { type: 'kubernetes', kind: 'Namespace', name: 'n' },
      suppression: suppressed ? { reason: 'accepted' } : undefined,
    });
  assert.equal(verdictOf([f('fail', 'HIGH'), f('pass', 'LOW')]).verdict, 'open');
  assert.equal(verdictOf([f('fail', 'LOW')]).verdict, 'partial');
  assert.equal(verdictOf([f('unknown', 'HIGH')]).verdict, 'partial');
  assert.equal(verdictOf([f('fail', 'HIGH', true), f('pass', 'LOW')]).verdict, 'isolated');
});

test('default deny with Calico, Cilium or admin policies present: a missing Kubernetes default-deny is unknown, not fail', () => {
  const tenant = `---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`;
  const calico = `---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec: {selector: all(), types: [Ingress, Egress]}
`;
  const without = analyzeBoundaries(snapshotOf(ENFORCING_CNI + tenant), { providers: providers() });
  assert.equal(without.findings.find((f) => f.ruleId === 'boundary/default-deny-ingress')?.status, 'fail');
  const report = analyzeBoundaries(snapshotOf(ENFORCING_CNI + tenant + calico), { providers: providers() });
  for (const rule of ['boundary/default-deny-ingress', 'boundary/default-deny-egress']) {
    const f = report.findings.find((x) => x.ruleId === rule);
    assert.equal(f?.status, 'unknown', rule);
    assert.match(f?.reason ?? '', /GlobalNetworkPolicy default-deny/);
  }
});
