import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as pep440Lib from '@renovatebot/pep440';
import semverLib from 'semver';
import {
  apkFuzzyMatch,
  compareApk,
  compareEvr,
  compareGo,
  goToSemver,
  isRubyGemsPrerelease,
  isStrictSemVer,
  isValidApk,
  normalizePep440,
  nugetRangeSatisfies,
  rpmvercmp,
  SCHEMES,
} from '../../src/vuln/versions/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { optionsField, readTsv, satisfiesOp, type TsvRow } from './tsv.js';

const DIR = ['conformance', 'versions'];
const skip = sharedSkipReason(...DIR);

/**
 * Rows that are known to disagree, each with the reason (also listed in docs/conformance.md), keyed by
 * `file: field | field | …`. Nothing else may fail, and each of these must still fail (so the list stays true).
 */
const MAVEN4 =
  'Maven 4 (MNG-7714) behaviour, marked so in the data; OSV "Maven" follows maven-artifact 3.9 (`.final-redhat` = `-redhat` > `-sp1-redhat`), as Rampart does';
const NUGET_STRICT =
  "row comes from NuGet's strict SemVer parse test; NuGetVersion.Parse (this file's stated kind, and nuget.tsv, which compares `1.0 = 1.0.0.0`) accepts it";
const KNOWN_DEVIATIONS: Record<string, string> = {
  'maven.tsv: 1.0.final-redhat | < | 1.0-sp1-redhat': MAVEN4,
  'maven.tsv: 1.0.final-redhat | < | 1.0-sp-1-redhat': MAVEN4,
  'maven.tsv: 1.0.final-redhat | < | 1.0-sp.1-redhat': MAVEN4,
  'nuget.valid.tsv: invalid | 1': NUGET_STRICT,
  'nuget.valid.tsv: invalid | 1.0': NUGET_STRICT,
  'nuget.valid.tsv: invalid | 1.0.3.120': NUGET_STRICT,
};
const seenDeviations = new Set<string>();

type Compare = (a: string, b: string, options: string[]) => number;

function semverCompare(a: string, b: string, options: string[]): number {
  return semverLib.compare(a, b, { loose: options.includes('loose') });
}

const COMPARISON_FILES: Array<[string, Compare]> = [
  ['apk.tsv', (a, b) => compareApk(a, b)],
  ['dpkg.tsv', (a, b) => SCHEMES.dpkg!.compare(a, b)],
  ['dpkg.generated.tsv', (a, b) => SCHEMES.dpkg!.compare(a, b)],
  ['rpm.tsv', (a, b) => rpmvercmp(a, b)],
  ['rpm-evr.generated.tsv', (a, b) => compareEvr(a, b)],
  ['pep440.tsv', (a, b) => SCHEMES.pep440!.compare(a, b)],
  ['maven.tsv', (a, b) => SCHEMES.maven!.compare(a, b)],
  ['rubygems.tsv', (a, b) => SCHEMES.rubygems!.compare(a, b)],
  ['rubygems.generated.tsv', (a, b) => SCHEMES.rubygems!.compare(a, b)],
  ['nuget.tsv', (a, b) => SCHEMES.nuget!.compare(a, b)],
  ['semver.tsv', semverCompare],
  ['semver.generated.tsv', semverCompare],
  ['golang.tsv', (a, b) => compareGo(a, b)],
];

interface Tally {
  passed: number;
  failures: string[];
}

function check(file: string, row: TsvRow, ok: () => boolean, tally: Tally): void {
  const key = `${file}: ${row.fields.filter((f) => !f.startsWith('#')).join(' | ')}`;
  let result: boolean;
  let error = '';
  try {
    result = ok();
  } catch (err) {
    result = false;
    error = ` threw ${err instanceof Error ? err.message : String(err)}`;
  }
  if (result) tally.passed++;
  else if (key in KNOWN_DEVIATIONS) seenDeviations.add(key);
  else tally.failures.push(`line ${row.line}: ${key}${error}`);
}

function report(t: { diagnostic(m: string): void }, file: string, tally: Tally, total: number): void {
  t.diagnostic(`${file}: ${tally.passed}/${total} pass`);
  assert.deepEqual(tally.failures, [], `${file}: ${tally.failures.length} unexpected failures`);
}

for (const [file, compare] of COMPARISON_FILES) {
  test(`versions conformance: ${file} (every row, both directions for < and >)`, { skip }, (t) => {
    const rows = readTsv(join(sharedPath(...DIR) as string, file));
    const tally: Tally = { passed: 0, failures: [] };
    for (const row of rows) {
      const [left = '', op = '', right = ''] = row.fields;
      const options = file.startsWith('semver') ? optionsField(row, 3) : [];
      check(
        file,
        row,
        () => {
          switch (op) {
            case '~':
              return apkFuzzyMatch(left, right);
            case '!~':
              return !apkFuzzyMatch(left, right);
            case '<~':
              return compareApk(left, right) < 0 || apkFuzzyMatch(left, right);
            case '>~':
              return compareApk(left, right) > 0 || apkFuzzyMatch(left, right);
          }
          const c = compare(left, right, options);
          const forward = satisfiesOp(op, c);
          if (forward === undefined) throw new Error(`unknown op ${op}`);
          if (op === '<' || op === '>')
            return forward && satisfiesOp(op === '<' ? '>' : '<', compare(right, left, options)) === true;
          if (op === '=') return forward && compare(right, left, options) === 0;
          return forward;
        },
        tally,
      );
    }
    report(t, file, tally, rows.length);
  });
}

