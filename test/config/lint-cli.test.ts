import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, runCli } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-lint-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface JsonFinding {
  ruleId: string;
  status: string;
  severity: string;
  suppression?: { reason: string };
  resource: { type: string; path?: string; name?: string; file?: string; line?: number };
  location?: { file?: string; line?: number };
}

function json(args: string[]): {
  status: number | null;
  findings: JsonFinding[];
  errors: Array<{ file?: string; line?: number; message: string }>;
} {
  const r = runCli([...args, '-o', 'json']);
  assert.equal(r.stderr.includes('    at '), false, `no stack trace: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as {
    findings: JsonFinding[];
    errors: Array<{ file?: string; line?: number; message: string }>;
  };
  return { status: r.status, findings: doc.findings, errors: doc.errors };
}

test('rampart lint examples/acme: every deliberate mistake is found, the good Dockerfile is clean, exit 1', () => {
  const r = json(['lint', 'examples/acme']);
  assert.equal(r.status, 1);
  assert.deepEqual(r.errors, []);
  const at = (f: JsonFinding) =>
    `${f.ruleId}@${(f.resource.path ?? f.resource.file ?? '').replace(/^.*examples\/acme\//, '')}`;
  const got = new Set(r.findings.filter((f) => f.status === 'fail').map(at));
  for (const want of [
    'dockerfile/user-root@docker/cart.Dockerfile',
    'dockerfile/user-root@docker/tools.Dockerfile',
    'dockerfile/run-security-insecure@docker/tools.Dockerfile',
    'dockerfile/curl-pipe-shell@docker/tools.Dockerfile',
    'dockerfile/secret-in-build@docker/cart.Dockerfile',
    'privileged/privileged-flag@scripts/ci-build.sh',
    'privileged/runtime-socket-mount@scripts/ci-build.sh',
    'privileged/host-namespace@scripts/Makefile',
    'privileged/privileged-flag@scripts/.github/workflows/build.yml',
    'privileged/privileged-flag@scripts/docker-compose.yml',
    'workload/privileged@monitoring.yaml',
    'user/root-image-without-runasnonroot@storefront.yaml',
  ]) {
    assert.ok(got.has(want), `missing ${want}`);
  }
  assert.equal(
    [...got].filter((g) => g.endsWith('@docker/web.Dockerfile')).length,
    0,
    'web.Dockerfile is the good example',
  );
});

test('rampart pss check: fixed level and version, pass results with --show-passed, usage errors exit 2', () => {
  const r = json(['pss', 'check', 'examples/acme', '--level', 'baseline', '--version', 'v1.30', '--show-passed']);
  assert.equal(r.status, 1);
  assert.ok(r.findings.some((f) => f.ruleId === 'pss/privileged' && f.status === 'fail'));
  assert.ok(r.findings.some((f) => f.ruleId === 'pss/baseline' && f.status === 'pass'));
  const bad = runCli(['pss', 'check', 'examples/acme', '--level', 'baseline', '--version', '1.30']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /PSS version "1\.30"/);
});

test('unparsable inputs are reported with file:line and the rest is still checked (exit 2)', () => {
  const dir = join(tmp, 'broken');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec: [\n');
  writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  a: {privileged: true\n');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM alpine:3.20\nRUN true\n');
  const r = json(['lint', dir]);
  assert.equal(r.status, 2);
  assert.ok(
    r.errors.some((e) => e.file?.endsWith('bad.yaml') && typeof e.line === 'number'),
    JSON.stringify(r.errors),
  );
  assert.ok(
    r.errors.some((e) => e.file?.endsWith('docker-compose.yml')),
    JSON.stringify(r.errors),
  );
  assert.ok(r.findings.some((f) => f.ruleId === 'dockerfile/user-root'));
});

test('inline rampart:ignore with a reason suppresses (kept in json, exit 0); without a reason it is a warning', () => {
  const dir = join(tmp, 'ignore');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      `FROM gcr.io/distroless/static:nonroot@sha256:${'b'.repeat(64)}`,
      'HEALTHCHECK CMD ["/app", "health"]',
      '# rampart:ignore dockerfile/user-root the base image sets USER nonroot (65532)',
      'USER root',
      '',
    ].join('\n'),
  );
  const r = json(['lint', dir]);
  const f = r.findings.find((x) => x.ruleId === 'dockerfile/user-root');
  assert.equal(f?.suppression?.reason, 'the base image sets USER nonroot (65532)');
  assert.equal(r.status, 0);
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM alpine:3.20@sha256:' +
      'c'.repeat(64) +
      '\nHEALTHCHECK CMD true\n# rampart:ignore dockerfile/user-root\nUSER root\n',
  );
  const r2 = json(['lint', dir]);
  assert.equal(r2.status, 1);
  assert.ok(r2.errors.some((e) => /needs a rule id and a reason/.test(e.message)));
});

