import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/audit.js';
import { UsageError } from '../../src/core/index.js';
import { type RunningHub, startHub } from '../../src/hub/index.js';
import { type CliRun, runCliAsync } from '../support/cli.js';
import { alpineLayout } from './images.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-audit-cli-'));
const env = { RAMPART_CACHE_DIR: join(tmp, 'cache') };
const html = join(tmp, 'report.html');
const IMAGE = 'registry.example.com/shop/web:1.0';

let hub: RunningHub;
let layout: { dir: string; cleanup: () => void };
// Every CLI run this file needs, started together in `before` (each start costs seconds of module loading).
const runs: Record<'json' | 'html' | 'table' | 'broken', CliRun> = {} as never;

before(async () => {
  hub = await startHub({ port: 0, db: join(tmp, 'hub.sqlite'), cacheDir: join(tmp, 'hub'), version: 't' });
  layout = await alpineLayout([{ name: 'musl', version: '1.2.5-r0' }], '');
  const small = join(tmp, 'shop.yaml');
  writeFileSync(
    small,
    `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "${IMAGE}"}]
`,
  );
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x\n');
  const [json, htmlRun, table, broken] = await Promise.all([
    runCliAsync(['audit', 'examples/acme', '-o', 'json', '--push', hub.url, '--cluster', 'acme'], {
      env: { ...env, RAMPART_HUB_TOKEN: hub.newToken },
    }),
    runCliAsync(['audit', 'examples/acme', '-o', 'html', '--output-file', html, '--fail-on', 'never'], { env }),
    runCliAsync(
      [
        ...['audit', small, '--rules', 'boundary/verdict', 'audit/*', '--fail-on', 'HIGH'],
        ...['--images', '--image-source', `${IMAGE}=oci:${layout.dir}:latest`],
      ],
      { env },
    ),
    runCliAsync(['audit', bad, '-o', 'json'], { env }),
  ]);
  Object.assign(runs, { json, html: htmlRun, table, broken });
});

after(async () => {
  await hub?.close();
  layout?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

test('rampart audit examples/acme -o json: one result across pillars, verdicts per namespace, exit 1 on findings', () => {
  const r = runs.json;
  assert.equal(r.status, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    command: string;
    findings: Array<{ ruleId: string; pillar?: string; status: string; reason?: string; resource: { name?: string } }>;
  };
  assert.equal(doc.command, 'audit');
  const pillars = new Set(doc.findings.map((f) => f.pillar));
  for (const p of ['boundary', 'network', 'config', 'access']) assert.ok(pillars.has(p), `pillar ${p}`);
  const verdicts = doc.findings.filter((f) => f.ruleId === 'boundary/verdict').map((f) => f.resource.name);
  for (const ns of ['analytics', 'ingress-nginx', 'monitoring', 'payments', 'storefront'])
    assert.ok(verdicts.includes(ns), ns);
  assert.ok(!verdicts.includes('kube-system'));
  // Nothing unknown or skipped without its reason.
  for (const f of doc.findings) if (f.status === 'unknown' || f.status === 'skipped') assert.ok(f.reason, f.ruleId);
  assert.equal(doc.findings.find((f) => f.ruleId === 'boundary/netpol-enforced')?.status, 'pass');
});

test('rampart audit --push: the findings land in the hub under --cluster, the report still goes to stdout', async () => {
  const r = runs.json;
  const pushed = /pushed to http:\/\/127\.0\.0\.1:\d+: (\d+) findings, (\d+) new/.exec(r.stderr);
  assert.ok(pushed, r.stderr);
  assert.equal(Number(pushed[1]), (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length);
  assert.ok(Number(pushed[2]) > 0);
  const res = await fetch(`${hub.url}/api/v1/findings?cluster=acme&limit=5`, {
    headers: { authorization: `Bearer ${hub.newToken}` },
  });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /"cluster":"acme"/);
});

test('rampart audit -o html --output-file writes one self-contained file and prints the summary', () => {
  const r = runs.html;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /NetworkPolicy enforcement: enforced/);
  assert.match(r.stdout, /Namespace boundaries: \d+ open, \d+ partial, \d+ isolated/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(page, /<(script|link|img)[^>]+(src|href)="https?:/);
  assert.match(page, /<svg id="reachability"/);
});

test('rampart audit --images --image-source: the summary, then the table; --rules narrows', () => {
  const t = runs.table;
  assert.equal(t.status, 1, t.stderr);
  assert.match(t.stdout, /^Rampart audit of /);
  assert.match(t.stdout, /NAMESPACE\s+VERDICT/);
  assert.match(t.stdout, /boundary\/verdict\s+Namespace shop/);
  // The image was read from the local layout; with no advisory DB its vulnerabilities are unknown, with the reason.
  assert.match(t.stdout, /audit\/image-vulnerabilities/);
  assert.match(t.stdout, /no advisory DB/);
  assert.doesNotMatch(t.stdout, /audit\/image-unreadable/);
  assert.doesNotMatch(t.stdout, /boundary\/privileged-pods/);
});

test('rampart audit on a broken file: exit 2, the problem named with file and line', () => {
  const r = runs.broken;
  assert.equal(r.status, 2);
  const doc = JSON.parse(r.stdout) as { errors: Array<{ file?: string; line?: number }> };
  assert.ok(doc.errors.some((e) => e.file?.endsWith('bad.yaml') && typeof e.line === 'number'));
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
