/**
 * Hand-written cases for each Calico and Cilium semantic point the engine models (facts from the Calico and Cilium
 * references as summarised in ../shared/notes/network-policy.md §4, §5, §7), and for the --cni profiles.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSnapshot } from '../inputs/index.js';
import { buildNetwork } from './build.js';
import { parseCalicoSelector } from './calico.js';
import { ConnSet } from './conn.js';
import type { Cni, Endpoint } from './engine.js';
import { checkConnection } from './explain.js';
import { parseIp } from './ip.js';
import { lintNetwork } from './lint.js';
import { summarizeMatrix } from './matrix.js';

type Obj = Record<string, unknown>;
const ns = (name: string, labels: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
let ipCounter = 10;
const pod = (namespace: string, name: string, labels: Obj, extra: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: {
    containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }],
    ...extra,
  },
  status: { podIP: `10.1.0.${ipCounter++}` },
});
const calico = (kind: 'NetworkPolicy' | 'GlobalNetworkPolicy', name: string, spec: Obj, namespace?: string): Obj => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: namespace ? { name, namespace } : { name },
  spec,
});
const cnp = (name: string, spec: Obj, namespace?: string): Obj => ({
  apiVersion: 'cilium.io/v2',
  kind: namespace ? 'CiliumNetworkPolicy' : 'CiliumClusterwideNetworkPolicy',
  metadata: namespace ? { name, namespace } : { name },
  spec,
});
const knp = (namespace: string, name: string, spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

function world(policies: Obj[], cni: Cni, opts: { ipblockMatchesPods?: boolean } = {}) {
  ipCounter = 10;
  const objects = [
    ns('x', { team: 'red' }),
    ns('y', { team: 'blue' }),
    pod('x', 'web', { app: 'web', tier: 'front' }),
    pod('x', 'db', { app: 'db' }, { serviceAccountName: 'db-sa' }),
    pod('y', 'api', { app: 'api' }),
    pod('y', 'node-agent', { app: 'agent' }, { hostNetwork: true }),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'db-sa', namespace: 'x', labels: { role: 'db' } } },
    ...policies,
  ];
  const snap = buildSnapshot(
    objects.map((object, i) => ({ object, source: { file: 'mem.yaml', line: i + 1, documentIndex: i } })),
  );
  const net = buildNetwork(snap, { cni, ...opts });
  const ep = (ref: string): Endpoint => {
    const ip = parseIp(ref);
    if (ip) return { type: 'ip', range: { family: ip.family, lo: ip.value, hi: ip.value } };
    const p = net.model.pods.find((x) => `${x.namespace}/${x.name}` === ref);
    assert.ok(p, ref);
    return { type: 'pod', pod: p };
  };
  const conns = (from: string, to: string) => net.model.evaluatePair(ep(from), ep(to)).allowed;
  const allowed = (from: string, to: string, port: number, proto: 'TCP' | 'UDP' | 'SCTP' = 'TCP') =>
    conns(from, to).contains(proto, port);
  return { net, conns, allowed };
}

// ---------- Calico selector language ----------

test('Calico selectors: ==, !=, has(), in {}, not in {}, contains/starts/ends with, all(), !, &&, ||, ()', () => {
  const l = { app: 'web', tier: 'front-end' };
  const m = (s: string) => parseCalicoSelector(s).test(l);
  assert.ok(m("app == 'web'"));
  assert.ok(!m("app == 'db'"));
  assert.ok(m('app != "db"'));
  // the selector reference: k != 'v' needs the label; k not in {...} also matches resources without it
  assert.ok(!m("missing != 'x'"));
  assert.ok(m("missing not in {'x'}"));
  assert.ok(m('has(tier)') && !m('has(missing)') && m('!has(missing)'));
  assert.ok(m("app in {'db', 'web'}") && !m("app in {'db'}"));
  assert.ok(m("tier contains 'nt-e'") && m("tier starts with 'front'") && m("tier ends with 'end'"));
  assert.ok(m('all()') && m(''));
  assert.ok(m("(app == 'db' || app == 'web') && has(tier)"));
  assert.ok(!m("!(app == 'web')"));
  assert.ok(!parseCalicoSelector('global()').test(l));
  assert.throws(() => parseCalicoSelector("app == 'web' &&"));
  assert.throws(() => parseCalicoSelector('app = web'));
});

// ---------- Calico ----------

test('Calico: a Deny with a lower order beats a Kubernetes NetworkPolicy allow (KNP sits at order 1000)', () => {
  const allowAll = knp('x', 'allow-all', { podSelector: {}, ingress: [{}] });
  const deny = calico(
    'NetworkPolicy',
    'deny-api',
    {
      order: 100,
      selector: "app == 'db'",
      ingress: [{ action: 'Deny', source: { namespaceSelector: "team == 'blue'" } }],
    },
    'x',
  );
  const w = world([allowAll, deny], 'calico');
  assert.ok(!w.allowed('y/api', 'x/db', 5432));
  assert.ok(w.allowed('x/web', 'x/db', 5432));
  // order 2000 comes after the KNP, whose allow ends evaluation first
  const late = { ...deny, spec: { ...(deny.spec as Obj), order: 2000 } };
  assert.ok(world([allowAll, late], 'calico').allowed('y/api', 'x/db', 5432));
});

test('Calico: end-of-tier drop when a selecting policy decides nothing; no selecting policy = allowed (profile)', () => {
  const onlyWeb = calico(
    'NetworkPolicy',
    'web-only',
    { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }] },
    'x',
  );
  const w = world([onlyWeb], 'calico');
  assert.ok(w.allowed('x/web', 'x/db', 1));
  assert.ok(!w.allowed('y/api', 'x/db', 1)); // other namespace: the rule's selector is namespace-local
  assert.ok(w.allowed('x/db', 'y/api', 1)); // api is selected by nothing
  const parts = checkConnection(w.net.model, 'y/api', 'x/db', '80/TCP').parts;
  assert.match(parts[0]?.ingress.reasons.join(' ') ?? '', /end-of-tier deny/);
});

test('Calico: Log continues, Pass jumps to the next tier, tier defaultAction Pass, tier order', () => {
  const tier = (name: string, order: number, defaultAction?: string): Obj => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'Tier',
    metadata: { name },
    spec: { order, ...(defaultAction ? { defaultAction } : {}) },
  });
  const sec = calico('GlobalNetworkPolicy', 'security.gate', {
    tier: 'security',
    order: 1,
    selector: 'all()',
    ingress: [
      { action: 'Log' },
      { action: 'Deny', protocol: 'TCP', destination: { ports: [23] } },
      { action: 'Pass', source: { namespaceSelector: "team == 'red'" } },
    ],
  });
  const def = knp('x', 'only-web', {
    podSelector: { matchLabels: { app: 'db' } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
  });
  const w = world([tier('security', 10), sec, def], 'calico');
  assert.ok(!w.allowed('x/web', 'x/db', 23)); // Log did not stop evaluation; Deny did
  assert.ok(w.allowed('x/web', 'x/db', 80)); // Pass → default tier → KNP allows
  assert.ok(!w.allowed('y/api', 'x/db', 80)); // not passed: end of the security tier drops it
  const passing = world([tier('security', 10, 'Pass'), sec, def], 'calico');
  assert.ok(passing.allowed('y/api', 'y/api', 80));
  assert.ok(!passing.allowed('y/api', 'x/db', 80)); // passed on, then the KNP in the default tier isolates db
  assert.ok(passing.allowed('y/api', 'x/web', 80)); // passed on, nothing else selects web: profile allows
});

test('Calico: policy order inside a tier (unset = last), first Allow/Deny wins', () => {
  const a = calico('GlobalNetworkPolicy', 'allow', {
    order: 5,
    selector: "app == 'db'",
    ingress: [{ action: 'Allow' }],
  });
  const d = calico('GlobalNetworkPolicy', 'deny', { selector: "app == 'db'", ingress: [{ action: 'Deny' }] });
  assert.ok(world([a, d], 'calico').allowed('y/api', 'x/db', 80));
  const d2 = calico('GlobalNetworkPolicy', 'deny', {
    order: 1,
    selector: "app == 'db'",
    ingress: [{ action: 'Deny' }],
  });
  assert.ok(!world([a, d2], 'calico').allowed('y/api', 'x/db', 80));
});

test('Calico: types default (Ingress unless only egress rules) and egress evaluation', () => {
  const egressOnly = calico(
    'NetworkPolicy',
    'eg',
    { selector: "app == 'web'", egress: [{ action: 'Allow', protocol: 'UDP', destination: { ports: [53] } }] },
    'x',
  );
  const w = world([egressOnly], 'calico');
  assert.ok(w.allowed('y/api', 'x/web', 80)); // ingress not in the defaulted types
  assert.ok(!w.allowed('x/web', 'y/api', 80));
  assert.ok(w.allowed('x/web', 'y/api', 53, 'UDP'));
  assert.ok(!w.allowed('x/web', 'y/api', 53, 'TCP'));
});

test('Calico: nets/notNets match external addresses and pod IPs; ports ranges and named ports; notPorts', () => {
  const p = calico(
    'NetworkPolicy',
    'eg',
    {
      selector: "app == 'web'",
      types: ['Egress'],
      egress: [
        { action: 'Allow', protocol: 'TCP', destination: { nets: ['192.0.2.0/24'], notNets: ['192.0.2.128/25'] } },
        {
          action: 'Allow',
          protocol: 'TCP',
          destination: { nets: ['10.1.0.0/16'], ports: ['http', '9000:9010'], notPorts: [9005] },
        },
      ],
    },
    'x',
  );
  const w = world([p], 'calico');
  assert.ok(w.allowed('x/web', '192.0.2.1', 443));
  assert.ok(!w.allowed('x/web', '192.0.2.200', 443));
  assert.ok(!w.allowed('x/web', '198.51.100.1', 443));
  assert.ok(w.allowed('x/web', 'y/api', 8080)); // named port resolved on the destination pod
  assert.ok(w.allowed('x/web', 'y/api', 9003) && !w.allowed('x/web', 'y/api', 9005));
  assert.ok(!w.allowed('x/web', 'y/api', 80));
});

test('Calico: GlobalNetworkPolicy namespaceSelector, serviceAccountSelector, rule serviceAccounts, notSelector', () => {
  const g = calico('GlobalNetworkPolicy', 'sa', {
    namespaceSelector: "team == 'red'",
    serviceAccountSelector: "role == 'db'",
    ingress: [{ action: 'Allow', source: { serviceAccounts: { names: ['default'] }, notSelector: "app == 'web'" } }],
  });
  const w = world([g], 'calico');
  assert.ok(!w.allowed('x/web', 'x/db', 80)); // notSelector excludes web
  assert.ok(w.allowed('y/api', 'x/db', 80)); // GNP rule selectors span namespaces; api runs as default
  assert.ok(w.allowed('y/api', 'x/web', 80)); // web's service account is not selected: no policy
});

test('Calico: GlobalNetworkSet labels select external addresses', () => {
  const set: Obj = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkSet',
    metadata: { name: 'partners', labels: { partner: 'yes' } },
    spec: { nets: ['203.0.113.0/24'] },
  };
  const g = calico('GlobalNetworkPolicy', 'to-partners', {
    selector: "app == 'web'",
    types: ['Egress'],
    egress: [{ action: 'Allow', destination: { selector: "partner == 'yes'" } }],
  });
  const w = world([set, g], 'calico');
  assert.ok(w.allowed('x/web', '203.0.113.9', 443));
  assert.ok(!w.allowed('x/web', '203.0.114.9', 443));
});

test('Calico: invalid selector or missing tier is reported and not applied; http rules are unknown (lint)', () => {
  const bad = calico('NetworkPolicy', 'bad', { selector: "app = 'x'", ingress: [{ action: 'Deny' }] }, 'x');
  const noTier = calico('NetworkPolicy', 'nt', { tier: 'nope', ingress: [{ action: 'Deny' }] }, 'x');
  const l7 = calico(
    'NetworkPolicy',
    'l7',
    { selector: "app == 'db'", ingress: [{ action: 'Allow', http: { methods: ['GET'] } }] },
    'x',
  );
  const w = world([bad, noTier, l7], 'calico');
  const errors = w.net.problems.filter((p) => p.level === 'error').map((p) => p.field);
  assert.deepEqual(errors.sort(), ['spec.selector', 'spec.tier']);
  assert.ok(w.allowed('y/api', 'x/web', 80)); // invalid deny-all not applied
  assert.ok(w.allowed('y/api', 'x/db', 80)); // L4 part of the http rule evaluated
  const unknown = lintNetwork(w.net).filter((f) => f.ruleId === 'NETPOL-013');
  assert.equal(unknown.length, 1);
  assert.equal(unknown[0]?.status, 'unknown');
  assert.match(
    checkConnection(w.net.model, 'y/api', 'x/db').parts[0]?.ingress.reasons.join(' ') ?? '',
    /L7 rules \(http\) are not analysed/,
  );
});

test('Calico: ClusterNetworkPolicy Admin tier runs before Calico policies; ANP v1alpha1 is not enforced', () => {
  const cnpAdmin: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    kind: 'ClusterNetworkPolicy',
    metadata: { name: 'deny-blue' },
    spec: {
      tier: 'Admin',
      priority: 1,
      subject: { namespaces: { matchLabels: { team: 'red' } } },
      ingress: [{ name: 'no-blue', action: 'Deny', from: [{ namespaces: { matchLabels: { team: 'blue' } } }] }],
    },
  };
  const anp: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name: 'old' },
    spec: {
      priority: 1,
      subject: { namespaces: {} },
      ingress: [{ name: 'd', action: 'Deny', from: [{ namespaces: {} }] }],
    },
  };
  const allow = calico('GlobalNetworkPolicy', 'allow', { order: 1, ingress: [{ action: 'Allow' }] });
  const w = world([cnpAdmin, anp, allow], 'calico');
  assert.ok(!w.allowed('y/api', 'x/db', 80));
  assert.ok(w.allowed('x/web', 'x/db', 80));
  assert.ok(
    w.net.problems.some(
      (p) => p.object.kind === 'AdminNetworkPolicy' && /not enforced by --cni calico/.test(p.message),
    ),
  );
});

// ---------- Cilium ----------

test('Cilium: a selecting rule with an ingress section = default deny; ingress: [{}] isolates and allows nothing', () => {
  const iso = cnp('iso', { endpointSelector: { matchLabels: { app: 'db' } }, ingress: [{}] }, 'x');
  const w = world([iso], 'cilium');
  assert.ok(w.conns('x/web', 'x/db').isEmpty());
  assert.ok(w.conns('x/db', 'x/web').isAll()); // egress untouched
  const off = cnp('iso', { endpointSelector: {}, enableDefaultDeny: { ingress: false }, ingress: [{}] }, 'x');
  assert.ok(world([off], 'cilium').conns('x/web', 'x/db').isAll());
});

test('Cilium: fromEndpoints is namespace-local in a CNP unless it names io.kubernetes.pod.namespace; toPorts', () => {
  const p = cnp(
    'db',
    {
      endpointSelector: { matchLabels: { app: 'db' } },
      ingress: [
        { fromEndpoints: [{ matchLabels: { app: 'web' } }], toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] },
        { fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'y', app: 'api' } }] },
      ],
    },
    'x',
  );
  const w = world([p], 'cilium');
  assert.equal(w.conns('x/web', 'x/db').toString(), 'TCP 5432');
  assert.ok(w.conns('y/api', 'x/db').isAll());
  const same = cnp('db', { endpointSelector: { matchLabels: { app: 'db' } }, ingress: [{ fromEndpoints: [{}] }] }, 'x');
  const ws = world([same], 'cilium');
  assert.ok(ws.conns('x/web', 'x/db').isAll() && ws.conns('y/api', 'x/db').isEmpty());
});

test('Cilium: namespace labels are visible as io.cilium.k8s.namespace.labels.*', () => {
  const p = cnp('ns', {
    endpointSelector: { matchLabels: { 'io.cilium.k8s.namespace.labels.team': 'red' } },
    ingress: [{ fromEndpoints: [{ matchLabels: { 'io.cilium.k8s.namespace.labels.team': 'blue' } }] }],
  });
  const w = world([p], 'cilium');
  assert.ok(w.conns('y/api', 'x/db').isAll());
  assert.ok(w.conns('x/web', 'x/db').isEmpty());
});

test('Cilium: deny wins over any allow (CNP or Kubernetes NetworkPolicy)', () => {
  const allow = knp('x', 'all', { podSelector: {}, ingress: [{}] });
  const deny = cnp(
    'd',
    {
      endpointSelector: { matchLabels: { app: 'db' } },
      ingressDeny: [{ fromEntities: ['cluster'], toPorts: [{ ports: [{ port: '22' }] }] }],
    },
    'x',
  );
  const w = world([allow, deny], 'cilium');
  assert.ok(!w.allowed('x/web', 'x/db', 22) && !w.allowed('x/web', 'x/db', 22, 'UDP'));
  assert.ok(w.allowed('x/web', 'x/db', 80));
  const why = checkConnection(w.net.model, 'x/web', 'x/db', '22/TCP').parts[0]?.ingress.reasons.join(' ') ?? '';
  assert.match(why, /CiliumNetworkPolicy x\/d denies it by spec\.ingressDeny\[0\]/);
});

test('Cilium: CIDR peers never match pods (ipBlock-matches-pods off by default), except removes a block', () => {
  const p = cnp(
    'out',
    {
      endpointSelector: { matchLabels: { app: 'web' } },
      egress: [{ toCIDRSet: [{ cidr: '10.0.0.0/8', except: ['10.9.0.0/16'] }] }],
    },
    'x',
  );
  const w = world([p], 'cilium');
  assert.ok(w.conns('x/web', '10.2.3.4').isAll());
  assert.ok(w.conns('x/web', '10.9.3.4').isEmpty());
  assert.ok(w.conns('x/web', 'y/api').isEmpty()); // y/api has 10.1.0.12, inside the CIDR, but is an endpoint
  // a Kubernetes ipBlock under Cilium likewise
  const k = knp('x', 'ipb', {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16' } }] }],
  });
  assert.ok(world([k], 'cilium').conns('x/web', 'y/api').isEmpty());
  assert.ok(world([k], 'generic').conns('x/web', 'y/api').isAll());
});

test('Cilium: entities world, cluster, host/remote-node, all', () => {
  const p = (ents: string[]) =>
    cnp('e', { endpointSelector: { matchLabels: { app: 'web' } }, egress: [{ toEntities: ents }] }, 'x');
  const world1 = world([p(['world'])], 'cilium');
  assert.ok(world1.conns('x/web', '8.8.8.8').isAll() && world1.conns('x/web', 'y/api').isEmpty());
  const cluster = world([p(['cluster'])], 'cilium');
  assert.ok(cluster.conns('x/web', '8.8.8.8').isEmpty() && cluster.conns('x/web', 'y/api').isAll());
  const host = world([p(['host'])], 'cilium');
  assert.ok(host.conns('x/web', 'y/node-agent').isAll() && host.conns('x/web', 'y/api').isEmpty());
  const all = world([p(['all'])], 'cilium');
  assert.ok(all.conns('x/web', '8.8.8.8').isAll() && all.conns('x/web', 'y/api').isAll());
});

test('Cilium: L7 (http, dns) and toFQDNs are reported unknown, never silently ignored; L4 part evaluated', () => {
  const p = cnp(
    'l7',
    {
      endpointSelector: { matchLabels: { app: 'web' } },
      egress: [
        {
          toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'y' } }],
          toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{ method: 'GET' }] } }],
        },
        { toFQDNs: [{ matchName: 'api.example.com' }], toPorts: [{ ports: [{ port: '443' }] }] },
      ],
    },
    'x',
  );
  const w = world([p], 'cilium');
  assert.equal(w.conns('x/web', 'y/api').toString(), 'TCP 80');
  const unknown = lintNetwork(w.net).filter((f) => f.ruleId === 'NETPOL-013');
  assert.equal(unknown.length, 2);
  assert.ok(unknown.every((f) => f.status === 'unknown' && /L7|FQDN/.test(f.reason ?? '')));
});

test('Cilium clusterwide: endpointSelector across namespaces; fromEndpoints {} = every endpoint', () => {
  const cc = cnp('cc', {
    endpointSelector: { matchLabels: { app: 'api' } },
    ingress: [{ fromEndpoints: [{ matchLabels: { app: 'db' } }] }],
  });
  const w = world([cc], 'cilium');
  assert.ok(w.conns('x/db', 'y/api').isAll());
  assert.ok(w.conns('x/web', 'y/api').isEmpty());
});

// ---------- --cni profiles ----------

test('--cni: kinds a CNI does not enforce are reported (lint unknown) and not applied', () => {
  const c = cnp('iso', { endpointSelector: {}, ingress: [{}] }, 'x');
  const g = calico('GlobalNetworkPolicy', 'deny', { ingress: [{ action: 'Deny' }] });
  const anp: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name: 'a' },
    spec: {
      priority: 1,
      subject: { namespaces: {} },
      ingress: [{ name: 'd', action: 'Deny', from: [{ namespaces: {} }] }],
    },
  };
  const generic = world([c, g, anp], 'generic');
  assert.ok(generic.conns('x/web', 'x/db').isEmpty()); // the ANP applies
  assert.equal(lintNetwork(generic.net).filter((f) => f.ruleId === 'NETPOL-013').length, 2);
  const vpc = world([c, g, anp], 'vpc-cni');
  assert.ok(vpc.conns('x/web', 'x/db').isAll()); // no kind here is enforced by the VPC CNI agent
  assert.equal(lintNetwork(vpc.net).filter((f) => f.ruleId === 'NETPOL-013' && f.status === 'unknown').length, 3);
  const cil = world([c, g, anp], 'cilium');
  assert.ok(cil.conns('y/api', 'x/web').isEmpty() && cil.conns('y/api', 'y/api').isAll());
});

test('--cni cilium: --ipblock-matches-pods can still be forced on', () => {
  const k = knp('x', 'ipb', {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16' } }] }],
  });
  assert.ok(world([k], 'cilium', { ipblockMatchesPods: true }).conns('x/web', 'y/api').isAll());
});

test('matrix summary under calico/cilium agrees with pair-by-pair evaluation', () => {
  const policies = [
    calico('GlobalNetworkPolicy', 'g', {
      order: 10,
      selector: "app == 'db'",
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: ['http'] } },
      ],
    }),
    cnp('c', { endpointSelector: { matchLabels: { app: 'api' } }, ingress: [{ fromEndpoints: [{}] }] }, 'y'),
    knp('x', 'k', { podSelector: { matchLabels: { app: 'web' } }, ingress: [] }),
  ];
  for (const cni of ['generic', 'calico', 'cilium'] as const) {
    const w = world(policies, cni);
    const pods = w.net.model.pods;
    let allowed = 0;
    let open = 0;
    for (const a of pods)
      for (const b of pods) {
        if (a === b) continue;
        const c = w.net.model.evaluatePair({ type: 'pod', pod: a }, { type: 'pod', pod: b }).allowed;
        if (!c.isEmpty()) allowed++;
        if (c.equals(ConnSet.all)) open++;
      }
    const s = summarizeMatrix(w.net.model);
    assert.equal(s.allowedPodPairs, allowed, cni);
    assert.equal(s.fullyOpenPodPairs, open, cni);
  }
});
