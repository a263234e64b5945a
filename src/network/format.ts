import { UsageError } from '../core/index.js';
import type { Connection, Peer } from './matrix.js';

export const MATRIX_FORMATS = ['txt', 'json', 'csv', 'md', 'dot'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export interface RenderOptions {
  /** `Permitted connections on TCP 80:` mode: pairs only, no connection column. */
  focusConnLabel?: string;
  /** dot: workloads drawn even when no connection touches them (netpol-analyzer draws every workload in scope). */
  workloads?: Peer[];
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

/** A csv field, quoted when it holds a comma (netpol-analyzer's csv). */
export function csvField(s: string): string {
  return s.includes(',') ? `"${s}"` : s;
}

function renderDot(conns: Connection[], opts: RenderOptions): string {
  const byNs = new Map<string, Map<string, string>>();
  const others = new Set<string>();
  for (const p of [...conns.flatMap((c) => [c.src, c.dst]), ...(opts.workloads ?? [])]) {
    if (p.namespace !== undefined && p.endpoint.type === 'pod') {
      let m = byNs.get(p.namespace);
      if (!m) byNs.set(p.namespace, (m = new Map()));
      m.set(p.name, p.name.slice(p.namespace.length + 1));
    } else others.add(p.name);
  }
  const lines = ['digraph {'];
  for (const ns of [...byNs.keys()].sort()) {
    lines.push(
      `\tsubgraph "cluster_${ns.replaceAll('-', '_')}[namespace]" {`,
      '\t\tcolor="black"',
      '\t\tfontcolor="black"',
    );
    const m = byNs.get(ns) as Map<string, string>;
    for (const name of [...m.keys()].sort())
      lines.push(`\t\t"${name}" [label="${m.get(name)}" color="blue" fontcolor="blue"]`);
    lines.push(`\t\tlabel="${ns}[namespace]"`, '\t}');
  }
  for (const name of [...others].sort()) {
    // external ranges are red; the ingress controller is a (placeholder) pod, blue like the workloads
    const color = name === '{ingress-controller}' ? 'blue' : 'red2';
    lines.push(`\t"${name}" [label="${name}" color="${color}" fontcolor="${color}"]`);
  }
  const label = opts.focusConnLabel;
  for (const c of conns) {
    // netpol-analyzer weighs edges that go "backwards" in name order heavier, keeping layouts stable
    const weight = c.src.name < c.dst.name ? '0.5' : '1';
    lines.push(
      `\t"${c.src.name}" -> "${c.dst.name}" [label="${label ?? c.conns.toString()}" color="gold2" fontcolor="darkgreen" weight=${weight}]`,
    );
  }
  lines.push('}');
  return lines.join('\n');
}
