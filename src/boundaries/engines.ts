import { evaluatePod, parseLabelVersion } from '../config/index.js';
import type { Snapshot } from '../inputs/index.js';
import { buildNetwork, computeMatrix } from '../network/index.js';
import type { NamespaceEdge, Provided, PssEvaluator, Reachability } from './providers.js';

/** What went wrong in another engine, as one line. */
export function failureText(engine: string, err: unknown): string {
  return `${engine} engine failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** Pod Security Standards through the config engine's evaluator (upstream's checks and versions). */
export function pssFromConfigEngine(): Provided<PssEvaluator> {
  return {
    available: true,
    value: {
      evaluate(spec, meta, level, version) {
        const v = parseLabelVersion(version === 'latest' ? undefined : version).version;
        const r = evaluatePod(meta, spec, level, v);
        return {
          allowed: r.allowed,
          violations: r.violations.map((x) =>
            x.forbiddenDetail ? `${x.forbiddenReason} (${x.forbiddenDetail})` : x.forbiddenReason,
          ),
        };
      },
    },
  };
}

/** Name of the node that stands for every address outside the cluster in the namespace picture. */
export const EXTERNAL = 'external';

/**
 * Namespace-to-namespace reachability from the network engine's matrix: every allowed workload pair folded into
 * its namespaces, connections united. External ranges fold into one `external` node.
 */
export function reachabilityFromNetworkEngine(snapshot: Snapshot): Provided<Reachability> & { problems?: string[] } {
  try {
    const net = buildNetwork(snapshot);
    const conns = computeMatrix(net.model);
    const byPair = new Map<string, { from: string; to: string; conns: (typeof conns)[number]['conns'] }>();
    for (const c of conns) {
      if (c.conns.isEmpty()) continue;
      const from = c.src.namespace ?? EXTERNAL;
      const to = c.dst.namespace ?? EXTERNAL;
      const key = `${from}\0${to}`;
      const prev = byPair.get(key);
      byPair.set(key, { from, to, conns: prev ? prev.conns.union(c.conns) : c.conns });
    }
    const edges: NamespaceEdge[] = [...byPair.values()]
      .map((e) => ({ from: e.from, to: e.to, connections: e.conns.toString() }))
      .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    return {
      available: true,
      value: { edges },
      problems: net.problems.map((p) => `${p.object.kind} ${p.object.namespace ?? ''}/${p.object.name}: ${p.message}`),
    };
  } catch (err) {
    return { available: false, reason: failureText('network', err) };
  }
}
