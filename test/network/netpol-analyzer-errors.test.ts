/**
 * netpol-analyzer's warning and error runs (../shared/conformance/netpol-analyzer/cases.json `error_runs`) under
 * `--compat netpol-analyzer`: the warning or error text must contain what upstream's test checks
 * (`expectedWarningsStrContains`, `firstErrStrContains`, `errorStrContains`), the result must be empty exactly when
 * upstream's is, and fatal runs produce no result. Plus the CLI: compat warnings exit 0, fatal input exits 2, and
 * outside compat the same inputs are Rampart's own clear errors (file, field, non-zero exit, no stack trace).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { netpolMatrix } from '../../src/network/index.js';
import { runCli } from '../support/cli.js';
import { sharedSkipReason } from '../support/shared.js';
import { CORPUS, corpusDir } from './netpol-analyzer-cases.js';

const skip = sharedSkipReason(...CORPUS.split('/'));

interface ErrorRun {
  source: string;
  name: string;
  path: string;
  focusWorkloads?: string[];
  focusworkloads?: string[];
  focusWorkloadPeers?: string[];
  focusDirection?: 'ingress' | 'egress';
  exposure?: boolean;
  explain?: boolean;
  explainOnly?: 'allow' | 'deny';
  multipleNetworksEnabled?: boolean;
  expectedWarningsStrContains?: string[];
  firstErrStrContains?: string;
  errorStrContains?: string;
  emptyRes?: boolean;
}

/** The upstream test tables checked here (the others are in netpol-analyzer.test.ts). */
const TABLES = [
  'TestLoggerWarnings',
  'TestConnlistAnalyzeSevereErrorsAndWarnings',
  'TestErrorsAndWarningsConnlistFromDirPathOnly',
  'TestFatalErrorsConnlistFromDirPathOnly',
] as const;
type Table = (typeof TABLES)[number] | 'TestConnlistAnalyzeFatalErrors (same owner)';

function errorRuns(): Array<ErrorRun & { table: Table }> {
  const dir = corpusDir();
  if (!dir) return [];
  const data = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
    cases: Array<{ error_runs: ErrorRun[] }>;
  };
  const out: Array<ErrorRun & { table: Table }> = [];
  for (const r of data.cases.flatMap((c) => c.error_runs)) {
    const table = r.source.split(':')[1] ?? '';
    if ((TABLES as readonly string[]).includes(table)) out.push({ ...r, table: table as Table });
    else if (table === 'TestConnlistAnalyzeFatalErrors' && r.errorStrContains?.includes('same owner workload'))
      out.push({ ...r, table: 'TestConnlistAnalyzeFatalErrors (same owner)' });
  }
  return out;
}

/** `path=` in cases.json is relative to upstream `tests/`; locally `<case>/manifests/<rest>`. */
function manifests(dir: string, path: string): string {
  const [first, ...rest] = path.split('/');
  return join(dir, first as string, 'manifests', ...rest);
}

/** Multi-network warnings come from the UDN/CUDN/VM analysis (net-multinet's part): counted, not asserted. */
const isMultiNetwork = (r: ErrorRun) => r.multipleNetworksEnabled === true;

function check(r: ErrorRun & { table: Table }, dir: string): string | undefined {
  const report = netpolMatrix({
    paths: [manifests(dir, r.path)],
    format: 'txt',
    compat: 'netpol-analyzer',
    focusWorkloads: r.focusWorkloads ?? r.focusworkloads,
    focusWorkloadPeers: r.focusWorkloadPeers,
    focusDirection: r.focusDirection,
    exposure: r.exposure,
    explain: r.explain,
    explainOnly: r.explainOnly,
    multipleNetworks: r.multipleNetworksEnabled,
  });
  const texts = report.problems.map((p) => p.text);
  const empty = report.text.split('\n').filter(Boolean).length === 0;
  const emptiness = (want: boolean | undefined) =>
    want === undefined || empty === want ? undefined : `result ${empty ? 'empty' : 'not empty'}, upstream's is not`;
  switch (r.table) {
    case 'TestLoggerWarnings': {
      if (report.fatal) return 'refused, upstream only warns';
      const warnings = report.problems.filter((p) => p.level === 'warning').map((p) => p.text);
      const missing = (r.expectedWarningsStrContains ?? []).filter((s) => !warnings.some((w) => w.includes(s)));
      return missing.length
        ? `no warning containing ${JSON.stringify(missing)} in ${JSON.stringify(texts)}`
        : undefined;
    }
    case 'TestConnlistAnalyzeSevereErrorsAndWarnings':
    case 'TestErrorsAndWarningsConnlistFromDirPathOnly': {
      if (report.fatal) return 'refused, upstream goes on';
      const want = (r.firstErrStrContains ?? r.errorStrContains) as string;
      const first = texts[0] ?? '';
      if (!first.includes(want))
        return `first problem ${JSON.stringify(first)} does not contain ${JSON.stringify(want)}`;
      return emptiness(r.emptyRes);
    }
    default: {
      // fatal: no result, and an error containing upstream's text
      if (!report.fatal) return 'not refused';
      if (report.text !== '') return 'refused but printed a result';
      const errors = report.problems.filter((p) => p.level === 'error').map((p) => p.text);
      return errors.some((e) => e.includes(r.errorStrContains as string))
        ? undefined
        : `no error containing ${JSON.stringify(r.errorStrContains)} in ${JSON.stringify(errors)}`;
    }
  }
}

