import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { risksFromFiles } from './questions.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-risks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const binding = (name: string, role: string) => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${role}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}]
`;
const role = (name: string, rule: string) => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}, namespace: dev}
rules: [${rule}]
`;

describe('access risks: wildcards', () => {
  test('a "*" verb, resource or group is a wildcard finding; "*" on "*" stays the cluster-admin finding only', () => {
    writeFileSync(
      join(dir, 'rbac.yaml'),
      [
        role('any-verb-on-configmaps', '{apiGroups: [""], resources: [configmaps], verbs: ["*"]}'),
        binding('any-verb-on-configmaps', 'any-verb-on-configmaps'),
        role('everything', '{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}'),
        binding('everything', 'everything'),
        role('plain', '{apiGroups: [""], resources: [configmaps], verbs: [get]}'),
        binding('plain', 'plain'),
      ].join(''),
    );
    const r = risksFromFiles([dir], {});
    const by = (id: string) =>
      r.findings.filter((f) => f.ruleId === id).map((f) => f.resource.type === 'kubernetes' && f.resource.name);
    assert.deepEqual(by('ACCESS-RBAC-WILDCARD'), ['any-verb-on-configmaps']);
    assert.deepEqual(by('ACCESS-RBAC-CLUSTER-ADMIN'), ['everything']);
    const w = r.findings.find((f) => f.ruleId === 'ACCESS-RBAC-WILDCARD');
    assert.equal(w?.severity, 'MEDIUM');
    assert.equal(w?.resource.type === 'kubernetes' && typeof w.resource.line, 'number');
  });
});