test('versions conformance: semver.ranges.tsv (satisfies, gtr, ltr)', { skip }, (t) => {
  const file = 'semver.ranges.tsv';
  const rows = readTsv(join(sharedPath(...DIR) as string, file));
  const tally: Tally = { passed: 0, failures: [] };
  for (const row of rows) {
    const [version = '', rel = '', range = ''] = row.fields;
    const o = optionsField(row, 3);
    const opts = { loose: o.includes('loose'), includePrerelease: o.includes('includePrerelease') };
    check(
      file,
      row,
      () => {
        switch (rel) {
          case 'in':
            return semverLib.satisfies(version, range, opts);
          case 'notin':
            return !semverLib.satisfies(version, range, opts);
          case 'gtr':
            return semverLib.gtr(version, range, opts);
          case '!gtr':
            return !semverLib.gtr(version, range, opts);
          case 'ltr':
            return semverLib.ltr(version, range, opts);
          case '!ltr':
            return !semverLib.ltr(version, range, opts);
          default:
            throw new Error(`unknown relation ${rel}`);
        }
      },
      tally,
    );
  }
  report(t, file, tally, rows.length);
});

test('versions conformance: nuget.ranges.tsv and golang.ranges.tsv', { skip }, (t) => {
  for (const file of ['nuget.ranges.tsv', 'golang.ranges.tsv']) {
    const rows = readTsv(join(sharedPath(...DIR) as string, file));
    const tally: Tally = { passed: 0, failures: [] };
    for (const row of rows) {
      const [version = '', rel = '', range = ''] = row.fields;
      check(
        file,
        row,
        () => {
          let inside: boolean;
          if (file.startsWith('nuget')) inside = nugetRangeSatisfies(version, range);
          else {
            const v = goToSemver(version);
            if (!v) throw new Error(`bad go version ${version}`);
            inside = range.trim() === '' || semverLib.satisfies(v, range);
          }
          return rel === 'in' ? inside : !inside;
        },
        tally,
      );
    }
    report(t, file, tally, rows.length);
  }
});

const VALIDITY: Record<string, (kind: string, v: string, options: string[]) => boolean> = {
  'apk.valid.tsv': (kind, v) => isValidApk(v) === (kind === 'valid'),
  'dpkg.valid.tsv': (kind, v) => SCHEMES.dpkg!.isValid(v) === (kind === 'valid'),
  'pep440.valid.tsv': (kind, v) => SCHEMES.pep440!.isValid(v) === (kind === 'valid'),
  'semver.valid.tsv': (kind, v, o) =>
    (semverLib.valid(v, { loose: o.includes('loose') }) !== null) === (kind === 'valid'),
  'rubygems.valid.tsv': (kind, v) => {
    if (kind === 'prerelease' || kind === 'release') {
      return SCHEMES.rubygems!.isValid(v) && isRubyGemsPrerelease(v) === (kind === 'prerelease');
    }
    return SCHEMES.rubygems!.isValid(v) === (kind === 'valid');
  },
  'nuget.valid.tsv': (kind, v) => {
    if (kind === 'semver-valid' || kind === 'semver-invalid') return isStrictSemVer(v) === (kind === 'semver-valid');
    return SCHEMES.nuget!.isValid(v) === (kind === 'valid');
  },
};

for (const [file, verify] of Object.entries(VALIDITY)) {
  test(`versions conformance: ${file} (validity)`, { skip }, (t) => {
    const rows = readTsv(join(sharedPath(...DIR) as string, file));
    const tally: Tally = { passed: 0, failures: [] };
    for (const row of rows) {
      const [kind = '', version = ''] = row.fields;
      check(file, row, () => verify(kind, version, optionsField(row, 2)), tally);
    }
    report(t, file, tally, rows.length);
  });
}

test('versions conformance: pep440.normalize.tsv', { skip }, (t) => {
  const file = 'pep440.normalize.tsv';
  const rows = readTsv(join(sharedPath(...DIR) as string, file));
  const tally: Tally = { passed: 0, failures: [] };
  for (const row of rows) {
    const [input = '', expected = ''] = row.fields;
    check(file, row, () => normalizePep440(input) === expected, tally);
  }
  report(t, file, tally, rows.length);
  assert.ok(pep440Lib.valid('1.0'));
});

test('versions conformance: every listed deviation still deviates', { skip }, () => {
  assert.deepEqual([...seenDeviations].sort(), Object.keys(KNOWN_DEVIATIONS).sort());
});
