// `npx tsx bench/access/who-can.bench.ts [roles+bindings total] [runs]`: a deterministic synthetic cluster of Roles,
// ClusterRoles and their bindings (100 namespaces, group/user/service-account subjects, wildcards, resourceNames),
// an aws-auth ConfigMap mapping 200 IAM roles to the groups, then who-can questions. Times: building the model
// (aggregation + indexes) and the median of `runs` who-can answers per question.
import { performance } from 'node:perf_hooks';
import { buildAccessModel, parseRequestWords, whoCan } from '../../src/access/index.js';
import { buildSnapshot } from '../../src/inputs/index.js';

const total = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 7);
// mulberry32: small, deterministic, and without the short low-bit cycles of a plain LCG.
let seed = 42;
const rand = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) % 1_000_003) % n;
};
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RESOURCES = ['pods', 'secrets', 'configmaps', 'services', 'deployments', 'jobs', 'pods/exec', 'pods/log'];
const rule = () => ({
  apiGroups: [rand(10) === 0 ? '*' : ['', 'apps', 'batch'][rand(3)]],
  resources: rand(20) === 0 ? ['*'] : [RESOURCES[rand(RESOURCES.length)], RESOURCES[rand(RESOURCES.length)]],
  verbs: rand(15) === 0 ? ['*'] : [VERBS[rand(VERBS.length)], VERBS[rand(VERBS.length)]],
  ...(rand(8) === 0 ? { resourceNames: [`obj-${rand(50)}`] } : {}),
});
const objects: Record<string, unknown>[] = [];
const half = Math.floor(total / 2);
for (let i = 0; i < half; i++) {
  const ns = `ns-${rand(100)}`;
  const cluster = i % 10 === 0;
  const rules = Array.from({ length: 1 + rand(4) }, rule);
  objects.push({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: cluster ? 'ClusterRole' : 'Role',
    metadata: cluster ? { name: `cr-${i}` } : { name: `r-${i}`, namespace: ns },
    rules,
  });
  const subjectKind = rand(3);
  const subject =
    subjectKind === 0
      ? { kind: 'Group', name: `team-${rand(200)}`, apiGroup: 'rbac.authorization.k8s.io' }
      : subjectKind === 1
        ? { kind: 'User', name: `user-${rand(500)}`, apiGroup: 'rbac.authorization.k8s.io' }
        : { kind: 'ServiceAccount', name: `sa-${rand(50)}`, namespace: ns };
  const crb = cluster && rand(2) === 0;
  objects.push({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: crb ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: crb ? { name: `b-${i}` } : { name: `b-${i}`, namespace: ns },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: cluster ? 'ClusterRole' : 'Role',
      name: cluster ? `cr-${i}` : `r-${i}`,
    },
    subjects: [subject],
  });
}
const mapRoles = Array.from(
  { length: 200 },
  (_, i) =>
    `- rolearn: arn:aws:iam::111122223333:role/team-${i}\n  username: team-${i}:{{SessionName}}\n  groups: [team-${i}]\n`,
).join('');
objects.push({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'aws-auth', namespace: 'kube-system' },
  data: { mapRoles },
});

const snapshot = buildSnapshot(
  objects.map((object, i) => ({ object, source: { file: '<bench>', line: i + 1, documentIndex: i } })),
);
const t0 = performance.now();
const model = buildAccessModel(snapshot);
const buildMs = performance.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const questions = [
  ['get', 'secrets', 'ns-7'],
  ['create', 'pods', 'ns-42'],
  ['delete', 'deployments.apps', 'ns-99'],
] as const;
process.stdout.write(
  `${half} roles + ${half} bindings, ${objects.length} objects; model build ${buildMs.toFixed(1)} ms\n`,
);
for (const [verb, target, namespace] of questions) {
  const request = parseRequestWords({ verb, target, namespace });
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = whoCan(model, request).rows.length;
    times.push(performance.now() - t);
  }
  process.stdout.write(
    `who-can ${verb} ${target} -n ${namespace}: median ${median(times).toFixed(2)} ms over ${runs} runs (${rows} subjects)\n`,
  );
}
