import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseManifestText } from './load.js';
import { buildSnapshot } from './snapshot.js';
import { expandWorkloads } from './workloads.js';

// Property tests: whatever bytes arrive, the loader returns documents and problems; it never throws, and every
// problem names the file.

const NUM_RUNS = 300;

function loadsWithoutThrowing(text: string): void {
  const r = parseManifestText(text, 'fuzz.yaml');
  for (const p of r.problems) assert.equal(p.file, 'fuzz.yaml');
  // Whatever loaded must survive the rest of the pipeline too.
  expandWorkloads(buildSnapshot(r.documents, [...r.problems]));
}

const kubeLike = fc.record({
  apiVersion: fc.constantFrom('v1', 'apps/v1', 'networking.k8s.io/v1', 'batch/v1'),
  kind: fc.constantFrom('Pod', 'Deployment', 'NetworkPolicy', 'List', 'PodList', 'CronJob', 'Namespace'),
  metadata: fc.record(
    {
      name: fc.string(),
      namespace: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
    },
    { requiredKeys: [] },
  ),
  spec: fc.jsonValue({ maxDepth: 4 }),
  items: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
});

test('random text never crashes the loader', () => {
  fc.assert(fc.property(fc.string({ maxLength: 400 }), loadsWithoutThrowing), { numRuns: NUM_RUNS });
});

test('random JSON values as JSON and YAML never crash the loader', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      loadsWithoutThrowing(JSON.stringify(v));
      loadsWithoutThrowing(stringify(v));
    }),
    { numRuns: NUM_RUNS },
  );
});

test('Kubernetes-shaped objects, whole and truncated at any point, never crash the loader', () => {
  fc.assert(
    fc.property(fc.array(kubeLike, { minLength: 1, maxLength: 3 }), fc.nat(), fc.boolean(), (objs, cut, asJson) => {
      const text = asJson
        ? JSON.stringify(objs.length === 1 ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs }, null, 2)
        : objs.map((o) => stringify(o)).join('---\n');
      loadsWithoutThrowing(text);
      loadsWithoutThrowing(text.slice(0, cut % (text.length + 1)));
    }),
    { numRuns: NUM_RUNS },
  );
});
