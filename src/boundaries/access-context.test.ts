import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotOf } from '../../test/boundaries/snapshot.js';
import { buildAccessModel } from '../access/index.js';
import { ACCESS_QUESTIONS, accessContextOf, CLUSTER_SCOPE } from './access-context.js';
import { withBuiltinRoles } from './builtin-roles.js';

const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: pay}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: shop}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects:
${Array.from({ length: 5 }, (_, i) => `- {kind: ServiceAccount, name: sa-${i}, namespace: shop}`).join('\n')}
- {kind: Group, name: shop-devs, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: platform-admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: platform, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/shop-dev
      username: dev
      groups: [shop-devs]
    - rolearn: arn:aws:iam::111122223333:role/platform
      username: platform
      groups: [platform]
`;

test('accessContextOf: who-can answers per namespace with IAM principals and the granting binding, capped', () => {
  const model = withBuiltinRoles(buildAccessModel(snapshotOf(CLUSTER))).model;
  const ctx = accessContextOf(model, ['shop', 'pay'], 4);
  assert.equal(ctx.subjectCap, 4);
  assert.deepEqual(
    ctx.questions.map((q) => q.id),
    ACCESS_QUESTIONS.map((q) => q.id),
  );
  // 6 namespaced questions × 2 namespaces + 1 cluster-wide answer.
  assert.equal(ctx.answers.length, 13);
  const shopSecrets = ctx.answers.find((a) => a.namespace === 'shop' && a.question === 'get secrets');
  assert.ok(shopSecrets);
  // system:masters, platform (cluster-admin), 5 service accounts and shop-devs: 8 hold it, 4 listed.
  assert.equal(shopSecrets.total, 8);
  assert.equal(shopSecrets.subjects.length, 4);
  const all = accessContextOf(model, ['shop'], 50).answers.find(
    (a) => a.namespace === 'shop' && a.question === 'get secrets',
  );
  const devs = all?.subjects.find((s) => s.name === 'shop-devs');
  assert.ok(devs, JSON.stringify(all?.subjects.map((s) => s.name)));
  assert.deepEqual(
    devs.iam.map((l) => [l.principalArn, l.via]),
    [['arn:aws:iam::111122223333:role/shop-dev', 'aws-auth mapRoles']],
  );
  assert.match(devs.via, /devs/);
  assert.match(devs.via, /secret-reader/);
  // Nobody in pay but the cluster-wide holders; list secrets is not granted by the Role.
  const paySecrets = ctx.answers.find((a) => a.namespace === 'pay' && a.question === 'get secrets');
  assert.deepEqual(paySecrets?.subjects.map((s) => s.name).sort(), ['platform', 'system:masters']);
  const shopList = ctx.answers.find((a) => a.namespace === 'shop' && a.question === 'list secrets');
  assert.ok(!shopList?.subjects.some((s) => s.name === 'shop-devs'));
  const admins = ctx.answers.find((a) => a.namespace === CLUSTER_SCOPE);
  assert.equal(admins?.question, '* * (cluster-wide)');
  assert.deepEqual(admins?.subjects.map((s) => s.name).sort(), ['platform', 'system:masters']);
  assert.ok(admins?.subjects.find((s) => s.name === 'platform')?.iam.some((l) => l.principalArn.endsWith('/platform')));
});
