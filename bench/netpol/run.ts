/**
 * Network benchmark: builds the model and evaluates the full pod × pod matrix for synthetic clusters (1k, 5k, 10k
 * pods), plus single `check`s after indexing. Run: `npx tsx bench/netpol/run.ts [runs] [max-pods]` (median of runs;
 * peak RSS of the process). max-pods skips the larger sizes.
 */
import { buildSnapshot } from '../../src/inputs/index.js';
import { buildNetwork, summarizeMatrix } from '../../src/network/index.js';
import { type ClusterSize, generateCluster } from './generate.js';

const SIZES: ClusterSize[] = [
  { pods: 1000, namespaces: 100, policies: 200 },
  { pods: 5000, namespaces: 500, policies: 1000 },
  { pods: 10000, namespaces: 500, policies: 2000 },
];
const runs = Number(process.argv[2] ?? 3);
const maxPods = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const size of SIZES.filter((s) => s.pods <= maxPods)) {
  const objects = generateCluster(size);
  const times: number[] = [];
  let summary: ReturnType<typeof summarizeMatrix> | undefined;
  let checkMicros = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const snap = buildSnapshot(
      objects.map((object, k) => ({ object: object as never, source: { file: 'bench', documentIndex: k } })),
    );
    const net = buildNetwork(snap);
    summary = summarizeMatrix(net.model);
    times.push(performance.now() - t0);
    const pods = net.model.pods;
    const n = 2000;
    const c0 = performance.now();
    for (let k = 0; k < n; k++) {
      const a = pods[(k * 7919) % pods.length];
      const b = pods[(k * 104729 + 1) % pods.length];
      if (a && b) net.model.evaluatePair({ type: 'pod', pod: a }, { type: 'pod', pod: b });
    }
    checkMicros = ((performance.now() - c0) / n) * 1000;
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${size.pods} pods / ${size.namespaces} ns / ${size.policies} policies: full matrix ${(median(times) / 1000).toFixed(2)} s (median of ${runs}), ` +
      `${summary?.classes} classes, ${summary?.allowedPodPairs} allowed pod pairs, check ${checkMicros.toFixed(0)} µs, peak RSS ${rss.toFixed(0)} MB\n`,
  );
}
