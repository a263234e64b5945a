import { type AccessModel, buildAccessModel, loadAwsSnapshot, whoCan } from '../access/index.js';
import { evaluatePod, parseLabelVersion } from '../config/index.js';
import type { Snapshot } from '../inputs/index.js';
import { type BuiltNetwork, buildNetwork, computeMatrix } from '../network/index.js';
import type { NamespaceEdge, PermissionHolder, Provided, PssEvaluator, RbacOracle, Reachability } from './providers.js';

/** What went wrong in another engine, as one line. */
export function failureText(engine: string, err: unknown): string {
  return `${engine} engine failed: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Pod Security Standards through the config engine's evaluator (upstream's checks and versions). `latest` means the
 * cluster's own minor when it is known (DescribeCluster in the AWS snapshot), as the API server reads it; else the
 * newest policy the evaluator knows.
 */
export function pssFromConfigEngine(clusterVersion?: string): Provided<PssEvaluator> {
  const cluster = clusterVersion && /^1\.\d+$/.test(clusterVersion) ? `v${clusterVersion}` : undefined;
  return {
    available: true,
    value: {
      evaluate(spec, meta, level, version) {
        const label = version === 'latest' ? cluster : version;
        const v = parseLabelVersion(label).version;
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
export function reachabilityFromNetwork(net: BuiltNetwork): Provided<Reachability> & { problems?: string[] } {
  try {
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

/** The network engine's model of a snapshot (pods, namespaces, every policy kind it knows), built once. */
export function networkOf(snapshot: Snapshot): Provided<BuiltNetwork> {
  try {
    return { available: true, value: buildNetwork(snapshot) };
  } catch (err) {
    return { available: false, reason: failureText('network', err) };
  }
}

/** The access engine's model (RBAC, aws-auth, access entries) of a snapshot, built once for the whole audit. */
export function accessModelOf(snapshot: Snapshot, awsSnapshot?: string): Provided<AccessModel> {
  try {
    const aws = awsSnapshot ? loadAwsSnapshot(awsSnapshot) : undefined;
    return { available: true, value: buildAccessModel(snapshot, aws) };
  } catch (err) {
    return { available: false, reason: failureText('access', err) };
  }
}

/** Whether a who-can reason names a cluster-wide administrator grant (expected to reach every namespace). */
function isAdminGrant(text: string): boolean {
  return (
    /^ClusterRoleBinding .* → ClusterRole cluster-admin:/.test(text) ||
    /AmazonEKSClusterAdminPolicy \(cluster\)/.test(text)
  );
}

/** "Who can" through the access engine: RBAC bindings, system:masters and EKS access policies. */
export function rbacFromAccessEngine(model: AccessModel): RbacOracle {
  return {
    whoCan(q) {
      const r = whoCan(model, {
        resourceRequest: true,
        verb: q.verb,
        apiGroup: q.group ?? '',
        resource: q.resource,
        subresource: q.subresource ?? '',
        name: q.name ?? '',
        namespace: q.namespace ?? '',
      });
      const holders: PermissionHolder[] = r.rows.map((row) => ({
        kind: row.subject.kind as PermissionHolder['kind'],
        name: row.subject.name,
        namespace: row.subject.namespace,
        via: row.reason.text,
        local: q.namespace !== undefined && row.reason.text.startsWith(`RoleBinding ${q.namespace}/`),
        admin: isAdminGrant(row.reason.text),
      }));
      for (const p of r.accessPolicies) {
        const namespaced = q.namespace !== undefined && p.reason.text.includes(`namespaces `);
        holders.push({
          kind: 'User',
          name: p.principalArn,
          via: p.reason.text,
          local: namespaced,
          admin: isAdminGrant(p.reason.text),
        });
      }
      return { holders, incomplete: [...r.unknowns, ...r.errors] };
    },
  };
}
