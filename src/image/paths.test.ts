import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeTarPath } from './paths.js';

/** The plain algorithm the fast path must agree with: drop empty and `.` parts, `..` pops (or fails when strict). */
function reference(name: string, strict: boolean): string | undefined {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) {
        if (strict) return undefined;
        continue;
      }
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

test('normalizeTarPath: the fast path for already-normal names agrees with the full algorithm', () => {
  const segment = fc.constantFrom('', '.', '..', 'a', '.wh.b', '..c', 'd..', '.e');
  const name = fc
    .tuple(fc.constantFrom('', './', '/', '././'), fc.array(segment, { maxLength: 6 }), fc.constantFrom('', '/'))
    .map(([head, parts, tail]) => `${head}${parts.join('/')}${tail}`);
  fc.assert(
    fc.property(name, fc.boolean(), (n, strict) => {
      assert.equal(normalizeTarPath(n, strict as true), reference(n, strict));
    }),
    { numRuns: 3000 },
  );
  assert.equal(normalizeTarPath('./usr/bin/x'), 'usr/bin/x');
  assert.equal(normalizeTarPath('../../etc/passwd', true), undefined);
});
