import { UsageError } from '../core/index.js';
import type { Snapshot } from '../inputs/index.js';
import { ConnSet } from './conn.js';
import { csvField } from './exposure.js';
import { MATRIX_FORMATS, type MatrixFormat } from './format.js';
import { hasIngressObjects, INGRESS_CONTROLLER, ingressControllerConnections } from './ingress-controller.js';
import { type Connection, cmp, computeMatrix, type FocusOptions, workloadMatches } from './matrix.js';
import type { NetPod } from './model.js';
import {
  type MultiNetworkLayout,
  type NetworkSection,
  networkOrder,
  networkTitle,
  type SectionConnections,
} from './multinetwork.js';
import { renderMultiNetworkDot } from './multinetwork-dot.js';
import { renderMultiNetworkExplain } from './multinetwork-explain.js';

/**
 * Every network's connection list: pairs of its members (never a pair across networks), plus the outside world and
 * the ingress controller for primary networks. Focus options apply per network; focus workloads are checked against
 * every network by the caller.
 */
export function sectionConnections(
  layout: MultiNetworkLayout,
  snapshot: Snapshot,
  opts: FocusOptions & { includeDenied?: boolean },
): SectionConnections[] {
  const out: SectionConnections[] = [];
  const focus = opts.focusWorkloads?.length ? opts.focusWorkloads : undefined;
  for (const section of layout.sections) {
    const model = section.model;
    const focusHere = focus?.filter((f) => model.pods.some((p) => workloadMatches(f, p)));
    const isController = (f: string) => f === 'ingress-controller' || f === INGRESS_CONTROLLER;
    const controllerFocus = focus?.some(isController) ?? false;
    if (focus && focusHere?.length === 0 && !controllerFocus) continue;
    let conns =
      focus && focusHere?.length === 0
        ? []
        : computeMatrix(model, {
            ...opts,
            focusWorkloads: focusHere,
            families: [4],
            mergeEgressRanges: false,
          });
    if (section.kind === 'nad')
      conns = conns.filter((c) => c.src.endpoint.type === 'pod' && c.dst.endpoint.type === 'pod');
    else if (hasIngressObjects(snapshot) && !opts.includeDenied) {
      const peers = opts.focusWorkloadPeers?.length ? opts.focusWorkloadPeers : undefined;
      const keep = (pod: NetPod): boolean => {
        if (!focus) return true;
        if (controllerFocus && opts.focusDirection !== 'ingress')
          return !peers || peers.some((f) => workloadMatches(f, pod));
        return (
          opts.focusDirection !== 'egress' &&
          (focusHere ?? []).some((f) => workloadMatches(f, pod)) &&
          (!peers || peers.some(isController))
        );
      };
      const fc = opts.focusConn;
      const viaIngress = ingressControllerConnections(model, snapshot, keep)
        .map((c) => (section.kind === 'pod' ? c : { ...c, conns: declaredPortsOnly(c) }))
        .filter((c) => !c.conns.isEmpty() && (!fc || c.conns.contains(fc.protocol, fc.port)));
      conns.push(...viaIngress);
      conns.sort((a, b) => cmp(a.src.name, b.src.name) || cmp(a.dst.name, b.dst.name));
    }
    out.push({ section, conns });
  }
  out.sort((a, b) => networkOrder(a.section, b.section));
  return out;
}

/**
 * Into a user-defined network the ingress controller reaches only the ports a pod declares (a VM declares none in its
 * spec, so a VM keeps what its Service exposes).
 */
function declaredPortsOnly(c: Connection): ConnSet {
  const ep = c.dst.endpoint;
  if (ep.type !== 'pod' || ep.pod.kind === 'VirtualMachine') return c.conns;
  let declared = ConnSet.none;
  for (const p of ep.pod.ports) declared = declared.union(ConnSet.of(p.protocol, p.port));
  return c.conns.intersect(declared);
}

