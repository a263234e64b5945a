/**
 * netpol-analyzer's per-pod connection maps (`TestConnectionsMapExamples`, files `manifests/connections_map*.txt` in
 * ../shared/conformance/netpol-analyzer): every ordered pod pair with its allowed connections, or a true/false
 * answer for one connection. Checked through the pod-level evaluation path (`podConnectionMap`), line for line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadSnapshot } from '../../src/inputs/index.js';
import { type Protocol, podConnectionMap } from '../../src/network/index.js';
import { sharedSkipReason } from '../support/shared.js';
import { CORPUS, corpusDir } from './netpol-analyzer-cases.js';

const skip = sharedSkipReason(...CORPUS.split('/'));

interface MapRun {
  file: string;
  description: string;
  conn: string | null;
}

describe('netpol-analyzer per-pod connection maps', { skip }, () => {
  const dir = corpusDir() as string;
  const cases = skip
    ? []
    : (
        JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
          cases: Array<{ case: string; connection_maps?: MapRun[] }>;
        }
      ).cases.flatMap((c) => (c.connection_maps ?? []).map((m) => ({ caseName: c.case, ...m })));

  test('all 4 recorded maps are checked', () => assert.equal(cases.length, 4));

  for (const m of cases)
    test(`${m.caseName}: ${m.file}`, () => {
      const snapshot = loadSnapshot([join(dir, m.caseName, 'manifests')]);
      // "TCP 80": one connection; a bool map without one: upstream's check with no protocol/port (every connection)
      const [proto, port] = (m.conn ?? '').split(' ');
      const check = m.conn
        ? { protocol: proto as Protocol, port: Number(port) }
        : m.description.startsWith('bool')
          ? ('all' as const)
          : undefined;
      const expected = readFileSync(join(dir, m.caseName, m.file), 'utf8')
        .trimEnd()
        .split('\n');
      const actual = podConnectionMap(snapshot, check).split('\n');
      assert.deepEqual(actual, expected);
    });
});
