import type { InputProblem } from '../core/index.js';
import type { Snapshot } from './snapshot.js';
import { expandWorkloads } from './workloads.js';

export interface SnapshotSummary {
  paths: string[];
  objects: number;
  /** Objects per kind, sorted by kind. */
  byKind: Record<string, number>;
  /** Objects per namespace (cluster-scoped objects not counted), sorted by namespace. */
  byNamespace: Record<string, number>;
  namespaces: { defined: number; synthesized: number };
  workloads: number;
  podTemplates: { containers: number; hostNetwork: number };
  problems: InputProblem[];
}

export function summarizeSnapshot(snapshot: Snapshot): SnapshotSummary {
  const byKind: Record<string, number> = {};
  const byNamespace: Record<string, number> = {};
  let defined = 0;
  let synthesized = 0;
  for (const o of snapshot.objects) {
    if (o.kind === 'Namespace') {
      if (o.synthesized) synthesized++;
      else defined++;
      if (o.synthesized) continue;
    }
    byKind[o.kind] = (byKind[o.kind] ?? 0) + 1;
    if (o.namespace) byNamespace[o.namespace] = (byNamespace[o.namespace] ?? 0) + 1;
  }
  const pods = expandWorkloads(snapshot);
  return {
    paths: [...snapshot.paths],
    objects: snapshot.objects.filter((o) => !o.synthesized).length,
    byKind: sortRecord(byKind),
    byNamespace: sortRecord(byNamespace),
    namespaces: { defined, synthesized },
    workloads: pods.length,
    podTemplates: {
      containers: pods.reduce((n, p) => n + (Array.isArray(p.spec.containers) ? p.spec.containers.length : 0), 0),
      hostNetwork: pods.filter((p) => p.spec.hostNetwork === true).length,
    },
    problems: [...snapshot.problems],
  };
}

function sortRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}
