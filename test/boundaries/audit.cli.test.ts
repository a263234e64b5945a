import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-audit-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('rampart audit examples/acme -o json: one result across pillars, verdicts per namespace, exit 1 on findings', () => {
  const r = runCli(['audit', 'examples/acme', '-o', 'json']);
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

test('rampart audit -o html --output-file writes one self-contained file and prints the summary', () => {
  const out = join(tmp, 'report.html');
  const r = runCli(['audit', 'examples/acme', '-o', 'html', '--output-file', out, '--fail-on', 'never']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /NetworkPolicy enforcement: enforced/);
  assert.match(r.stdout, /Namespace boundaries: \d+ open, \d+ partial, \d+ isolated/);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)="https?:/);
  assert.match(html, /<svg id="reachability"/);
});

test('rampart audit: table shows the summary then the findings; --rules narrows', () => {
  const t = runCli(['audit', 'examples/acme', '--rules', 'boundary/verdict', '--fail-on', 'HIGH']);
  assert.equal(t.status, 1, t.stderr);
  assert.match(t.stdout, /^Rampart audit of examples\/acme/);
  assert.match(t.stdout, /NAMESPACE\s+VERDICT/);
  assert.match(t.stdout, /boundary\/verdict\s+Namespace monitoring/);
  assert.doesNotMatch(t.stdout, /boundary\/privileged-pods/);
});

test('rampart audit on a broken file: exit 2, the problem named with file and line', () => {
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x\n');
  const r = runCli(['audit', bad, '-o', 'json']);
  assert.equal(r.status, 2);
  const doc = JSON.parse(r.stdout) as { errors: Array<{ file?: string; line?: number }> };
  assert.ok(doc.errors.some((e) => e.file === bad && typeof e.line === 'number'));
});
