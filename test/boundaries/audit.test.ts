import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import {
  type AuditResult,
  coveredOf,
  formatAuditSummary,
  pushAudit,
  renderAuditHtml,
  runAudit,
} from '../../src/boundaries/index.js';
import { register } from '../../src/cli/commands/audit.js';
import { type Finding, UsageError } from '../../src/core/index.js';
import { startHub } from '../../src/hub/index.js';
import { startDockerRegistry } from '../support/registry.js';
import { missingTool } from '../support/tools.js';
import { alpineLayout, importTestAdvisory, TEST_ADVISORY_ID } from './images.js';
import { CALICO_NODE, deployment, shopSnapshot } from './snapshot.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-audit-'));
const cleanups: Array<() => void> = [];
after(() => {
  for (const c of cleanups) c();
  rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const CLUSTER = shopSnapshot(deployment('web', `dir:${join(tmp, 'no-such-rootfs')}`));

test('runAudit without --images: the image pillar is skipped with its reason, nothing passes for it', async () => {
  const r = await runAudit([write('cluster.yaml', CLUSTER)]);
  const image = r.findings.filter((f) => f.pillar === 'image');
  assert.equal(image.length, 1);
  assert.equal(image[0]?.status, 'skipped');
  assert.match(image[0]?.reason ?? '', /--images/);
  // No kube-system in this snapshot: enforcement is unknown and the namespace cannot be isolated.
  assert.equal(r.audit.enforcement.state, 'unknown');
  assert.notEqual(r.audit.namespaces.find((n) => n.namespace === 'shop')?.verdict, 'isolated');
  assert.deepEqual(
    r.audit.engines
      .filter((e) => e.status === 'ran')
      .map((e) => `${e.engine}: ${e.purpose}`)
      .sort(),
    [
      'access: RBAC reach into namespaces (who-can)',
      'access: risky grants, aws-auth and access entries',
      'config: Pod Security Standards admission per namespace',
      'config: workload, Pod Security, Dockerfile and script lint',
      'network: NetworkPolicy lint',
      'network: namespace reachability matrix',
    ],
  );
});

const IMAGES = {
  web: 'registry.example.com/acme/web:1.0',
  api: 'registry.example.com/acme/api:2.0',
  gone: 'registry.example.com/acme/gone:3.0',
};

describe('runAudit --images: workload images read by the images engine, matched by the vulnerability engine', () => {
  let cacheDir: string;
  let result: AuditResult;
  let web: { dir: string };
  const of = (image: string, rule?: string): Finding[] =>
    result.findings.filter(
      (f) =>
        ((f.resource.type === 'image' && f.resource.reference === image) ||
          (f.resource.type === 'kubernetes' && JSON.stringify(f.evidence ?? {}).includes(image))) &&
        (!rule || f.ruleId === rule),
    );

  before(async () => {
    cacheDir = join(tmp, 'cache');
    await importTestAdvisory(cacheDir, join(tmp, 'advisories'));
    // web: root image with a vulnerable busybox; api: non-root image (numeric user) with nothing known against it.
    web = await alpineLayout([{ name: 'busybox', version: '1.36.1-r28' }], '');
    const api = await alpineLayout([{ name: 'musl', version: '1.2.5-r0' }], '65532');
    cleanups.push(() => rmSync(web.dir, { recursive: true, force: true }));
    cleanups.push(() => rmSync(api.dir, { recursive: true, force: true }));
    const file = write(
      'images.yaml',
      shopSnapshot(
        deployment('web', IMAGES.web),
        deployment('api', IMAGES.api, 'securityContext: {runAsNonRoot: true}'),
        deployment('gone', IMAGES.gone),
      ),
    );
    result = await runAudit([file], {
      images: true,
      cacheDir,
      imageSources: {
        [IMAGES.web]: `oci:${web.dir}:latest`,
        [IMAGES.api]: `oci:${api.dir}`,
        [IMAGES.gone]: `oci:${join(tmp, 'no-such-layout')}`,
      },
    });
  });

  test('a vulnerable image fails with the advisory, a clean one passes, an unreadable one is unknown with why', () => {
    const vuln = of(IMAGES.web).find((f) => f.ruleId === TEST_ADVISORY_ID);
    assert.equal(vuln?.status, 'fail');
    assert.equal(vuln?.severity, 'CRITICAL');
    assert.equal(vuln?.pillar, 'vulnerability');
    assert.match(vuln?.remediation ?? '', /1\.36\.1-r29/);

    const clean = of(IMAGES.api, 'audit/image-vulnerabilities');
    assert.equal(clean.length, 1);
    assert.equal(clean[0]?.status, 'pass');
    assert.match(clean[0]?.title ?? '', /No known vulnerabilities in the 1 packages/);
    assert.deepEqual(clean[0]?.evidence?.workloads, ['shop/Deployment/api']);

    const gone = of(IMAGES.gone, 'audit/image-unreadable');
    assert.equal(gone.length, 1);
    assert.equal(gone[0]?.status, 'unknown');
    assert.match(gone[0]?.reason ?? '', /image engine failed: .*\(source oci:/);
    assert.equal(of(IMAGES.gone, 'audit/image-vulnerabilities').length, 0, 'no pass for an image not read');

    const run = result.audit.engines.find((e) => e.engine === 'image');
    assert.equal(run?.status, 'ran');
    assert.match(run?.purpose ?? '', /2 of 3 images read/);
  });

  test('the image config user feeds the config engine: a root image without runAsNonRoot fails, a numeric non-root one does not', () => {
    const user = result.findings.filter((f) => f.ruleId.startsWith('user/'));
    const web = user.filter((f) => f.resource.type === 'kubernetes' && f.resource.name === 'web');
    assert.ok(
      web.some((f) => f.ruleId === 'user/root-image-without-runasnonroot' && f.status === 'fail'),
      JSON.stringify(user.map((f) => [f.ruleId, f.resource])),
    );
    const api = user.filter(
      (f) => f.resource.type === 'kubernetes' && f.resource.name === 'api' && f.status === 'fail',
    );
    assert.deepEqual(api, []);
  });

  test('without an advisory DB the images are still read; vulnerabilities are unknown, never pass', async () => {
    const r = await runAudit([join(tmp, 'images.yaml')], {
      images: true,
      cacheDir: join(tmp, 'empty-cache'),
      imageSources: { [IMAGES.web]: `oci:${web.dir}:latest` },
    });
    const summary = r.findings.filter(
      (f) =>
        f.ruleId === 'audit/image-vulnerabilities' &&
        f.resource.type === 'image' &&
        f.resource.reference === IMAGES.web,
    );
    assert.equal(summary[0]?.status, 'unknown');
    assert.match(summary[0]?.reason ?? '', /no advisory DB/);
    assert.ok(!r.findings.some((f) => f.pillar === 'vulnerability' && f.status === 'pass'));
  });

  test('push: the audit lands in a real hub (SQLite) under its cluster, covering every object it read', async () => {
    const hub = await startHub({ port: 0, db: join(tmp, 'hub.sqlite'), cacheDir: join(tmp, 'hub'), version: 't' });
    try {
      const token = hub.newToken as string;
      const first = await pushAudit(hub.url, result, { cluster: 'acme-test', token });
      const open = result.findings.filter((f) => f.status === 'fail' || f.status === 'unknown').length;
      assert.equal(first.received, result.findings.length);
      assert.ok(first.new > 0 && first.new <= open, JSON.stringify(first));
      assert.ok(coveredOf(result).some((r) => r.type === 'kubernetes' && r.kind === 'Deployment' && r.name === 'web'));
      const again = await pushAudit(hub.url, result, { cluster: 'acme-test', token });
      assert.equal(again.new, 0, 'the same findings again are not new (stable ids)');
      const list = await fetch(`${hub.url}/api/v1/findings?cluster=acme-test&limit=500`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(list.status, 200);
      const body = (await list.json()) as { items?: Array<{ ruleId?: string }>; total?: number };
      assert.ok(JSON.stringify(body).includes(TEST_ADVISORY_ID));
      // The namespace graph travels with the findings and feeds the hub's Reachability page.
      const reach = await fetch(`${hub.url}/api/v1/reachability?cluster=acme-test`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(reach.status, 200);
      const graph = (await reach.json()) as { edges: unknown[] | null; namespaces: string[] };
      assert.deepEqual(graph.edges, result.audit?.reachability);
      assert.ok(graph.namespaces.length > 1, JSON.stringify(graph.namespaces));
      // So do the who-can answers of the sensitive questions, for the hub's "Who can" page.
      const who = await fetch(`${hub.url}/api/v1/access?cluster=acme-test&namespace=shop&q=get%20secrets`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(who.status, 200);
      const access = (await who.json()) as {
        scanId: string | null;
        questions: Array<{ id: string }>;
        namespaces: string[];
        answers: Array<{ namespace: string; question: string; subjects: Array<{ kind: string; name: string }> }>;
      };
      assert.ok(access.scanId);
      assert.equal(access.questions.length, 7);
      assert.ok(access.namespaces.includes('shop') && access.namespaces.includes('(cluster)'));
      assert.equal(access.answers.length, 1);
      assert.deepEqual(
        access.answers[0]?.subjects.map((s) => `${s.kind} ${s.name}`),
        ['Group system:masters'],
      );
      await assert.rejects(pushAudit(hub.url, result, { token: 'wrong' }), /API token/);
    } finally {
      await hub.close();
    }
  });
});

const registrySkip = missingTool('docker-registry') ?? missingTool('skopeo');

test('runAudit --images reads a workload image from a real Debian docker-registry on 127.0.0.1', {
  skip: registrySkip,
}, async () => {
  const layout = await alpineLayout([{ name: 'busybox', version: '1.36.1-r28' }], '1000');
  cleanups.push(() => rmSync(layout.dir, { recursive: true, force: true }));
  const registry = await startDockerRegistry(join(tmp));
  const { host } = registry;
  try {
    const image = `${host}/acme/web:1.0`;
    const copy = spawnSync(
      'skopeo',
      ['copy', '-q', '--dest-tls-verify=false', `oci:${layout.dir}:latest`, `docker://${image}`],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(copy.status, 0, copy.stderr);
    const cacheDir = join(tmp, 'registry-cache');
    await importTestAdvisory(cacheDir, join(tmp, 'registry-advisories'));
    const file = write('registry.yaml', shopSnapshot(deployment('web', image)));
    const r = await runAudit([file], { images: true, cacheDir, registry: { insecureRegistries: [host] } });
    const vuln = r.findings.find((f) => f.ruleId === TEST_ADVISORY_ID);
    assert.equal(vuln?.status, 'fail');
    assert.equal(vuln?.resource.type === 'image' && vuln.resource.reference, image);
    assert.ok(vuln?.resource.type === 'image' && vuln.resource.digest?.startsWith('sha256:'));
    assert.match(r.audit.engines.find((e) => e.engine === 'image')?.purpose ?? '', /1 of 1 images read/);
  } finally {
    await registry.stop();
  }
});

test('a bad --image-source is a usage error naming the value (checked before anything is read)', async () => {
  const program = new Command('rampart').exitOverride();
  register(program);
  await assert.rejects(
    program.parseAsync(['audit', join(tmp, 'no-such-dir'), '--images', '--image-source', 'no-equals-sign'], {
      from: 'user',
    }),
    (err: unknown) =>
      err instanceof UsageError && /--image-source no-equals-sign: expected IMAGE=SOURCE/.test(err.message),
  );
});

test('a snapshot binding built-in roles it does not define: the audit says which rules it assumed, in the summary and the HTML', async () => {
  const file = write(
    'builtin.yaml',
    `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: Group, name: shop-devs, apiGroup: rbac.authorization.k8s.io}]
`,
  );
  const r = await runAudit([file]);
  assert.deepEqual(r.audit.assumedRoles?.roles, ['admin']);
  const fences = r.findings.find((f) => f.ruleId === 'boundary/tenant-edits-fences');
  assert.equal(fences?.status, 'fail');
  assert.match(fences?.title ?? '', /create RoleBindings/);
  assert.match(
    formatAuditSummary(r),
    /^Assumed: built-in ClusterRole rules of admin \(Kubernetes 1\.28–1\.34 bootstrap policy\)/m,
  );
  assert.match(renderAuditHtml(r, { toolVersion: 't', now: new Date(0) }), /id="assumed-roles"/);
});

test('runAudit models the network with the CNI that enforces policy: a Calico GlobalNetworkPolicy cuts reachability', async () => {
  const shopAndBlog = `---
${shopSnapshot(deployment('web', 'nginx:1.27'))}---
apiVersion: v1
kind: Namespace
metadata: {name: blog}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: writer, namespace: blog}
spec:
  template:
    metadata: {labels: {app: writer}}
    spec:
      containers: [{name: writer, image: "nginx:1.27"}]
`;
  const denyShopIngress = `---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-into-web}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress: [{action: Deny}]
`;
  const edge = (r: AuditResult, from: string, to: string) =>
    r.audit.reachability?.some((e) => e.from === from && e.to === to) ?? false;
  const withCalico = await runAudit([write('calico-cluster.yaml', CALICO_NODE + shopAndBlog + denyShopIngress)]);
  assert.deepEqual(withCalico.errors, []);
  assert.equal(edge(withCalico, 'blog', 'shop'), false, 'calico-node enforces: the Calico policy applies');
  assert.equal(edge(withCalico, 'shop', 'blog'), true);
  // Without a Calico agent the same policy is not enforced by anything the snapshot shows: not applied.
  const withoutCalico = await runAudit([write('plain-cluster.yaml', shopAndBlog + denyShopIngress)]);
  assert.equal(edge(withoutCalico, 'blog', 'shop'), true);
});

test('runAudit: with Calico enforcing and no Kubernetes default-deny, a pod no Calico policy isolates fails the default-deny check by name; all pods isolated stays unknown', async () => {
  const isolateWeb = `---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-ingress-only-from-shop}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress: [{action: Allow, source: {namespaceSelector: "kubernetes.io/metadata.name == 'shop'"}}]
`;
  const ingressOf = (r: AuditResult) =>
    r.findings.find(
      (f) =>
        f.ruleId === 'boundary/default-deny-ingress' && f.resource.type === 'kubernetes' && f.resource.name === 'shop',
    );
  // web is isolated for ingress (selected by an ingress policy: unmatched traffic is dropped at the end of the
  // tier); api is selected by nothing, so any pod can connect to it.
  const both = await runAudit([
    write(
      'calico-two.yaml',
      `${CALICO_NODE}---\n${shopSnapshot(deployment('web', 'nginx:1.27'), deployment('api', 'nginx:1.27'))}${isolateWeb}`,
    ),
  ]);
  const open = ingressOf(both);
  assert.equal(open?.status, 'fail', JSON.stringify(open));
  assert.deepEqual(open?.evidence?.unisolatedPods, ['shop/api[Deployment]']);
  assert.match(open?.title ?? '', /1 pod that no policy isolates for ingress \(shop\/api\[Deployment\]\)/);
  // Egress: no policy selects either pod for egress.
  const egress = both.findings.find(
    (f) =>
      f.ruleId === 'boundary/default-deny-egress' && f.resource.type === 'kubernetes' && f.resource.name === 'shop',
  );
  assert.equal(egress?.status, 'fail');
  assert.deepEqual(egress?.evidence?.unisolatedPods, ['shop/api[Deployment]', 'shop/web[Deployment]']);
  // Every existing pod isolated: a pod created later may not be, so this is not a pass.
  const onlyWeb = await runAudit([
    write('calico-one.yaml', `${CALICO_NODE}---\n${shopSnapshot(deployment('web', 'nginx:1.27'))}${isolateWeb}`),
  ]);
  assert.equal(ingressOf(onlyWeb)?.status, 'unknown');
  // Without a Calico agent the policy is not applied by anything: both pods take any traffic.
  const plain = await runAudit([
    write(
      'plain-two.yaml',
      shopSnapshot(deployment('web', 'nginx:1.27'), deployment('api', 'nginx:1.27')) + isolateWeb,
    ),
  ]);
  assert.notEqual(ingressOf(plain)?.status, 'pass');
});

test('runAudit: a BaselineAdminNetworkPolicy the detected CNI does not enforce fences nothing: no default-deny fails and names it', async () => {
  const baseline = `---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{name: deny-all, action: Deny, from: [{namespaces: {}}]}]
`;
  const r = await runAudit([
    write('calico-banp.yaml', `${CALICO_NODE}---\n${shopSnapshot(deployment('web', 'nginx:1.27'))}${baseline}`),
  ]);
  const ingress = r.findings.find(
    (f) =>
      f.ruleId === 'boundary/default-deny-ingress' && f.resource.type === 'kubernetes' && f.resource.name === 'shop',
  );
  assert.equal(ingress?.status, 'fail', JSON.stringify(ingress));
  assert.deepEqual(ingress?.evidence?.notEnforcedByCni, ['BaselineAdminNetworkPolicy default']);
  assert.match(ingress?.description ?? '', /not enforced by calico, so it fences nothing/);
  // The network engine says the same thing in its own words.
  assert.ok(r.findings.some((f) => f.ruleId === 'NETPOL-013' && f.status === 'unknown'));
});
