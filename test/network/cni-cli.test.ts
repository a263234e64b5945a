import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';

test('netpol --cni cilium on examples/acme + acme-cilium: the clusterwide deny decides, L7/FQDN reported unknown', () => {
  const args = ['examples/acme', 'examples/acme-cilium', '--cni', 'cilium'];
  const c = runCli([
    'netpol',
    'check',
    ...args,
    '--from',
    'analytics/notebooks',
    '--to',
    'payments/payments-api',
    '--port',
    '8443/TCP',
  ]);
  assert.equal(c.status, 1, c.stderr);
  assert.match(c.stdout, /^DENIED: analytics\/notebooks\[Deployment\] => payments\/payments-api\[Deployment\]/);
  assert.match(
    c.stdout,
    /CiliumClusterwideNetworkPolicy analytics-never-reaches-payments denies it by spec\.ingressDeny\[0\] \(examples\/acme-cilium\/policies\.yaml:\d+\)/,
  );
  const lint = runCli(['netpol', 'lint', ...args, '-o', 'json', '--fail-on', 'never']);
  assert.equal(lint.status, 0, lint.stderr);
  const unknown = (
    JSON.parse(lint.stdout).findings as Array<{ ruleId: string; status: string; reason?: string }>
  ).filter((f) => f.ruleId === 'NETPOL-013');
  assert.ok(unknown.every((f) => f.status === 'unknown' && f.reason));
  assert.ok(unknown.some((f) => /L7 rules \(http\)/.test(f.reason ?? '')));
  assert.ok(unknown.some((f) => /FQDN/.test(f.reason ?? '')));
  assert.ok(unknown.some((f) => /BaselineAdminNetworkPolicy is not enforced by --cni cilium/.test(f.reason ?? '')));
});

test('netpol --cni calico on examples/acme + acme-calico: tier order, Calico rule named; generic reports Calico unenforced', () => {
  const e = runCli([
    'netpol',
    'explain',
    'examples/acme',
    'examples/acme-calico',
    '--cni',
    'calico',
    '--from',
    'analytics/notebooks',
    '--to',
    'payments/payments-api',
  ]);
  assert.equal(e.status, 0, e.stderr);
  assert.match(
    e.stdout,
    /GlobalNetworkPolicy security\.guard-payments \(tier security\) denies it by spec\.ingress\[1\]/,
  );
  const out = runCli([
    'netpol',
    'check',
    'examples/acme',
    'examples/acme-calico',
    '--cni',
    'calico',
    '--from',
    'payments/payments-api',
    '--to',
    '198.51.100.7',
    '--port',
    '443/TCP',
  ]);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /Calico NetworkPolicy payments\/api-to-processors allows it by spec\.egress\[0\]/);
  const generic = runCli(['netpol', 'matrix', 'examples/acme', 'examples/acme-calico', '-o', 'json']);
  assert.equal(generic.status, 0, generic.stderr);
  assert.match(
    generic.stderr,
    /Calico GlobalNetworkPolicy is not enforced by --cni generic: not applied \(pass --cni calico/,
  );
  const bad = runCli(['netpol', 'matrix', 'examples/acme', '--cni', 'flannel']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /flannel/);
});
