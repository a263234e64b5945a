import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSnapshot, expandWorkloads, type Snapshot } from '../inputs/index.js';
import {
  checkUserConsistency,
  evaluateWorkload,
  type ImageUserFacts,
  LATEST_PSS_VERSION,
  namespacePolicy,
  parsePssVersion,
  scanPodSecurity,
  workloadRef,
} from './index.js';

function snapshotOf(...objects: Array<Record<string, unknown>>): Snapshot {
  return buildSnapshot(
    objects.map((object, i) => ({ object, source: { file: 'm.yaml', line: i * 10 + 1, documentIndex: i } })),
  );
}

function deployment(name: string, ns: string, podSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  };
}

const HARDENED = {
  serviceAccountName: 'web',
  automountServiceAccountToken: false,
  enableServiceLinks: false,
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 10001,
    runAsGroup: 10001,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  containers: [
    {
      name: 'web',
      image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:${'a'.repeat(64)}`,
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      readinessProbe: { httpGet: { path: '/', port: 8080 } },
      livenessProbe: { httpGet: { path: '/', port: 8080 } },
    },
  ],
};

function ruleIds(snapshot: Snapshot, options = {}): string[] {
  const out: string[] = [];
  for (const w of expandWorkloads(snapshot)) {
    for (const h of evaluateWorkload(w, { snapshot, options })) out.push(h.rule.id.replace('workload/', ''));
  }
  return out.sort();
}

test('a hardened Deployment passes every workload control', () => {
  assert.deepEqual(
    ruleIds(snapshotOf(deployment('web', 'shop', HARDENED)), {
      allowedRegistries: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
    }),
    [],
  );
});

test('a bare pod with every mistake trips every workload control, init containers included', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bad', namespace: 'shop' },
    spec: {
      hostNetwork: true,
      securityContext: { runAsUser: 0 },
      volumes: [
        { name: 'sock', hostPath: { path: '/var/run/docker.sock' } },
        { name: 'logs', hostPath: { path: '/var/log' } },
      ],
      initContainers: [{ name: 'init', image: 'busybox', securityContext: { privileged: true } }],
      containers: [
        {
          name: 'app',
          image: 'docker.io/library/nginx:latest',
          ports: [{ containerPort: 80, hostPort: 80 }],
          env: [
            { name: 'DB_PASSWORD', value: 'Sup3rS3cretValue!' },
            { name: 'API', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
          securityContext: { allowPrivilegeEscalation: true, capabilities: { add: ['SYS_ADMIN'] } },
          volumeMounts: [{ name: 'logs', mountPath: '/logs' }],
        },
      ],
    },
  };
  const ids = new Set(
    ruleIds(snapshotOf(pod), { allowedRegistries: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com'] }),
  );
  for (const id of [
    'privileged',
    'host-namespaces',
    'host-path',
    'runtime-socket',
    'capabilities',
    'allow-privilege-escalation',
    'run-as-root',
    'read-only-root-filesystem',
    'seccomp',
    'host-port',
    'resources',
    'probes',
    'secret-in-env',
    'plaintext-secret-env',
    'service-links',
    'default-service-account',
    'token-automount',
    'image-not-pinned',
    'registry-not-allowed',
  ]) {
    assert.ok(ids.has(id), `expected ${id}`);
  }
});

test('hostPath allow-list applies only to read-only mounts', () => {
  const spec = (readOnly: boolean) => ({
    ...HARDENED,
    volumes: [{ name: 'logs', hostPath: { path: '/var/log/pods' } }],
    containers: [{ ...HARDENED.containers[0], volumeMounts: [{ name: 'logs', mountPath: '/l', readOnly }] }],
  });
  assert.deepEqual(ruleIds(snapshotOf(deployment('a', 'x', spec(true))), { hostPathAllowList: ['/var/log'] }), []);
  assert.deepEqual(ruleIds(snapshotOf(deployment('a', 'x', spec(false))), { hostPathAllowList: ['/var/log'] }), [
    'host-path',
  ]);
});

test('token automount follows the pod field, then the ServiceAccount', () => {
  const { automountServiceAccountToken: _drop, ...noField } = HARDENED;
  const sa = (automount: boolean) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'web', namespace: 'x' },
    automountServiceAccountToken: automount,
  });
  assert.deepEqual(ruleIds(snapshotOf(deployment('a', 'x', noField), sa(false))), []);
  assert.deepEqual(ruleIds(snapshotOf(deployment('a', 'x', noField), sa(true))), ['token-automount']);
});

test('namespace labels: levels, versions, latest → cluster version, invalid values reported', () => {
  const ns = snapshotOf({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'x',
      labels: {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/enforce-version': 'v1.25',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'strict',
        'pod-security.kubernetes.io/audit-version': 'v2',
      },
    },
  });
  const p = namespacePolicy(ns.get('Namespace', undefined, 'x'), 'x', parsePssVersion('v1.29'));
  assert.deepEqual(p.modes.enforce, { level: 'baseline', version: { major: 1, minor: 25 }, labelled: true });
  assert.deepEqual(p.modes.warn, { level: 'restricted', version: { major: 1, minor: 29 }, labelled: true });
  assert.equal(p.modes.audit.level, 'privileged');
  assert.deepEqual(p.invalidLabels, [
    'pod-security.kubernetes.io/audit=strict',
    'pod-security.kubernetes.io/audit-version=v2',
  ]);
  assert.deepEqual(namespacePolicy(undefined, 'y').modes.enforce, {
    level: 'privileged',
    version: LATEST_PSS_VERSION,
    labelled: false,
  });
});

test('scanPodSecurity: enforce rejects pods, warn warns, workloads evaluated through their template', () => {
  const snap = snapshotOf(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'shop',
        labels: { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' },
      },
    },
    deployment('priv', 'shop', { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] }),
    deployment('ok', 'shop', HARDENED),
  );
  const fails = scanPodSecurity(snap).filter((f) => f.status === 'fail');
  const summary = fails
    .map((f) => `${f.resource.type === 'kubernetes' ? f.resource.name : ''}:${f.ruleId}:${String(f.evidence?.mode)}`)
    .sort();
  assert.ok(summary.includes('priv:pss/privileged:enforce'));
  assert.ok(summary.includes('priv:pss/runAsNonRoot:warn'));
  assert.ok(!summary.some((s) => s.startsWith('ok:')), summary.join('\n'));
  assert.match(
    String(fails.find((f) => f.ruleId === 'pss/privileged')?.evidence?.admission),
    /^violates PodSecurity "baseline:v1\.37": privileged/,
  );
});

test('scanPodSecurity at a fixed level reports pass for allowed workloads and an unlabelled namespace once', () => {
  const snap = snapshotOf(deployment('ok', 'shop', HARDENED));
  const at = scanPodSecurity(snap, { level: 'restricted', version: parsePssVersion('v1.30') });
  assert.deepEqual(
    at.map((f) => `${f.ruleId}:${f.status}`),
    ['pss/restricted:pass'],
  );
  const byLabels = scanPodSecurity(snap);
  assert.deepEqual(
    byLabels.map((f) => `${f.ruleId}:${f.status}`),
    ['pss/namespace-no-enforce:unknown'],
  );
});

test('USER consistency: named user under runAsNonRoot, root image under runAsNonRoot, override to 0, unguarded root, Dockerfile vs image', () => {
  const pod = (name: string, image: string, sc: Record<string, unknown>) =>
    deployment(name, 'x', { securityContext: sc, containers: [{ name: 'c', image }] });
  const snap = snapshotOf(
    pod('named', 'r/named:1', { runAsNonRoot: true }),
    pod('root', 'r/root:1', { runAsNonRoot: true }),
    pod('override', 'r/numeric:1', { runAsUser: 0 }),
    pod('unguarded', 'r/root:1', {}),
    pod('fine', 'r/numeric:1', { runAsNonRoot: true }),
    pod('explicit', 'r/named:1', { runAsNonRoot: true, runAsUser: 1000 }),
    pod('mismatch', 'r/mismatch:1', { runAsNonRoot: true, runAsUser: 1000 }),
  );
  const facts: Record<string, ImageUserFacts> = {
    'r/named:1': { imageConfig: { user: 'app', from: 'cfg' } },
    'r/root:1': { imageConfig: { user: '', from: 'cfg' } },
    'r/numeric:1': { imageConfig: { user: '10001:10001', from: 'cfg' } },
    'r/mismatch:1': { imageConfig: { user: '0', from: 'cfg' }, dockerfile: { user: '10001', from: 'Dockerfile:9' } },
  };
  const hits = checkUserConsistency(expandWorkloads(snap), (img) => facts[img], workloadRef);
  assert.deepEqual(hits.map((h) => `${h.resource.name}:${h.rule.id.replace('user/', '')}`).sort(), [
    'mismatch:dockerfile-image-mismatch',
    'named:named-user-with-runasnonroot',
    'override:pod-overrides-to-root',
    'root:root-image-with-runasnonroot',
    'unguarded:root-image-without-runasnonroot',
  ]);
});
