import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningHub, startHub } from '../../src/hub/index.js';
import { type CliRun, runCliAsync } from '../support/cli.js';
import { alpineLayout } from './images.js';
import { deployment, shopSnapshot } from './snapshot.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-audit-cli-'));
const env = { RAMPART_CACHE_DIR: join(tmp, 'cache') };
const html = join(tmp, 'report.html');
const IMAGE = 'registry.example.com/shop/web:1.0';

let hub: RunningHub;
let layout: { dir: string; cleanup: () => void };
// Every CLI run this file needs, started together in `before` (each start costs seconds of module loading).
const runs: Record<'json' | 'html' | 'table', CliRun> = {} as never;

before(async () => {
  hub = await startHub({ port: 0, db: join(tmp, 'hub.sqlite'), cacheDir: join(tmp, 'hub'), version: 't' });
  layout = await alpineLayout([{ name: 'musl', version: '1.2.5-r0' }], '');
  const small = join(tmp, 'shop.yaml');
  writeFileSync(small, shopSnapshot(deployment('web', IMAGE)));
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x\n');
  const [json, htmlRun, table] = await Promise.all([
    runCliAsync(['audit', 'examples/acme', '-o', 'json', '--push', hub.url, '--cluster', 'acme'], {
      env: { ...env, RAMPART_HUB_TOKEN: hub.newToken },
    }),
    // A broken file next to a good one: the report is still written, the problem named in it, exit 2.
    runCliAsync(['audit', small, bad, '-o', 'html', '--output-file', html, '--fail-on', 'never'], { env }),
    runCliAsync(
      [
        ...['audit', small, '--rules', 'boundary/verdict', 'audit/*', '--fail-on', 'HIGH'],
        ...['--images', '--image-source', `${IMAGE}=oci:${layout.dir}:latest`],
      ],
      { env },
    ),
  ]);
  Object.assign(runs, { json, html: htmlRun, table });
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

test('rampart audit -o html --output-file with a broken file: one self-contained report naming the problem, the summary, exit 2', () => {
  const r = runs.html;
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stdout, /^Rampart audit of /);
  assert.match(r.stdout, /Namespace boundaries: \d+ open, \d+ partial, \d+ isolated/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(page, /<(script|link|img)[^>]+(src|href)="https?:/);
  assert.match(page, /<svg id="reachability"/);
  assert.match(page, /id="input-problems"[\s\S]*bad\.yaml:\d+ /);
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
