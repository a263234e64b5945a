/**
 * USER consistency with image contents: the container image is read through the images engine (a real OCI layout
 * made by umoci), and an image that cannot be read makes its container `unknown` with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { lintWithImages } from '../../src/config/index.js';
import { runCli } from '../support/cli.js';
import { missingTool } from '../support/tools.js';

const skip = missingTool('umoci');
const tmp = mkdtempSync(join(tmpdir(), 'rampart-lint-images-'));
const layout = join(tmp, 'layout');
const manifests = join(tmp, 'k8s');
after(() => rmSync(tmp, { recursive: true, force: true }));

function deployment(name: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: ${name}
          image: ${image}
`;
}

before(() => {
  if (skip) return;
  const umoci = (...args: string[]) => execFileSync('umoci', args, { stdio: 'pipe' });
  umoci('init', '--layout', layout);
  umoci('new', '--image', `${layout}:web`);
  // A named user: the kubelet cannot prove it is not root, so runAsNonRoot refuses to start the container.
  umoci('config', '--image', `${layout}:web`, '--config.user', 'www-data');
  mkdirSync(manifests);
  writeFileSync(join(manifests, 'web.yaml'), deployment('web', 'registry.example.org/shop/web:1.4'));
  // Port 1 on loopback refuses connections at once: the registry read fails without any network.
  writeFileSync(join(manifests, 'api.yaml'), deployment('api', '127.0.0.1:1/shop/api:2.0'));
});

test('image config User read through the images engine (umoci OCI layout); unreadable image is unknown with its reason', {
  skip,
}, async () => {
  const result = await lintWithImages(
    [manifests],
    {},
    {
      imageSources: { 'registry.example.org/shop/web': `oci:${layout}:web` },
      readImages: true,
      inventory: { cacheDir: false },
    },
  );
  const user = result.findings.filter((f) => f.ruleId.startsWith('user/'));
  const named = user.find((f) => f.ruleId === 'user/named-user-with-runasnonroot');
  assert.ok(named, JSON.stringify(user, null, 2));
  assert.equal(named.status, 'fail');
  assert.equal(named.evidence?.imageUser, 'www-data');
  assert.match(String(named.evidence?.imageUserFrom), /^image config of registry\.example\.org\/shop\/web:1\.4$/);
  const unknown = user.find((f) => f.ruleId === 'user/image-not-readable');
  assert.ok(unknown, JSON.stringify(user, null, 2));
  assert.equal(unknown.status, 'unknown');
  assert.match(String(unknown.reason), /cannot read image from 127\.0\.0\.1:1\/shop\/api:2\.0/);
  assert.equal(unknown.resource.type === 'kubernetes' && unknown.resource.name, 'api');
  // No image read was asked for: the same manifests give no USER consistency finding at all.
  const plain = await lintWithImages([manifests]);
  assert.deepEqual(
    plain.findings.filter((f) => f.ruleId.startsWith('user/')),
    [],
  );
});

test('rampart lint --image-source: the CLI reads the image; a malformed pair is a usage error', { skip }, () => {
  const r = runCli([
    'lint',
    manifests,
    '-o',
    'json',
    '--image-source',
    `registry.example.org/shop/web=oci:${layout}:web`,
  ]);
  assert.equal(r.status, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string; status: string }> };
  assert.ok(doc.findings.some((f) => f.ruleId === 'user/named-user-with-runasnonroot' && f.status === 'fail'));
  const bad = runCli(['lint', manifests, '--image-source', 'no-equals-sign']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--image-source expects <image>=<source>/);
  assert.equal(bad.stderr.includes('    at '), false);
});