test('.rampart.yaml: disable rules, change severities; a bad setting names file and field', () => {
  const dir = join(tmp, 'settings');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM alpine:3.20\nRUN true\n');
  writeFileSync(
    join(dir, '.rampart.yaml'),
    'lint:\n  disable: ["dockerfile/healthcheck-*", dockerfile/from-no-digest]\n  severity:\n    dockerfile/user-root: LOW\n',
  );
  const r = json(['lint', dir, '--config', join(dir, '.rampart.yaml')]);
  assert.deepEqual(
    r.findings.map((f) => `${f.ruleId}:${f.severity}`),
    ['dockerfile/user-root:LOW'],
  );
  writeFileSync(join(dir, '.rampart.yaml'), 'lint:\n  severity:\n    dockerfile/user-root: urgent\n');
  const bad = runCli(['lint', dir, '--config', join(dir, '.rampart.yaml')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /\.rampart\.yaml.*lint\.severity\.dockerfile\/user-root/);
});

test('rampart rules list: table, json, and docs/rules.md is exactly the generated markdown', () => {
  const table = runCli(['rules', 'list']);
  assert.equal(table.status, 0);
  assert.match(table.stdout, /dockerfile\/user-root\s+HIGH/);
  const rules = JSON.parse(runCli(['rules', 'list', '-o', 'json']).stdout) as Array<{ id: string }>;
  assert.ok(rules.some((r) => r.id === 'pss/runAsNonRoot'));
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'rule ids are unique');
  const md = runCli(['rules', 'list', '-o', 'markdown']).stdout;
  assert.equal(
    readFileSync(join(REPO_ROOT, 'docs', 'rules.md'), 'utf8'),
    md,
    'regenerate: rampart rules list -o markdown > docs/rules.md',
  );
});

test('USER consistency from an image inventory (the images engine JSON): named image user under runAsNonRoot', () => {
  const dir = join(tmp, 'inventory');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'deploy.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      securityContext: {runAsNonRoot: true}',
      '      containers: [{name: web, image: "registry.example/web:1.0"}]',
      '',
    ].join('\n'),
  );
  const inventory = join(tmp, 'web.inventory.json');
  writeFileSync(
    inventory,
    JSON.stringify({
      reference: 'registry.example/web:1.0',
      layers: [],
      packages: [],
      problems: [],
      config: { user: 'app' },
    }),
  );
  const r = json(['lint', dir, '--image-inventory', inventory, '--rules', 'user/*']);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['user/named-user-with-runasnonroot'],
  );
  writeFileSync(inventory, '{"not": "an inventory"}');
  const bad = runCli(['lint', dir, '--image-inventory', inventory]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /web\.inventory\.json.*not an image inventory/);
});

test('rampart:ignore inside a Kubernetes object suppresses that object only', () => {
  const dir = join(tmp, 'k8s-ignore');
  mkdirSync(dir, { recursive: true });
  const pod = (name: string, ignore: boolean) =>
    [
      'apiVersion: v1',
      'kind: Pod',
      `metadata: {name: ${name}, namespace: shop}`,
      'spec:',
      '  containers:',
      '    - name: c',
      `      image: "r.example/c@sha256:${'d'.repeat(64)}"`,
      ...(ignore ? ['      # rampart:ignore workload/privileged node agent needs the host, approved in SEC-123'] : []),
      '      securityContext: {privileged: true}',
    ].join('\n');
  writeFileSync(join(dir, 'pods.yaml'), `${pod('agent', true)}\n---\n${pod('other', false)}\n`);
  const r = json(['lint', dir, '--rules', 'workload/privileged']);
  const byName = new Map(r.findings.map((f) => [f.resource.name, f]));
  assert.equal(byName.get('agent')?.suppression?.reason, 'node agent needs the host, approved in SEC-123');
  assert.equal(byName.get('other')?.suppression, undefined);
  assert.equal(r.status, 1);
});
