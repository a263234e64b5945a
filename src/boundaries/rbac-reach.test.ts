import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotOf } from '../../test/boundaries/snapshot.js';
import { buildAccessModel } from '../access/index.js';
import type { Finding } from '../core/index.js';
import { BUILTIN_ROLE_NAMES, withBuiltinRoles } from './builtin-roles.js';
import { rbacFromAccessEngine } from './engines.js';
import { unavailable } from './providers.js';
import { analyzeBoundaries } from './verdict.js';

const TENANT = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: Group, name: shop-devs, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: platform-admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: platform, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: auditors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: auditors, apiGroup: rbac.authorization.k8s.io}]
`;

function rbacFindings(yaml: string, useBuiltins: boolean): Record<string, Finding> {
  const snapshot = snapshotOf(yaml);
  const model = buildAccessModel(snapshot);
  const rbac = rbacFromAccessEngine(model, useBuiltins ? withBuiltinRoles(model) : undefined);
  const report = analyzeBoundaries(snapshot, {
    providers: { pss: unavailable('test'), reachability: unavailable('test'), rbac: { available: true, value: rbac } },
  });
  const out: Record<string, Finding> = {};
  for (const f of report.findings) if (f.ruleId.startsWith('boundary/')) out[f.ruleId] = f;
  return out;
}

test('built-in roles missing from the snapshot: without the assumption the RBAC checks are unknown, never pass', () => {
  const f = rbacFindings(TENANT, false);
  assert.equal(f['boundary/tenant-edits-fences']?.status, 'unknown');
  assert.match(f['boundary/tenant-edits-fences']?.reason ?? '', /ClusterRole edit not found/);
  assert.equal(f['boundary/rbac-outside-reach']?.status, 'unknown');
});

test('built-in roles assumed: edit lets tenants dismantle their fences; view reads no secrets; cluster-admin is an administrator — all flagged as assumed', () => {
  const f = rbacFindings(TENANT, true);
  const fences = f['boundary/tenant-edits-fences'];
  assert.equal(fences?.status, 'fail');
  assert.match(fences?.title ?? '', /edit NetworkPolicies, delete NetworkPolicies/);
  assert.doesNotMatch(
    fences?.title ?? '',
    /ResourceQuotas|LimitRanges|RoleBindings/,
    'edit cannot touch quotas, limits or bindings',
  );
  const edit = ((fences?.evidence?.['edit NetworkPolicies'] as string[] | undefined) ?? []).join(' ');
  assert.match(edit, /Group shop-devs .*\[assumed built-in role rules\]/);
  assert.match(String(fences?.evidence?.assumed), /cluster-admin, edit, view .*not in the snapshot/);

  const outside = f['boundary/rbac-outside-reach'];
  // Only cluster administrators reach in from outside; the view group cannot read secrets, exec or edit policies.
  assert.equal(outside?.status, 'pass', JSON.stringify(outside?.evidence));
  const admins = ((outside?.evidence?.['cluster administrators (not counted)'] as string[] | undefined) ?? []).join(
    ' ',
  );
  assert.match(admins, /Group platform/);
  assert.doesNotMatch(JSON.stringify(outside?.evidence), /auditors/);
});

test('cluster administrators are recognised by their rules, not by names: a hand-written * on * role counts, a namespace admin does not', () => {
  const yaml = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: superuser}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: superuser}
subjects: [{kind: User, name: ops@example.com}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: backup}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: ServiceAccount, name: velero, namespace: backup}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local-admin, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: superuser}
subjects: [{kind: User, name: shop-owner@example.com}]
`;
  const outside = rbacFindings(yaml, true)['boundary/rbac-outside-reach'];
  assert.equal(outside?.status, 'fail');
  const readers = ((outside?.evidence?.['read its secrets'] as string[] | undefined) ?? []).join(' ');
  assert.match(readers, /ServiceAccount backup\/velero/);
  assert.doesNotMatch(readers, /ops@example\.com/, 'the * on * holder is an administrator, not an outsider');
  assert.doesNotMatch(readers, /shop-owner/, 'a RoleBinding inside the namespace is local');
  assert.match(
    ((outside?.evidence?.['cluster administrators (not counted)'] as string[] | undefined) ?? []).join(' '),
    /User ops@example\.com/,
  );
  // Nothing was assumed: the snapshot binds no built-in role.
  assert.equal(outside?.evidence?.assumed, undefined);
});

test('a built-in role the snapshot defines is never replaced by the assumed one', () => {
  const yaml = `${TENANT}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: edit}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
`;
  const model = buildAccessModel(snapshotOf(yaml));
  const assumed = withBuiltinRoles(model);
  assert.ok(!assumed.added.includes('edit'));
  assert.deepEqual(assumed.bound, ['cluster-admin', 'view']);
  assert.deepEqual(assumed.model.rbac.clusterRoles.get('edit')?.rules, [
    { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [], nonResourceURLs: [] },
  ]);
  const fences = rbacFindings(yaml, true)['boundary/tenant-edits-fences'];
  assert.equal(fences?.status, 'pass');
  // Aggregation: admin ⊇ edit ⊇ view, from the assumed roles alone.
  const bare = withBuiltinRoles(buildAccessModel(snapshotOf('apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n')));
  assert.deepEqual([...bare.added].sort(), [...BUILTIN_ROLE_NAMES].sort());
  const admin = bare.model.rbac.clusterRoles.get('admin')?.rules ?? [];
  assert.ok(admin.some((r) => r.resources?.includes('rolebindings') && r.verbs.includes('create')));
  assert.ok(admin.some((r) => r.resources?.includes('networkpolicies') && r.verbs.includes('patch')));
  assert.ok(admin.some((r) => r.resources?.includes('pods') && r.verbs.includes('list')));
});
