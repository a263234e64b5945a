/**
 * `npx tsx bench/boundaries/audit.bench.ts [namespaces] [workloadsPerNamespace] [runs]`: writes a deterministic
 * synthetic multi-tenant snapshot (PSA labels, quotas on every other tenant, default-deny + DNS on two of three,
 * a tenant Role and RoleBinding each, one cluster-wide secret reader, aws-node with the policy agent) into a temp
 * dir and times `runAudit` on it (median of the runs), with the boundary part alone for comparison.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeBoundaries, runAudit } from '../../src/boundaries/index.js';
import { loadSnapshot } from '../../src/inputs/index.js';

const namespaces = Number(process.argv[2] ?? 50);
const perNamespace = Number(process.argv[3] ?? 4);
const runs = Number(process.argv[4] ?? 3);

function tenant(i: number): string {
  const ns = `tenant-${String(i).padStart(4, '0')}`;
  const docs: string[] = [];
  docs.push(`apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels: {team: t${i % 7}, pod-security.kubernetes.io/enforce: ${i % 3 ? 'restricted' : 'baseline'}}`);
  if (i % 2 === 0)
    docs.push(`apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: ${ns}}
spec: {hard: {pods: "50"}}`);
  if (i % 3 !== 2) {
    docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: ${ns}}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`);
    docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-ingress, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {tier: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: tenant-0000}}}], ports: [{port: 8080}]}]`);
  }
  for (let w = 0; w < perNamespace; w++)
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app-${w}, namespace: ${ns}}
spec:
  template:
    metadata: {labels: {app: app-${w}, tier: ${w % 2 ? 'api' : 'web'}}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: c
          image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/app-${w}:1.0.${i}
          ports: [{name: http, containerPort: 8080}]
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`);
  docs.push(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev, namespace: ${ns}}
rules: [{apiGroups: ["", "apps"], resources: [pods, deployments, pods/exec], verbs: [get, list, create, patch]}]`);
  docs.push(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev, namespace: ${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: dev}
subjects: [{kind: Group, name: team-${i}, apiGroup: rbac.authorization.k8s.io}]`);
  return docs.join('\n---\n');
}

const SYSTEM = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: aws-node, namespace: kube-system}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - {name: aws-node, image: 602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.1}
        - {name: aws-eks-nodeagent, image: 602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.2, args: [--enable-network-policy=true]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-secret-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: Group, name: ci, apiGroup: rbac.authorization.k8s.io}]
`;

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-audit-'));
try {
  writeFileSync(join(dir, 'system.yaml'), SYSTEM);
  for (let i = 0; i < namespaces; i++) writeFileSync(join(dir, `tenant-${i}.yaml`), tenant(i));
  const times: number[] = [];
  const boundaryTimes: number[] = [];
  let findings = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const result = await runAudit([dir]);
    times.push(performance.now() - t0);
    findings = result.findings.length;
    const snap = loadSnapshot([dir]);
    const t1 = performance.now();
    analyzeBoundaries(snap, {
      providers: {
        pss: { available: false, reason: 'bench' },
        reachability: { available: false, reason: 'bench' },
        rbac: { available: false, reason: 'bench' },
      },
    });
    boundaryTimes.push(performance.now() - t1);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  process.stdout.write(
    `${namespaces} namespaces x ${perNamespace} workloads (${namespaces * perNamespace} pods): full audit median ${(median(times) / 1000).toFixed(2)} s over ${runs} runs; boundary checks alone (no engines) ${median(boundaryTimes).toFixed(0)} ms; ${findings} findings; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