describe('netpol-analyzer warning and error runs (--compat netpol-analyzer)', { skip }, () => {
  const dir = corpusDir() as string;
  const tally = new Map<string, { pass: number; notSupported: number }>();
  for (const r of skip ? [] : errorRuns()) {
    test(`${r.table}: ${r.name}`, () => {
      const failure = check(r, dir);
      const t = tally.get(r.table) ?? { pass: 0, notSupported: 0 };
      tally.set(r.table, t);
      if (failure && isMultiNetwork(r)) {
        t.notSupported++;
        return;
      }
      assert.equal(failure, undefined, `${r.path}: ${failure}`);
      t.pass++;
    });
  }
  after(() => {
    if (tally.size === 0) return;
    const lines = [...tally.entries()].map(
      ([k, t]) => `${k}: pass ${t.pass}, not supported ${t.notSupported} (multi-network)`,
    );
    process.stdout.write(`# netpol-analyzer warning/error runs\n# ${lines.join('\n# ')}\n`);
  });

  test('the 32 warning/non-fatal/dir-path runs (36 with the 4 in netpol-analyzer.test.ts) and the 3 same-owner fatal runs are in this harness', () => {
    const runs = errorRuns();
    assert.equal(runs.filter((r) => r.table !== 'TestConnlistAnalyzeFatalErrors (same owner)').length, 32);
    assert.equal(runs.filter((r) => r.table === 'TestConnlistAnalyzeFatalErrors (same owner)').length, 3);
  });
});

describe('netpol matrix CLI on bad input', { skip }, () => {
  const dir = corpusDir() as string;
  const noStack = (stderr: string) => assert.doesNotMatch(stderr, /\n\s+at .+\(|node:internal/);

  test('--compat netpol-analyzer: an unknown focus workload is a warning with an empty result (exit 0)', () => {
    const r = runCli([
      'netpol',
      'matrix',
      '--compat',
      'netpol-analyzer',
      '--focusworkload',
      'abcd',
      join(dir, 'onlineboutique_workloads', 'manifests'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '');
    assert.match(r.stderr, /warning: Workload abcd does not exist in the input resources\./);
    noStack(r.stderr);
  });

  test('without --compat: an unknown focus workload is a usage error (non-zero exit, no stack trace)', () => {
    const r = runCli([
      'netpol',
      'matrix',
      '--focusworkload',
      'abcd',
      join(dir, 'onlineboutique_workloads', 'manifests'),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--focusworkload "abcd": no workload with this name/);
    noStack(r.stderr);
  });

  test('--compat netpol-analyzer: flags it ignores are warnings; outside compat they are usage errors', () => {
    const path = join(dir, 'anp_test_named_ports_multiple_peers', 'manifests');
    const compat = runCli(['netpol', 'matrix', '--compat', 'netpol-analyzer', '--focus-direction', 'ingress', path]);
    assert.equal(compat.status, 0, compat.stderr);
    assert.match(compat.stderr, /focus-direction may be used only with focusworkload flag, will be ignored/);
    assert.ok(compat.stdout.trim().length > 0);
    const native = runCli(['netpol', 'matrix', '--focus-direction', 'ingress', path]);
    assert.notEqual(native.status, 0);
    assert.match(native.stderr, /need --focusworkload/);
    noStack(native.stderr);
  });

  test('fatal input (no manifest files; pods of one owner told apart by a selector): exit 2, no output', () => {
    for (const path of [
      join(dir, 'bad_yamls', 'manifests', 'subdir2'),
      join(dir, 'example_w_err_pods_w_same_owner_and_labels_gap_anp', 'manifests'),
    ]) {
      const r = runCli(['netpol', 'matrix', '--compat', 'netpol-analyzer', path]);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /rampart: error: /);
      noStack(r.stderr);
    }
  });

  test('without --compat: a malformed document names file and line, exit 2, no stack trace', () => {
    const r = runCli(['netpol', 'matrix', join(dir, 'malformed-pod-example-5', 'manifests')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /malformed-pod-example-5\/manifests\/pod\.yaml:12: malformed YAML\/JSON document 2/);
    assert.match(r.stderr, /pods\.json:1: missing kind/);
    noStack(r.stderr);
  });
});
