/**
 * PSS + workload controls throughput: pod specs per second through Rampart's evaluators, and Trivy's offline
 * Kubernetes checks (`trivy config`, the peer) on the same manifests in the same run.
 *   npx tsx bench/config/pss.bench.ts [pods=20000] [runs=5] [trivyPods=200]
 * Trivy comes from bench/config/fetch-trivy.mjs (installed on demand into the cache dir).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { evaluatePod, LATEST_PSS_VERSION, visitWorkloadHits, WORKLOAD_RULES } from '../../src/config/index.js';
import { buildSnapshot, expandWorkloads } from '../../src/inputs/index.js';

const pods = Number(process.argv[2] ?? 20000);
const runs = Number(process.argv[3] ?? 5);
const trivyPods = Number(process.argv[4] ?? 200);

/** Deterministic variety: hardened, baseline-only, and privileged pods with 1–3 containers. */
function deployment(i: number): Record<string, unknown> {
  const kind = i % 3;
  const containers = Array.from({ length: 1 + (i % 3) }, (_, c) => ({
    name: `c${c}`,
    image:
      kind === 0 ? `123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:${'a'.repeat(64)}` : `nginx:1.${i % 27}`,
    securityContext:
      kind === 0
        ? { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }
        : kind === 2
          ? { privileged: true, capabilities: { add: ['SYS_ADMIN'] } }
          : {},
    resources: kind === 0 ? { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } : undefined,
    ports: kind === 2 ? [{ containerPort: 80, hostPort: 8000 + (i % 1000) }] : [{ containerPort: 8080 }],
    env: [{ name: 'MODE', value: 'prod' }],
  }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `app-${i}`, namespace: `ns-${i % 50}` },
    spec: {
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: {
          securityContext:
            kind === 0 ? { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } } : {},
          hostNetwork: kind === 2,
          volumes:
            kind === 2 ? [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }] : [{ name: 'e', emptyDir: {} }],
          containers,
        },
      },
    },
  };
}

const objects = Array.from({ length: pods }, (_, i) => deployment(i));
const snapshot = buildSnapshot(
  objects.map((object, i) => ({ object, source: { file: 'bench.yaml', line: i + 1, documentIndex: i } })),
);
const workloads = expandWorkloads(snapshot);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const rates: number[] = [];
const cpuRates: number[] = [];
let violations = 0;
/** Every rule evaluated, the registry allow-list included (its rule is skipped without one). */
const ctx = { snapshot, options: { allowedRegistries: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com'] } };
const countHit = (): void => {
  violations++;
};
for (let r = 0; r < runs; r++) {
  violations = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const w of workloads) {
    const meta = { annotations: w.annotations };
    violations += evaluatePod(meta, w.spec, 'baseline', LATEST_PSS_VERSION).violations.length;
    violations += evaluatePod(meta, w.spec, 'restricted', LATEST_PSS_VERSION).violations.length;
    visitWorkloadHits(w, ctx, countHit);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  rates.push(workloads.length / seconds);
  cpuRates.push(workloads.length / ((cpu.user + cpu.system) / 1e6));
}
console.log(
  `rampart: ${workloads.length} pod specs, baseline + restricted + ${WORKLOAD_RULES.length} workload rules: median ${Math.round(median(rates))} pod specs/s over ${runs} runs (${violations} results); per CPU second (user+system, less sensitive to other load): median ${Math.round(median(cpuRates))}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

if (trivyPods > 0) {
  const fetched = spawnSync(process.execPath, [resolve(import.meta.dirname, 'fetch-trivy.mjs')], { encoding: 'utf8' });
  if (fetched.status !== 0) {
    console.log(`trivy: not available (${fetched.stderr.trim()})`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-'));
    try {
      writeFileSync(
        join(dir, 'pods.yaml'),
        objects
          .slice(0, trivyPods)
          .map((o) => stringify(o))
          .join('---\n'),
      );
      const times: number[] = [];
      for (let r = 0; r < Math.min(runs, 3); r++) {
        const start = process.hrtime.bigint();
        const t = spawnSync(
          fetched.stdout.trim(),
          [
            'config',
            '--skip-policy-update',
            '--quiet',
            '--format',
            'json',
            '--cache-dir',
            join(dir, 'cache'),
            join(dir, 'pods.yaml'),
          ],
          {
            encoding: 'utf8',
            maxBuffer: 512 * 1024 * 1024,
          },
        );
        if (t.status !== 0) throw new Error(`trivy exit ${t.status}: ${t.stderr.slice(0, 500)}`);
        times.push(Number(process.hrtime.bigint() - start) / 1e9);
      }
      console.log(
        `trivy config (peer, whole process incl. start-up): ${trivyPods} pod specs: median ${Math.round(trivyPods / median(times))} pod specs/s over ${times.length} runs`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
