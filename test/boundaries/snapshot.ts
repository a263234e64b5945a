import assert from 'node:assert/strict';
import { buildSnapshot, parseManifestText, type Snapshot } from '../../src/inputs/index.js';

/** A snapshot from YAML text, as if read from `cluster.yaml`; the text must parse cleanly. */
export function snapshotOf(yaml: string): Snapshot {
  const r = parseManifestText(yaml, 'cluster.yaml');
  assert.deepEqual(r.problems, []);
  return buildSnapshot(r.documents, []);
}
