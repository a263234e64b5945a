import { UsageError } from '../core/index.js';
import { csvField, type ExposureResult } from './exposure.js';
import type { Connection, Peer } from './matrix.js';

export const MATRIX_FORMATS = ['txt', 'json', 'csv', 'md', 'dot'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export interface RenderOptions {
  /** `Permitted connections on TCP 80:` mode: pairs only, no connection column. */
  focusConnLabel?: string;
  /** dot: workloads drawn even when no connection touches them (netpol-analyzer draws every workload in scope). */
  workloads?: Peer[];
  /** dot: the exposure analysis drawn as dashed edges to representative peers. */
  exposure?: ExposureResult;
}

/** Renders a connection list in netpol-analyzer's grammar for each format (docs/output.md, network section). */
export function renderConnlist(conns: Connection[], format: string, opts: RenderOptions = {}): string {
  const withConn = opts.focusConnLabel === undefined;
  switch (format) {
    case 'txt': {
      const lines = conns.map((c) =>
        withConn ? `${c.src.name} => ${c.dst.name} : ${c.conns}` : `${c.src.name} => ${c.dst.name}`,
      );
      if (!withConn) lines.unshift(`Permitted connections on ${opts.focusConnLabel}:`);
      return lines.join('\n');
    }
    case 'json': {
      const rows = conns.map((c) =>
        withConn
          ? { src: c.src.name, dst: c.dst.name, conn: c.conns.toString() }
          : { src: c.src.name, dst: c.dst.name },
      );
      return JSON.stringify(rows, null, 2);
    }
    case 'csv': {
      const lines = [withConn ? 'src,dst,conn' : 'src,dst'];
      for (const c of conns)
        lines.push(
          withConn ? `${c.src.name},${c.dst.name},${csvField(c.conns.toString())}` : `${c.src.name},${c.dst.name}`,
        );
      return lines.join('\n');
    }
    case 'md': {
      const lines = withConn ? ['| src | dst | conn |', '|-----|-----|------|'] : ['| src | dst |', '|-----|-----|'];
      for (const c of conns)
        lines.push(withConn ? `| ${c.src.name} | ${c.dst.name} | ${c.conns} |` : `| ${c.src.name} | ${c.dst.name} |`);
      return lines.join('\n');
    }
    case 'dot':
      return renderDot(conns, opts);
    default:
      throw new UsageError(`output format "${format}" is not supported; use one of ${MATRIX_FORMATS.join(', ')}`);
  }
}

/** `ns/[pod with {...}]` → its pod and namespace labels as netpol-analyzer's graph names them. */
function representativeParts(peer: string): { pod: string; ns: string } {
  const at = Math.max(peer.lastIndexOf('/[pod with '), peer.lastIndexOf('/[all pods]'));
  const unbracket = (x: string) => (x.startsWith('[') && x.endsWith(']') ? x.slice(1, -1) : x);
  return { ns: unbracket(peer.slice(0, at)), pod: unbracket(peer.slice(at + 1)) };
}

function renderDot(conns: Connection[], opts: RenderOptions): string {
  const byNs = new Map<string, Map<string, string>>();
  const repNs = new Map<string, Map<string, string>>();
  const others = new Set<string>();
  for (const p of [...conns.flatMap((c) => [c.src, c.dst]), ...(opts.workloads ?? [])]) {
    if (p.namespace !== undefined && p.endpoint.type === 'pod') {
      let m = byNs.get(p.namespace);
      if (!m) byNs.set(p.namespace, (m = new Map()));
      m.set(p.name, p.name.slice(p.namespace.length + 1));
    } else others.add(p.name);
  }
  const label = opts.focusConnLabel;
  const edges: string[] = [];
  for (const c of conns) {
    // netpol-analyzer weighs edges that go "backwards" in name order heavier, keeping layouts stable
    const weight = c.src.name < c.dst.name ? '0.5' : '1';
    edges.push(
      `\t"${c.src.name}" -> "${c.dst.name}" [label="${label ?? c.conns.toString()}" color="gold2" fontcolor="darkgreen" weight=${weight}]`,
    );
  }
  let entireCluster = false;
  for (const [dir, list] of [
    ['egress', opts.exposure?.egress ?? []],
    ['ingress', opts.exposure?.ingress ?? []],
  ] as const)
    for (const l of list) {
      if (l.peer.endsWith('[External]')) continue; // already an edge of the connection list
      let node = l.peer;
      if (l.peer === 'entire-cluster') entireCluster = true;
      else {
        const { pod, ns } = representativeParts(l.peer);
        node = `${pod}_in_${ns}`;
        // representative peers get groups of their own, even in a namespace that exists
        const group = repNs.get(ns) ?? new Map<string, string>();
        repNs.set(ns, group);
        group.set(node, pod);
      }
      edges.push(
        dir === 'ingress'
          ? `\t"${node}" -> "${l.workload}" [label="${l.conns}" color="darkorange2" fontcolor="darkgreen" weight=1 style=dashed]`
          : `\t"${l.workload}" -> "${node}" [label="${l.conns}" color="darkorange4" fontcolor="darkgreen" weight=0.5 style=dashed]`,
      );
    }
  const lines = ['digraph {'];
  for (const [groups, color] of [
    [byNs, 'black'],
    [repNs, 'red2'],
  ] as const)
    for (const ns of [...groups.keys()].sort()) {
      lines.push(
        `\tsubgraph "cluster_${ns.replaceAll('-', '_')}[namespace]" {`,
        `\t\tcolor="${color}"`,
        `\t\tfontcolor="${color}"`,
      );
      const m = groups.get(ns) as Map<string, string>;
      for (const name of [...m.keys()].sort()) {
        const nodeColor = color === 'red2' ? 'red2' : 'blue';
        lines.push(`\t\t"${name}" [label="${m.get(name)}" color="${nodeColor}" fontcolor="${nodeColor}"]`);
      }
      lines.push(`\t\tlabel="${ns}[namespace]"`, '\t}');
    }
  const externals = [...others].map((name) => {
    // external ranges are red; the ingress controller is a (placeholder) pod, blue like the workloads
    const color = name === '{ingress-controller}' ? 'blue' : 'red2';
    return `\t"${name}" [label="${name}" color="${color}" fontcolor="${color}"]`;
  });
  if (entireCluster)
    externals.push('\t"entire-cluster" [label="entire-cluster" color="red2" fontcolor="red2" shape=diamond]');
  lines.push(...externals.sort(), ...edges.sort(), '}');
  return lines.join('\n');
}
