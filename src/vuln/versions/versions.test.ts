import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareComposer, compareEvr, compareGo, evaluateAffected, SCHEMES, schemeForEcosystem } from './index.js';

test('OSV: introduced/fixed pairs, several in one range (Go style)', () => {
  const affected = {
    ranges: [
      {
        type: 'SEMVER',
        events: [{ introduced: '0' }, { fixed: '1.21.11' }, { introduced: '1.22.0-0' }, { fixed: '1.22.4' }],
      },
    ],
  };
  const go = schemeForEcosystem('Go');
  assert.deepEqual(evaluateAffected('1.21.10', affected, go).fixedIn, ['1.21.11']);
  assert.equal(evaluateAffected('1.21.11', affected, go).affected, false);
  assert.equal(evaluateAffected('1.22.0-rc.1', affected, go).affected, true);
  assert.deepEqual(evaluateAffected('1.22.3', affected, go).fixedIn, ['1.22.4']);
  assert.equal(evaluateAffected('1.22.4', affected, go).affected, false);
  assert.equal(evaluateAffected('v1.22.3', affected, go).affected, true, 'Go versions carry a v prefix');
});

test('OSV: events are sorted before evaluation, last_affected is inclusive, limit caps the range', () => {
  const npm = SCHEMES.npm;
  const shuffled = { ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '2.0.0' }, { introduced: '1.0.0' }] }] };
  assert.equal(evaluateAffected('1.5.0', shuffled, npm).affected, true);
  assert.equal(evaluateAffected('0.9.0', shuffled, npm).affected, false);
  const last = { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { last_affected: '1.4.0' }] }] };
  assert.equal(evaluateAffected('1.4.0', last, npm).affected, true);
  assert.equal(evaluateAffected('1.4.1', last, npm).affected, false);
  assert.deepEqual(evaluateAffected('1.4.0', last, npm).fixedIn, [], 'last_affected names no fix');
  const limited = { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '3.0.0' }] }] };
  assert.equal(evaluateAffected('2.9.9', limited, npm).affected, true);
  assert.equal(evaluateAffected('3.0.0', limited, npm).affected, false);
});

test('OSV: versions lists match exactly; GIT-only ranges without a list are reported as not evaluable', () => {
  const pep = SCHEMES.pep440;
  const git = {
    ranges: [{ type: 'GIT', repo: 'https://github.com/x/y', events: [{ introduced: '0' }, { fixed: 'abc1234' }] }],
  };
  const verdict = evaluateAffected('1.0', git, pep);
  assert.equal(verdict.affected, false);
  assert.equal(verdict.evaluable, false);
  assert.match(verdict.notes[0] ?? '', /GIT range of https:\/\/github.com\/x\/y/);
  const listed = { ...git, versions: ['1.0', '1.1'] };
  assert.deepEqual(
    {
      affected: evaluateAffected('1.1', listed, pep).affected,
      evaluable: evaluateAffected('1.2', listed, pep).evaluable,
    },
    { affected: true, evaluable: true },
  );
});

test('OSV: an unknown ecosystem or an unparsable version is not evaluable, never "not affected"', () => {
  const range = { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }] }] };
  assert.equal(evaluateAffected('0.5', range, schemeForEcosystem('NoSuchEcosystem')).evaluable, false);
  const v = evaluateAffected('not a version', range, SCHEMES.pep440);
  assert.equal(v.evaluable, false);
  assert.match(v.notes.join(), /invalid version/);
});

test('OSV: RPM EVR ranges with epochs and backport suffixes (AlmaLinux)', () => {
  const rpm = schemeForEcosystem('AlmaLinux:9');
  const range = {
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-27.el9_5.alma.1' }] }],
  };
  assert.equal(evaluateAffected('1:3.0.7-27.el9', range, rpm).affected, true);
  assert.equal(evaluateAffected('1:3.0.7-28.el9', range, rpm).affected, false);
  assert.equal(evaluateAffected('3.0.9-1.el9', range, rpm).affected, true, 'epoch 0 < epoch 1');
  assert.ok(compareEvr('1.2-3.el9_5', '1.2-3.el9') > 0);
});

test('ecosystem names map to schemes', () => {
  assert.equal(schemeForEcosystem('Debian:12')?.name, 'dpkg');
  assert.equal(schemeForEcosystem('Ubuntu:22.04:LTS')?.name, 'dpkg');
  assert.equal(schemeForEcosystem('Alpine:v3.18')?.name, 'apk');
  assert.equal(schemeForEcosystem('crates.io')?.name, 'cargo');
  assert.equal(schemeForEcosystem('Packagist')?.name, 'composer');
});

test('Go: pseudo-versions sort by timestamp and below releases; +incompatible is ignored; toolchain versions', () => {
  assert.ok(compareGo('v0.0.0-20180116102854-5a71ef0e047d', 'v0.0.1') < 0);
  assert.ok(compareGo('v1.2.4-0.20190101000000-abcdefabcdef', 'v1.2.4') < 0);
  assert.ok(compareGo('v1.2.4-0.20190101000000-abcdefabcdef', 'v1.2.3') > 0);
  assert.equal(compareGo('v3.2.0+incompatible', 'v3.2.0'), 0);
  assert.ok(compareGo('go1.21rc2', 'go1.21.0') < 0);
  assert.ok(compareGo('go1.21.0', '1.21.1') < 0);
  assert.throws(() => compareGo('vX', '1.0.0'), /invalid version/);
});

test('Composer: normalised like VersionParser, ordered like version_compare', () => {
  assert.equal(compareComposer('1.2', '1.2.0.0'), 0);
  assert.equal(compareComposer('v2.0.0', '2.0.0'), 0);
  const ordered = ['1.0.0-dev', '1.0.0-alpha1', '1.0.0-beta2', '1.0.0-RC1', '1.0.0', '1.0.0-patch1', '1.0.1'];
  for (let i = 1; i < ordered.length; i++) {
    assert.ok(compareComposer(ordered[i - 1] as string, ordered[i] as string) < 0, `${ordered[i - 1]} < ${ordered[i]}`);
  }
  assert.equal(compareComposer('1.0.0-b2', '1.0.0-beta2'), 0);
});
