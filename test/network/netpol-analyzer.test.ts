/**
 * netpol-analyzer conformance: every connlist and explain run recorded in ../shared/conformance/netpol-analyzer/
 * cases.json, run under `--compat netpol-analyzer` with its recorded flags, compared as upstream does (every \n and
 * \r deleted, exact otherwise). Runs of features we do not model yet are `todo` with the reason (docs/conformance.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSnapshot } from '../../src/inputs/index.js';
import { buildNetwork, netpolMatrix, workloadMatches } from '../../src/network/index.js';
import { sharedSkipReason } from '../support/shared.js';
import {
  CORPUS,
  corpusDir,
  type RecordedRun,
  recordedRuns,
  requestFromFlags,
  sameAsUpstream,
} from './netpol-analyzer-cases.js';

const skip = sharedSkipReason(...CORPUS.split('/'));

/** Runs of supported features that still differ, with the reason (also listed in docs/conformance.md). */
const KNOWN_DIFFERENCES: Record<string, string> = {};

const tally = new Map<string, { pass: number; fail: number; todo: number }>();
function count(key: string, what: 'pass' | 'fail' | 'todo'): void {
  const t = tally.get(key) ?? { pass: 0, fail: 0, todo: 0 };
  t[what]++;
  tally.set(key, t);
}

describe('netpol-analyzer recorded runs (--compat netpol-analyzer)', { skip }, () => {
  const dir = corpusDir() as string;
  const byCase = new Map<string, RecordedRun[]>();
  for (const run of skip ? [] : recordedRuns()) byCase.set(run.caseName, [...(byCase.get(run.caseName) ?? []), run]);
  for (const [caseName, runs] of byCase) {
    test(caseName, () => {
      const snapshot = loadSnapshot([join(dir, caseName, 'manifests')]);
      const failures: string[] = [];
      for (const run of runs)
        for (const fmt of run.kind === 'explain' ? ['txt'] : run.formats) {
          const id = `${caseName} ${run.kind} -o ${fmt} ${run.flags.join(' ')}`.trim();
          const expectedFile = run.expected[fmt];
          assert.ok(expectedFile, `${id}: expected file recorded`);
          const expected = readFileSync(join(dir, caseName, expectedFile), 'utf8');
          if (expected.includes('{ingress-controller}') && !run.category.startsWith('multi-network'))
            run.category = 'Ingress/Route';
          // every recorded run is modelled; a difference needs a listed reason (counted as not supported)
          const reason = KNOWN_DIFFERENCES[id];
          const key = `${run.category} | ${run.kind} | ${fmt}`;
          let ok = false;
          try {
            const report = netpolMatrix(requestFromFlags(run.flags, fmt, [join(dir, caseName, 'manifests')]), snapshot);
            ok = !report.fatal && sameAsUpstream(report.text, expected);
          } catch {
            ok = false;
          }
          count(key, ok ? 'pass' : reason ? 'todo' : 'fail');
          if (!ok && !reason) failures.push(`${id} (differs from ${expectedFile})`);
        }
      assert.deepEqual(failures, []);
    });
  }
  after(() => {
    if (tally.size === 0) return;
    const lines = [...tally.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, t]) => `${k}: pass ${t.pass}, fail ${t.fail}, not supported ${t.todo}`);
    process.stdout.write(`# netpol-analyzer conformance\n# ${lines.join('\n# ')}\n`);
  });
});

/**
 * Fatal-error runs (`TestConnlistAnalyzeFatalErrors`): under --compat netpol-analyzer the input must be refused
 * (no connection list). Runs about multi-network objects and about pods of one owner with different labels are not
 * modelled yet and are counted, not asserted.
 */
