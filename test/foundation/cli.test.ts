import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { COMMAND_GROUPS } from '../../src/cli/commands/index.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

describe('rampart CLI', () => {
  test('--help lists the command groups with examples; version prints', () => {
    const help = runCli(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /snapshot/);
    assert.match(help.stdout, /Examples:/);
    const v = runCli(['version']);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^rampart \d+\.\d+\.\d+/);
  });

  test('every example in rampart --help that uses examples/acme runs (exit 0 or 1: the example has findings)', () => {
    // Run from a temporary directory so examples that write files write there, never into the repository.
    const cwd = mkdtempSync(join(tmpdir(), 'rampart-examples-'));
    try {
      for (const example of COMMAND_GROUPS.flatMap((g) => g.examples)) {
        // Examples on the bundled environment must run; the others need a server, a cluster or an image to exist.
        if (!example.includes('examples/acme') || /^rampart serve\b/.test(example)) continue;
        const args = example
          .split(' ')
          .slice(1)
          .map((a) => (a.startsWith('examples/') ? join(REPO_ROOT, a) : a));
        const r = runCli(args, { cwd });
        assert.ok(r.status === 0 || r.status === 1, `${example}: exit ${r.status}\n${r.stderr.slice(0, 500)}`);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2 without a stack trace', () => {
    const r = runCli(['snapshot', 'summary']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing required argument/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const bogus = runCli(['no-such-command']);
    assert.equal(bogus.status, 2);
  });

  test('snapshot summary of examples/acme loads cleanly', () => {
    const r = runCli(['snapshot', 'summary', 'examples/acme', '-o', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    // Only warnings: the example's CI workflow and compose file are YAML but not Kubernetes objects.
    assert.deepEqual(
      s.problems.filter((p: { level: string }) => p.level === 'error'),
      [],
    );
    assert.ok(s.byKind.Deployment >= 4);
    assert.ok(s.byNamespace.payments >= 4);
  });

  test('a missing path is an error naming it, exit 2', () => {
    const r = runCli(['snapshot', 'summary', 'does/not/exist']);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /does\/not\/exist: no such file or directory/);
  });

  test('snapshot summary of every netpol-analyzer case directory: loads all, reports the malformed documents with file:line, never crashes', {
    skip: sharedSkipReason('conformance', 'netpol-analyzer'),
  }, () => {
    const base = sharedPath('conformance', 'netpol-analyzer') as string;
    const dirs = readdirSync(base, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== '_parsed_resources_expected_only')
      .map((d) => join(base, d.name, 'manifests'));
    assert.ok(dirs.length >= 280, `${dirs.length} case directories`);
    const r = runCli(['snapshot', 'summary', '-o', 'json', ...dirs]);
    assert.equal(r.status, 2, 'the corpus has deliberately malformed documents');
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    const s = JSON.parse(r.stdout);
    assert.ok(s.objects > 2500, `${s.objects} objects`);
    const errors = s.problems.filter((p: { level: string }) => p.level === 'error');
    const rel = (p: { file: string; line?: number }) => `${p.file.slice(base.length + 1)}:${p.line}`;
    // Files that are not Kubernetes objects at all are skipped with a warning naming them.
    const skipped = s.problems.filter((p: { message: string }) => /not a Kubernetes object; skipped/.test(p.message));
    assert.deepEqual(skipped.map(rel).sort(), [
      'acs-security-demos/manifests/connlist_output.json:1',
      'bad_yamls/manifests/not_a_k8s_resource.yaml:1',
      'onlineboutique/manifests/connlist_output.json:1',
    ]);
    // The documents upstream itself treats as broken, each with its line; nothing else.
    assert.deepEqual(errors.map(rel).sort(), [
      'malformed-pod-example-4/manifests/pods.json:1',
      'malformed-pod-example-5/manifests/pod.yaml:12',
      'malformed-pod-example-5/manifests/pods.json:1',
    ]);
  });
});
