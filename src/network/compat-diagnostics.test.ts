import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSnapshot } from '../inputs/index.js';
import { buildNetwork } from './build.js';
import { focusDiagnostics, optionDiagnostics, ownerLabelGapErrors, podDecodeProblem } from './compat-diagnostics.js';

const snapshotOf = (...objects: Array<Record<string, unknown>>) =>
  buildSnapshot(
    objects.map((object, i) => ({ object, source: { file: 'test.yaml', line: i * 10 + 1, documentIndex: i } })),
  );

const pod = (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}, owner?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    labels,
    ...(owner ? { ownerReferences: [{ name: owner, controller: true }] } : {}),
  },
  spec: { containers: [{ name: 'c' }], ...spec },
});

test('pod fields that do not decode name the field and quote netpol-analyzer', () => {
  const bad = snapshotOf(pod('a', {}, { containers: [{ name: 'c', ports: [{ containerPort: [] }] }] }));
  const p = podDecodeProblem(bad.ofKind('Pod')[0] as never);
  assert.equal(p?.field, 'spec.containers[0].ports[0].containerPort');
  assert.match(p?.message ?? '', /unrecognized type: int32/);
  const map = snapshotOf(pod('b', {}, { containers: [{ name: 'c', ports: { containerPort: 80 } }] }));
  assert.match(podDecodeProblem(map.ofKind('Pod')[0] as never)?.message ?? '', /cannot restore slice from map/);
  const good = snapshotOf(pod('c', { app: 'x' }, { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] }));
  assert.equal(podDecodeProblem(good.ofKind('Pod')[0] as never), undefined);
  // the analysis skips the undecodable pod under compat
  assert.equal(buildNetwork(bad, { compat: 'netpol-analyzer' }).model.pods.length, 0);
});

test('ignored option combinations become warnings and the flag is dropped', () => {
  const r = optionDiagnostics({ focusDirection: 'ingress' as const, explainOnly: 'deny' as const, exposure: true });
  assert.equal(r.req.focusDirection, undefined);
  assert.equal(r.req.explainOnly, undefined);
  assert.equal(r.req.exposure, true);
  assert.deepEqual(
    r.problems.map((p) => p.text),
    [
      'focus-direction may be used only with focusworkload flag, will be ignored',
      'explain-only may be used only with explain flag, will be ignored',
    ],
  );
});

test('unknown focus workloads are warnings; none left means an empty result', () => {
  const net = buildNetwork(snapshotOf(pod('web', { app: 'web' })), { compat: 'netpol-analyzer' });
  const some = focusDiagnostics(net.model, { focusWorkloads: ['web', 'nope'] }, () => false);
  assert.deepEqual(some.req.focusWorkloads, ['web']);
  assert.equal(some.empty, false);
  assert.deepEqual(
    some.problems.map((p) => p.text),
    ['Workload nope does not exist in the input resources.'],
  );
  assert.equal(focusDiagnostics(net.model, { focusWorkloads: ['nope'] }, () => false).empty, true);
  assert.equal(focusDiagnostics(net.model, { focusWorkloads: ['ctl'] }, (n) => n === 'ctl').empty, false);
});

test('pods of one owner with different labels are an error only when a selector tells them apart', () => {
  const policy = (podSelector: Record<string, unknown>) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'default' },
    spec: { podSelector, policyTypes: ['Ingress'] },
  });
  const pods = [pod('o-1', { app: 'a', tier: 'x' }, {}, 'o'), pod('o-2', { app: 'a', tier: 'y' }, {}, 'o')];
  const gap = (sel: Record<string, unknown>) => {
    const snap = snapshotOf(...pods, policy(sel));
    return ownerLabelGapErrors(snap, buildNetwork(snap, { compat: 'netpol-analyzer' }).policies);
  };
  assert.equal(gap({ matchLabels: { app: 'a' } }).length, 0);
  assert.equal(gap({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }).length, 0);
  assert.equal(gap({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }] }).length, 0);
  const split = gap({ matchLabels: { tier: 'x' } });
  assert.equal(split.length, 1);
  assert.match(split[0]?.text ?? '', /same owner workload `default\/o` and with differences in their labels/);
});
