import { workloadMatches } from './matrix.js';
import type { NetPod } from './model.js';
import { type NetworkSection, networkOrder, type SectionConnections } from './multinetwork.js';

/** A graph node of one network: its id (a NAD's members are suffixed with the NAD name), namespace and label. */
interface DotNode {
  id: string;
  namespace: string;
  label: string;
}

function namespaceCluster(ns: string, suffix: string, nodes: DotNode[]): string[] {
  const lines = [
    `\tsubgraph "cluster_${ns.replaceAll('-', '_')}[${suffix}]" {`,
    '\t\tcolor="black"',
    '\t\tfontcolor="black"',
  ];
  for (const n of [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
    lines.push(`\t\t"${n.id}" [label="${n.label}" color="blue" fontcolor="blue"]`);
  lines.push(`\t\tlabel="${ns}[${suffix}]"`, '\t}');
  return lines;
}

function byNamespace(nodes: DotNode[]): Map<string, DotNode[]> {
  const out = new Map<string, DotNode[]>();
  for (const n of nodes) out.set(n.namespace, [...(out.get(n.namespace) ?? []), n]);
  // in the order of the clusters' labels (`ns[namespace]`): `a-b[` sorts before `a[`
  const key = (ns: string) => `${ns}[`;
  return new Map([...out.entries()].sort(([a], [b]) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)));
}

/**
 * netpol-analyzer's dot graph of a multi-network connection list: the pod network's namespaces (wrapped in a
 * `pod network` cluster when other networks are drawn), each primary UDN as a `ns[udn]` cluster, each CUDN and NAD as
 * a cluster of its namespaces; NAD members get node ids of their own (`ns/name[Kind]<nad>`). Nodes are the
 * workloads in scope (all, or the focus workloads and their named peers) and every peer of a connection.
 */
export function renderMultiNetworkDot(
  sections: SectionConnections[],
  focusConnLabel: string | undefined,
  focusWorkloads: string[] | undefined,
  focusWorkloadPeers: string[] | undefined,
): string {
  // with a focus, the graph shows the focus workloads and their named peers even without a connection
  const focus = focusWorkloads?.length ? [...focusWorkloads, ...(focusWorkloadPeers ?? [])] : undefined;
  const groups: Array<{ section: NetworkSection; nodes: DotNode[] }> = [];
  const others = new Set<string>();
  const edges: string[] = [];
  const ordered = [...sections].sort((a, b) => networkOrder(a.section, b.section));
  for (const { section, conns } of ordered) {
    const nodes = new Map<string, DotNode>();
    const nodeOf = (pod: NetPod): string => {
      const member = section.members[pod.index];
      if (!member) return pod.display;
      const id = section.kind === 'nad' ? `${member.display}${section.name}` : member.display;
      nodes.set(id, { id, namespace: member.namespace, label: `${member.name}[${member.kind}]` });
      return id;
    };
    for (const pod of section.model.pods) if (!focus || focus.some((f) => workloadMatches(f, pod))) nodeOf(pod);
    for (const c of conns) {
      const ids = [c.src, c.dst].map((p) => {
        if (p.endpoint.type === 'pod' && p.endpoint.pod.index >= 0) return nodeOf(p.endpoint.pod);
        others.add(p.name);
        return p.name;
      });
      const [s, d] = ids as [string, string];
      edges.push(
        `\t"${s}" -> "${d}" [label="${focusConnLabel ?? c.conns.toString()}" color="gold2" fontcolor="darkgreen" weight=${s < d ? '0.5' : '1'}]`,
      );
    }
    if (nodes.size > 0) groups.push({ section, nodes: [...nodes.values()] });
  }
  const lines = ['digraph {'];
  const wrapPodNetwork = groups.some((g) => g.section.kind !== 'pod');
  for (const { section, nodes } of groups) {
    const namespaces = byNamespace(nodes);
    if (section.kind === 'udn') {
      for (const [ns, list] of namespaces) lines.push(...namespaceCluster(ns, 'udn', list));
      continue;
    }
    const wrap = section.kind !== 'pod' || wrapPodNetwork;
    if (wrap)
      lines.push(
        section.kind === 'pod' ? '\tsubgraph "cluster_pod_network" {' : `\tsubgraph "cluster_${section.name}" {`,
        section.kind === 'pod'
          ? '\tlabel="pod network"'
          : `\tlabel="${section.name}[${section.kind === 'cudn' ? 'cluster-udn' : 'nad'}]"`,
      );
    for (const [ns, list] of namespaces) lines.push(...namespaceCluster(ns, 'namespace', list));
    if (wrap) lines.push('\t}');
  }
  const external = [...others].sort().map((name) => {
    // external ranges are red; the ingress controller is a (placeholder) pod, blue like the workloads
    const color = name === '{ingress-controller}' ? 'blue' : 'red2';
    return `\t"${name}" [label="${name}" color="${color}" fontcolor="${color}"]`;
  });
  lines.push(...external, ...edges.sort(), '}');
  return lines.join('\n');
}
