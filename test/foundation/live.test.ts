import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadLiveSnapshot, loadSnapshot, writeSnapshotDir } from '../../src/inputs/index.js';
import { runCliAsync } from '../support/cli.js';

// No Kubernetes API server runs here: a local HTTP server answers list requests in the API's wire format
// (List objects without item kinds, `limit`/`continue` paging, Status bodies for 403/404).

const TOKEN = 'test-token-not-a-secret';
const requests: Array<{ path: string; auth?: string }> = [];
const pods = Array.from({ length: 5 }, (_, i) => ({
  metadata: { name: `p${i}`, namespace: 'shop', labels: { app: 'web' }, managedFields: [{ manager: 'kubectl' }] },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
}));

function respond(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push({ path: url.pathname, auth: req.headers.authorization });
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', message: 'Unauthorized' });
  const limit = Number(url.searchParams.get('limit') ?? 500);
  switch (url.pathname) {
    case '/api/v1/namespaces':
      return send(200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: {},
        items: [{ metadata: { name: 'shop' } }],
      });
    case '/api/v1/pods': {
      const start = Number(url.searchParams.get('continue') ?? 0);
      const next = start + limit < pods.length ? String(start + limit) : undefined;
      return send(200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: next ? { continue: next } : {},
        items: pods.slice(start, start + limit),
      });
    }
    case '/apis/rbac.authorization.k8s.io/v1/clusterroles':
      return send(403, { kind: 'Status', message: 'clusterroles is forbidden: User "dev" cannot list resource' });
    default:
      if (url.pathname.startsWith('/apis/') && !url.pathname.includes('/apps/') && url.pathname.split('/').length > 3) {
        // groups this fake cluster does not serve
        if (/calico|cilium|policy\.networking/.test(url.pathname))
          return send(404, { kind: 'Status', message: 'not found' });
      }
      return send(200, { kind: 'List', apiVersion: 'v1', metadata: {}, items: [] });
  }
}

let server: ReturnType<typeof createServer>;
let dir: string;
let kubeconfig: string;

before(async () => {
  server = createServer(respond);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(join(tmpdir(), 'rampart-live-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}
users:
- name: dev
  user: {token: ${TOKEN}}
contexts:
- name: fake
  context: {cluster: fake, user: dev}
current-context: fake
`,
  );
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('live snapshot (local HTTP server speaking the Kubernetes list API)', () => {
  test('reads every list with the kubeconfig credentials, follows continue tokens, reports forbidden lists', async () => {
    requests.length = 0;
    const snap = await loadLiveSnapshot({ kubeconfig, pageSize: 2 });
    assert.ok(requests.every((r) => r.auth === `Bearer ${TOKEN}`));
    assert.equal(requests.filter((r) => r.path === '/api/v1/pods').length, 3, 'three pages of 2');
    assert.deepEqual(
      snap.ofKind('Pod').map((p) => [p.kind, p.apiVersion, p.namespace, p.name]),
      pods.map((p) => ['Pod', 'v1', 'shop', p.metadata.name]),
    );
    assert.equal(snap.problems.length, 1);
    assert.match(snap.problems[0]?.message ?? '', /forbidden: the credentials may not list ClusterRole/);
    assert.match(snap.problems[0]?.file ?? '', /clusterroles$/);
    assert.ok(!requests.some((r) => r.path.includes('secrets')), 'secrets are never read');
  });

  test('pull writes one List file per kind that loads back identically, without managedFields', async () => {
    const out = join(dir, 'snap');
    const snap = await loadLiveSnapshot({ kubeconfig });
    writeSnapshotDir(snap, out);
    assert.deepEqual(readdirSync(out).sort(), ['Namespace.yaml', 'Pod.yaml']);
    const back = loadSnapshot([out]);
    assert.deepEqual(back.problems, []);
    assert.equal(back.ofKind('Pod').length, 5);
    assert.equal(back.ofKind('Pod')[0]?.raw.metadata?.managedFields, undefined);
    assert.ok(statSync(join(out, 'Pod.yaml')).isFile());
  });

  test('rampart snapshot pull: exit 2 and a one-line message per forbidden list; bad kubeconfig names the file', async () => {
    const out = join(dir, 'cli');
    const r = await runCliAsync(['snapshot', 'pull', '--kubeconfig', kubeconfig, '--output-dir', out]);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /wrote 6 objects in 2 files/);
    assert.match(
      r.stderr,
      /error: http:\/\/127\.0\.0\.1:\d+\/apis\/rbac\.authorization\.k8s\.io\/v1\/clusterroles: forbidden/,
    );
    const bad = join(dir, 'bad-kubeconfig');
    writeFileSync(bad, 'this: [is not a kubeconfig');
    const b = await runCliAsync(['snapshot', 'pull', '--kubeconfig', bad, '--output-dir', out]);
    assert.equal(b.status, 2);
    assert.match(b.stderr, /bad-kubeconfig: cannot read kubeconfig/);
    assert.doesNotMatch(b.stderr, /\n\s+at /);
  });
});
