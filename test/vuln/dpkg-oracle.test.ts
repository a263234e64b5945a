import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareDpkg } from '../../src/vuln/versions/index.js';
import { missingTool } from '../support/tools.js';

const dpkgVersion = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    fc.stringMatching(/^[0-9][0-9a-z.+~]{0,8}$/),
    fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,5}$/), { nil: undefined }),
  )
  .map(([e, u, r]) => `${e === undefined ? '' : `${e}:`}${u}${r === undefined ? '' : `-${r}`}`);

test('dpkg: random versions order as the real `dpkg --compare-versions` does', { skip: missingTool('dpkg') }, () => {
  const pairs = fc.sample(fc.tuple(dpkgVersion, dpkgVersion), { numRuns: 80, seed: 42 });
  for (const [a, b] of pairs) {
    const expected = ['lt', 'eq', 'gt'].find(
      (op) => spawnSync('dpkg', ['--compare-versions', a, op, b], { stdio: 'ignore' }).status === 0,
    );
    const got = ['lt', 'eq', 'gt'][Math.sign(compareDpkg(a, b)) + 1];
    assert.equal(got, expected, `${a} vs ${b}`);
  }
});
