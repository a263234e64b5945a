import type { Snapshot } from '../inputs/index.js';
import { buildNetwork, containerPorts } from './build.js';
import { podDecodeProblem } from './compat-diagnostics.js';
import type { Protocol } from './conn.js';
import { NetworkModel } from './engine.js';
import { cmp } from './matrix.js';
import { type NetPod, podIpsOf } from './model.js';
import { isObj } from './parse.js';

/**
 * Pod-level evaluation, as netpol-analyzer's eval API answers it (its `TestConnectionsMapExamples`): every Pod object
 * is its own peer, named `ns/pod`, with its own labels, so replicas of one owner and owners whose pods differ in
 * labels are told apart. The connection list keeps one representative per owner; this path does not replace it.
 */
export function perPodModel(snapshot: Snapshot): NetworkModel {
  const net = buildNetwork(snapshot, { compat: 'netpol-analyzer' });
  const pods: NetPod[] = [];
  for (const o of snapshot.ofKind('Pod')) {
    if (o.apiVersion !== 'v1' || podDecodeProblem(o)) continue;
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    const ns = o.namespace ?? 'default';
    pods.push({
      index: pods.length,
      namespace: ns,
      name: o.name,
      kind: 'Pod',
      display: `${ns}/${o.name}`,
      labels: o.labels,
      ips: podIpsOf(o.raw.status),
      hostNetwork: spec.hostNetwork === true,
      ports: containerPorts(spec),
      object: o,
    });
  }
  return new NetworkModel(
    pods,
    [...net.model.namespaces.values()],
    net.policies.networkPolicies,
    net.policies.adminPolicies,
    { ipblockMatchesPods: false, hostNetworkAsNode: false, cni: 'generic' },
  );
}

/**
 * Every ordered pair of pods (a pod with itself included), sorted by source then destination:
 * `src: ns/a, dest: ns/b, allowed conns: <value>`. The value is the allowed connection set (`All Connections`,
 * `No Connections`, `TCP 8080`), or with `check` whether that one connection is allowed (`true`/`false`); with
 * `check: 'all'` whether every connection is (what upstream's check without protocol and port answers).
 */
export function podConnectionMap(snapshot: Snapshot, check?: { protocol: Protocol; port: number } | 'all'): string {
  const model = perPodModel(snapshot);
  const pods = [...model.pods].sort((a, b) => cmp(a.display, b.display));
  const lines: string[] = [];
  for (const src of pods)
    for (const dst of pods) {
      const allowed = model.evaluatePair({ type: 'pod', pod: src }, { type: 'pod', pod: dst }).allowed;
      const value =
        check === undefined
          ? allowed.toString()
          : check === 'all'
            ? String(allowed.isAll())
            : String(allowed.contains(check.protocol, check.port));
      lines.push(`src: ${src.display}, dest: ${dst.display}, allowed conns: ${value}`);
    }
  return lines.join('\n');
}
