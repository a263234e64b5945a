import {
  type AccessModel,
  buildAccessModel,
  loadAwsSnapshot,
  type RequestAttributes,
  type Subject,
  whoCan,
} from '../access/index.js';
import { evaluatePod, parseLabelVersion } from '../config/index.js';
import type { Snapshot } from '../inputs/index.js';
import { type BuiltNetwork, buildNetwork, type Cni, computeMatrix } from '../network/index.js';
import { BUILTIN_ROLES_VERSION, type BuiltinAssumption } from './builtin-roles.js';
import type {
  Isolation,
  NamespaceEdge,
  PermissionHolder,
  PermissionQuery,
  Provided,
  PssEvaluator,
  RbacOracle,
  Reachability,
} from './providers.js';

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
    type Pair = { from: string; to: string; conns: (typeof conns)[number]['conns']; ranges: Set<string> };
    const byPair = new Map<string, Pair>();
    for (const c of conns) {
      if (c.conns.isEmpty()) continue;
      const from = c.src.namespace ?? EXTERNAL;
      const to = c.dst.namespace ?? EXTERNAL;
      const key = `${from}\0${to}`;
      const prev = byPair.get(key);
      const pair: Pair = prev
        ? { ...prev, conns: prev.conns.union(c.conns) }
        : { from, to, conns: c.conns, ranges: new Set() };
      // The external ranges folded into the `external` node, kept by name for the reasons.
      if (c.src.namespace === undefined) pair.ranges.add(c.src.name);
      if (c.dst.namespace === undefined) pair.ranges.add(c.dst.name);
      byPair.set(key, pair);
    }
    const edges: NamespaceEdge[] = [...byPair.values()]
      .map((e) => ({
        from: e.from,
        to: e.to,
        connections: e.conns.toString(),
        ...(e.ranges.size ? { ranges: [...e.ranges].sort() } : {}),
      }))
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

/** Per namespace and direction, the pods no policy in force isolates (the network model's own isolation rules). */
export function isolationFromNetwork(net: BuiltNetwork): Provided<Isolation> {
  const { model } = net;
  return {
    available: true,
    value: {
      unisolatedPods: (namespace, direction) =>
        model.pods
          .filter((p) => p.namespace === namespace && !p.hostNetwork && !model.isIsolated(p, direction))
          .map((p) => p.display)
          .sort(),
    },
  };
}

/**
 * The network engine's model of a snapshot (pods, namespaces, every policy kind the given CNI enforces), built once.
 */
export function networkOf(snapshot: Snapshot, cni: Cni = 'generic'): Provided<BuiltNetwork> {
  try {
    return { available: true, value: buildNetwork(snapshot, { cni }) };
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

type WhoCanAnswer = ReturnType<typeof whoCan>;

function subjectKey(s: Subject): string {
  return `${s.kind}\0${s.namespace ?? ''}\0${s.name}`;
}

function requestOf(q: PermissionQuery, namespace: string): RequestAttributes {
  return {
    resourceRequest: true,
    verb: q.verb,
    apiGroup: q.group ?? '',
    resource: q.resource,
    subresource: q.subresource ?? '',
    name: q.name ?? '',
    namespace,
  };
}

/** Who holds a grant, as subject keys and IAM principal ARNs (access policies). */
function grantees(answer: WhoCanAnswer): { subjects: Set<string>; principals: Set<string> } {
  return {
    subjects: new Set(answer.rows.map((r) => subjectKey(r.subject))),
    principals: new Set(answer.accessPolicies.map((p) => p.principalArn)),
  };
}

/**
 * "Who can" through the access engine (RBAC bindings, system:masters, EKS access policies), read through its
 * structured answers only:
 * - cluster administrators are the holders of every verb on every resource of every API group cluster-wide (the
 *   same question asked with `*`: only wildcard rules answer it — cluster-admin, system:masters,
 *   AmazonEKSClusterAdminPolicy, or any hand-written equivalent);
 * - a grant is local to a namespace when the holder has it in that namespace but not cluster-wide (the same question
 *   asked without a namespace only reaches ClusterRoleBindings and cluster-scoped access policies).
 * With `assumed` (the model with built-in ClusterRoles added), holders that only the assumption produces are
 * marked, so a verdict never hides that it relies on the default rules of a role the snapshot lacks.
 */
export function rbacFromAccessEngine(model: AccessModel, assumed?: BuiltinAssumption): RbacOracle {
  const effective = assumed?.model ?? model;
  const ask = (m: AccessModel, q: PermissionQuery, namespace: string) => whoCan(m, requestOf(q, namespace));
  const admins = grantees(ask(effective, { verb: '*', group: '*', resource: '*' }, ''));
  const clusterWide = new Map<string, ReturnType<typeof grantees>>();
  const assumedNote = assumed?.bound.length
    ? `assumes the built-in rules of ${assumed.bound.join(', ')} (${BUILTIN_ROLES_VERSION}): not in the snapshot`
    : undefined;
  return {
    whoCan(q) {
      const namespace = q.namespace ?? '';
      const r = ask(effective, q, namespace);
      const key = JSON.stringify({ ...q, namespace: undefined });
      let wide = q.namespace === undefined ? grantees(r) : clusterWide.get(key);
      if (!wide) {
        wide = grantees(ask(effective, q, ''));
        clusterWide.set(key, wide);
      }
      const actual = assumedNote ? grantees(ask(model, q, namespace)) : undefined;
      const holders: PermissionHolder[] = r.rows.map((row) => {
        const k = subjectKey(row.subject);
        return {
          kind: row.subject.kind as PermissionHolder['kind'],
          name: row.subject.name,
          namespace: row.subject.namespace,
          via: row.reason.text,
          local: q.namespace !== undefined && !wide.subjects.has(k),
          admin: admins.subjects.has(k),
          assumed: actual && !actual.subjects.has(k) ? assumedNote : undefined,
        };
      });
      for (const p of r.accessPolicies) {
        holders.push({
          kind: 'User',
          name: p.principalArn,
          via: p.reason.text,
          local: q.namespace !== undefined && !wide.principals.has(p.principalArn),
          admin: admins.principals.has(p.principalArn),
        });
      }
      return { holders, incomplete: [...new Set([...r.unknowns, ...r.errors])], assumption: assumedNote };
    },
  };
}
