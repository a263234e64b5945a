/**
 * Network benchmark: builds the model and evaluates the full pod × pod matrix for synthetic clusters (1k, 5k, 10k
 * pods), plus single `check`s after indexing, for each CNI profile asked for.
 *
 *   npx tsx bench/netpol/run.ts [runs=3] [max-pods=all] [cni,...=generic]   e.g. `... 3 10000 generic,calico,cilium`
 *
 * Prints, per size and CNI: median wall time of `runs` runs (load objects + build the model + full matrix), the CPU
 * time of that median run (user+system, less sensitive to other load), the load average, the classes and allowed pod
 * pairs, one `check` (evaluatePair) after indexing, and the process's peak RSS.
 */
import { loadavg } from 'node:os';
import { buildSnapshot } from '../../src/inputs/index.js';
import { buildNetwork, CNIS, type Cni, summarizeMatrix } from '../../src/network/index.js';
import { type ClusterSize, generateCluster } from './generate.js';

const SIZES: ClusterSize[] = [
  { pods: 1000, namespaces: 100, policies: 200 },
  { pods: 5000, namespaces: 500, policies: 1000 },
  { pods: 10000, namespaces: 500, policies: 2000 },
];
const runs = Number(process.argv[2] ?? 3);
const maxPods = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const cnis = (process.argv[4] ?? 'generic').split(',') as Cni[];
for (const c of cnis) if (!CNIS.includes(c)) throw new Error(`unknown CNI "${c}": ${CNIS.join(', ')}`);

for (const size of SIZES.filter((s) => s.pods <= maxPods))
  for (const cni of cnis) {
    const objects = generateCluster(size);
    const results: Array<{ wall: number; cpu: number }> = [];
    let summary: ReturnType<typeof summarizeMatrix> | undefined;
    let checkMicros = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const snap = buildSnapshot(
        objects.map((object, k) => ({ object: object as never, source: { file: 'bench', documentIndex: k } })),
      );
      const net = buildNetwork(snap, { cni });
      summary = summarizeMatrix(net.model);
      const cpu = process.cpuUsage(c0);
      results.push({ wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 });
      const pods = net.model.pods;
      const n = 2000;
      const k0 = performance.now();
      for (let k = 0; k < n; k++) {
        const a = pods[(k * 7919) % pods.length];
        const b = pods[(k * 104729 + 1) % pods.length];
        if (a && b) net.model.evaluatePair({ type: 'pod', pod: a }, { type: 'pod', pod: b });
      }
      checkMicros = ((performance.now() - k0) / n) * 1000;
    }
    const med = [...results].sort((a, b) => a.wall - b.wall)[
      Math.floor(results.length / 2)
    ] as (typeof results)[number];
    const rss = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      `${size.pods} pods / ${size.namespaces} ns / ${size.policies} policies, --cni ${cni}: full matrix ${(med.wall / 1000).toFixed(2)} s wall, ` +
        `${(med.cpu / 1000).toFixed(2)} s CPU (median of ${runs}; load ${loadavg()[0]?.toFixed(1)}), ${summary?.classes} classes, ` +
        `${summary?.allowedPodPairs} allowed pod pairs, check ${checkMicros.toFixed(0)} µs, peak RSS ${rss.toFixed(0)} MB\n`,
    );
  }
