import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StreamScanner } from './stream-scan.js';

function allOffsets(data: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + 1)) out.push(at);
  return out;
}

test('StreamScanner: a watch with a key finds exactly the whole-buffer matches, at any chunking', () => {
  const needle = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
  // Near-misses share the key but differ elsewhere; overlapping plants and chunk edges at every position.
  const nearMiss = Buffer.from(needle);
  nearMiss[0] = 0x31;
  const piece = fc.constantFrom(needle, nearMiss, needle.subarray(2, 6), needle.subarray(0, 9), Buffer.from('xy'));
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
      fc.constantFrom<[number, number]>([0, 16], [2, 6], [12, 16], [1, 16]),
      (pieces, sizes, key) => {
        const data = Buffer.concat(pieces);
        const scanner = new StreamScanner();
        const found: number[] = [];
        scanner.watch(needle, (at) => found.push(at), key);
        for (let pos = 0, i = 0; pos < data.length; i++) {
          const size = sizes[i % sizes.length] as number;
          scanner.push(data.subarray(pos, pos + size));
          pos += size;
        }
        assert.deepEqual(found, allOffsets(data, needle));
      },
    ),
    { numRuns: 2000 },
  );
});