describe('netpol-analyzer fatal-error runs', { skip }, () => {
  test('invalid inputs are refused', () => {
    const dir = corpusDir() as string;
    const data = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
      cases: Array<{
        error_runs: Array<{ kind: string; path: string; errorStrContains?: string; multipleNetworksEnabled?: boolean }>;
      }>;
    };
    let pass = 0;
    let notSupported = 0;
    const failures: string[] = [];
    for (const c of data.cases)
      for (const r of c.error_runs) {
        if (!r.kind.startsWith('fatal_error (both')) continue;
        const [first, ...rest] = r.path.split('/');
        const path = join(dir, first as string, 'manifests', ...rest);
        let fatal: boolean;
        try {
          const report = existsSync(path)
            ? netpolMatrix({
                paths: [path],
                format: 'txt',
                compat: 'netpol-analyzer',
                multipleNetworks: r.multipleNetworksEnabled === true,
              })
            : undefined;
          fatal = !report || report.fatal;
          // the (C)UDN errors also carry upstream's text
          if (
            report &&
            r.multipleNetworksEnabled &&
            !report.problems.some((p) => p.text.includes(r.errorStrContains ?? ''))
          )
            failures.push(`${r.path}: no error containing ${r.errorStrContains}`);
        } catch {
          fatal = true;
        }
        const unsupportedReason = /same owner workload/.test(r.errorStrContains ?? '');
        if (fatal) pass++;
        else if (unsupportedReason) notSupported++;
        else failures.push(`${r.path}: ${r.errorStrContains}`);
      }
    process.stdout.write(`# netpol-analyzer fatal-error runs: pass ${pass}, not supported ${notSupported}\n`);
    assert.deepEqual(failures, []);
  });
});

/**
 * Point checks (`TestDirPathEvalResults`): one connection between two owner workloads, allowed or not, through the
 * engine's pair verdict under --compat netpol-analyzer.
 */
describe('netpol-analyzer eval point checks', { skip }, () => {
  test('each recorded connection has the recorded verdict', () => {
    const dir = corpusDir() as string;
    const data = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
      cases: Array<{
        case: string;
        eval_checks: Array<{ src: string; dst: string; protocol: string; port: string; allowed: boolean }>;
      }>;
    };
    let checked = 0;
    for (const c of data.cases)
      for (const e of c.eval_checks) {
        const net = buildNetwork(loadSnapshot([join(dir, c.case, 'manifests')]), { compat: 'netpol-analyzer' });
        const pick = (ref: string) => {
          const pods = net.model.pods.filter((p) => workloadMatches(ref, p));
          assert.ok(pods.length > 0, `${c.case}: no workload ${ref}`);
          return pods;
        };
        const protocol = e.protocol.toUpperCase() as 'TCP' | 'UDP' | 'SCTP';
        for (const s of pick(e.src))
          for (const d of pick(e.dst)) {
            const v = net.model.evaluatePair({ type: 'pod', pod: s }, { type: 'pod', pod: d });
            assert.equal(
              v.allowed.contains(protocol, Number(e.port)),
              e.allowed,
              `${c.case}: ${e.src} => ${e.dst} ${e.protocol}/${e.port}`,
            );
          }
        checked++;
      }
    process.stdout.write(`# netpol-analyzer eval point checks: pass ${checked}\n`);
    assert.equal(checked, 6);
  });
});

/**
 * Error/warning runs we check so far: `TestNotContainedOutputLines` (exact connection count, never a self-loop even
 * for workloads with replicas) and `TestConnlistOutputFatalErrors` (an unsupported output format is refused). The
 * other 32 warning/non-fatal/dir-path runs are checked in netpol-analyzer-errors.test.ts.
 */
describe('netpol-analyzer error and line-count runs', { skip }, () => {
  const dir = corpusDir() as string;
  const runs = (
    JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
      cases: Array<{
        error_runs: Array<{
          kind: string;
          path: string;
          format?: string;
          focusWorkload?: string;
          expectedResultLen?: number;
          extractedLineExample?: string;
        }>;
      }>;
    }
  ).cases.flatMap((c) => c.error_runs);
  const manifests = (path: string) => {
    const [first, ...rest] = path.split('/');
    return join(dir, first as string, 'manifests', ...rest);
  };

  test('connection counts and no self-loop lines', () => {
    const counted = runs.filter((r) => r.expectedResultLen !== undefined);
    assert.equal(counted.length, 2);
    for (const r of counted) {
      const report = netpolMatrix({
        paths: [manifests(r.path)],
        format: 'txt',
        compat: 'netpol-analyzer',
        focusWorkloads: r.focusWorkload ? [r.focusWorkload] : undefined,
      });
      const lines = report.text.split('\n').filter(Boolean);
      assert.equal(lines.length, r.expectedResultLen, `${r.path} ${r.focusWorkload ?? ''}`);
      assert.ok(!lines.includes(r.extractedLineExample as string));
    }
  });

  test('unsupported output formats are refused', () => {
    const formats = runs.filter((r) => r.format !== undefined);
    assert.equal(formats.length, 2);
    for (const r of formats)
      assert.throws(
        () => netpolMatrix({ paths: [manifests(r.path)], format: r.format as string, compat: 'netpol-analyzer' }),
        (e: Error) => e.message.includes(`"${r.format}" is not supported`),
      );
  });
});