/** netpol-analyzer's txt connection list with per-network sections and the workload-to-networks mapping. */
export function renderMultiNetworkTxt(
  layout: MultiNetworkLayout,
  sections: SectionConnections[],
  focusConnLabel: string | undefined,
): string {
  const pod = sections.find((s) => s.section.kind === 'pod');
  const others = sections.filter((s) => s.section.kind !== 'pod' && s.conns.length > 0);
  const podLines = pod?.conns ?? [];
  const line = (c: Connection) =>
    focusConnLabel ? `${c.src.name} => ${c.dst.name}` : `${c.src.name} => ${c.dst.name} : ${c.conns}`;
  const out: string[] = [];
  if (focusConnLabel) out.push(`Permitted connections on ${focusConnLabel}:`);
  if (others.length > 0 && (!focusConnLabel || podLines.length > 0)) {
    out.push('Permitted connectivity analyzed in Pod network:');
    if (podLines.length === 0 && !focusConnLabel)
      out.push(
        (pod?.section.members.length ?? 0) === 0
          ? 'all input workloads are configured with (C)UDN as their primary network interface'
          : 'All connections are not allowed for the workloads in the pod-network',
      );
  }
  out.push(...podLines.map(line));
  for (const s of others)
    out.push('', `Permitted connectivity analyzed in ${networkTitle(s.section, 'Pod network')}:`, ...s.conns.map(line));
  if (!focusConnLabel && layout.mapping.size > 0) {
    out.push('', 'Workload-to-Networks Mapping:');
    for (const wl of [...layout.mapping.keys()].sort()) {
      const m = layout.mapping.get(wl) as { primary: string; secondary: string[] };
      out.push(`${wl}: `, `\tPrimary Network: ${m.primary}`);
      if (m.secondary.length > 0) out.push(`\tSecondary Networks: ${m.secondary.join(',')}`);
    }
  }
  return out.join('\n');
}

/** The `network` column: `pod-network`, or the (C)UDN / NAD name. */
function networkColumn(s: NetworkSection): string {
  return s.kind === 'pod' ? 'pod-network' : s.name;
}

/** json/csv/md: one row per connection of every network, sorted by source, destination, network. */
export function renderMultiNetworkTable(sections: SectionConnections[], format: string, withConn: boolean): string {
  const rows = sections
    .flatMap((s) =>
      s.conns.map((c) => ({
        src: c.src.name,
        dst: c.dst.name,
        conn: c.conns.toString(),
        network: networkColumn(s.section),
      })),
    )
    .sort((a, b) => cmp(a.src, b.src) || cmp(a.dst, b.dst) || cmp(a.network, b.network));
  switch (format) {
    case 'json':
      return JSON.stringify(
        rows.map((r) => (withConn ? { src: r.src, dst: r.dst, conn: r.conn } : { src: r.src, dst: r.dst })),
        null,
        2,
      );
    case 'csv':
      return [
        withConn ? 'src,dst,conn,network' : 'src,dst,network',
        ...rows.map((r) =>
          withConn ? `${r.src},${r.dst},${csvField(r.conn)},${r.network}` : `${r.src},${r.dst},${r.network}`,
        ),
      ].join('\n');
    default:
      return [
        withConn ? '| src | dst | conn | network | ' : '| src | dst | network |',
        withConn ? '|-----|-----|------|------|' : '|-----|-----|------|',
        ...rows.map((r) =>
          withConn ? `| ${r.src} | ${r.dst} | ${r.conn} | ${r.network} | ` : `| ${r.src} | ${r.dst} | ${r.network} |`,
        ),
      ].join('\n');
  }
}

export interface MultiNetworkRequest extends FocusOptions {
  format: string;
  /** Not analysed per network (no recorded run combines it): refused rather than ignored. */
  exposure?: boolean;
  explain?: boolean;
  explainOnly?: 'allow' | 'deny';
}

/**
 * `netpol matrix --compat netpol-analyzer --multiple-networks`: the layout's problems (invalid (C)UDNs are fatal,
 * as upstream), then the connection list per network in the requested format.
 */
export function multiNetworkMatrix(
  layout: MultiNetworkLayout,
  snapshot: Snapshot,
  req: MultiNetworkRequest,
): { text: string; fatal: boolean } {
  if (layout.problems.some((p) => p.level === 'error')) return { text: '', fatal: true };
  if (req.exposure) throw new UsageError('--exposure together with --multiple-networks is not supported');
  if (!MATRIX_FORMATS.includes(req.format as MatrixFormat))
    throw new UsageError(`output format "${req.format}" is not supported; use one of ${MATRIX_FORMATS.join(', ')}`);
  for (const f of req.focusWorkloads ?? [])
    if (
      f !== INGRESS_CONTROLLER &&
      f !== 'ingress-controller' &&
      !layout.sections.some((s) => s.model.pods.some((p) => workloadMatches(f, p)))
    )
      throw new UsageError(`--focusworkload "${f}": no workload with this name`);
  if (req.explain) return { text: renderMultiNetworkExplain(layout, req), fatal: false };
  const sections = sectionConnections(layout, snapshot, req);
  const label = req.focusConn ? `${req.focusConn.protocol} ${req.focusConn.port}` : undefined;
  if (req.format === 'txt') return { text: renderMultiNetworkTxt(layout, sections, label), fatal: false };
  if (req.format === 'dot')
    return { text: renderMultiNetworkDot(sections, label, req.focusWorkloads, req.focusWorkloadPeers), fatal: false };
  return { text: renderMultiNetworkTable(sections, req.format, label === undefined), fatal: false };
}
