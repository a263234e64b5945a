import type { ScanResult } from '../core/index.js';
import { loadSnapshot, type Snapshot } from '../inputs/index.js';
import { type BuildOptions, buildNetwork } from './build.js';
import { analyzerDiagnostics } from './compat-diagnostics.js';
import { ConnSet, type Protocol } from './conn.js';
import { diffMatrices, renderDiff } from './diff.js';
import type { Cni, NetworkModel } from './engine.js';
import { checkConnection, explainAll, renderCheck, renderExplanation } from './explain.js';
import { renderExplainCompat } from './explain-compat.js';
import { computeExposure, renderExposure } from './exposure.js';
import { renderConnlist } from './format.js';
import { hasIngressObjects, INGRESS_CONTROLLER, ingressControllerConnections } from './ingress-controller.js';
import { lintNetwork } from './lint.js';
import {
  type Connection,
  cmp,
  computeMatrix,
  type FocusOptions,
  type Peer,
  parseFocusConn,
  podPeers,
  workloadMatches,
} from './matrix.js';
import type { NetPod } from './model.js';
import { layoutNetworks, multiNetworkNotices, primaryNetworkNamespaces } from './multinetwork.js';
import { multiNetworkMatrix } from './multinetwork-report.js';
import type { PolicyProblem } from './parse.js';

export { type BuildOptions, type BuiltNetwork, buildNetwork, CNI_PROFILES } from './build.js';
export { parseCalicoSelector } from './calico.js';
export { ConnSet, PROTOCOLS, type Protocol } from './conn.js';
export { perPodModel, podConnectionMap } from './connection-map.js';
export { type ConnectionChange, diffMatrices, renderDiff } from './diff.js';
export type { Cni, Endpoint, PairVerdict, Reason, Segment } from './engine.js';
export { CNIS, NetworkModel } from './engine.js';
export { type CheckResult, checkConnection, type ExplainedPart, explainPair } from './explain.js';
export { MATRIX_FORMATS, type MatrixFormat, renderConnlist } from './format.js';
export { formatRange, IpSet, parseCidr, parseIp } from './ip.js';
export { LINT_RULES, lintNetwork } from './lint.js';
export {
  type Connection,
  computeMatrix,
  type MatrixOptions,
  type MatrixSummary,
  type Peer,
  parseFocusConn,
  podClasses,
  summarizeMatrix,
  workloadMatches,
} from './matrix.js';
export { type PolicyProblem, parsePolicies } from './parse.js';

export interface MatrixRequest extends FocusOptions {
  paths: string[];
  format: string;
  compat?: 'netpol-analyzer';
  ipblockMatchesPods?: boolean;
  cni?: Cni;
  focusConnText?: string;
  /** netpol-analyzer's `--explain` text (txt only) instead of the connection list. */
  explain?: boolean;
  explainOnly?: 'allow' | 'deny';
  /** netpol-analyzer's exposure analysis: who else could connect, through selectors naming pods not seen yet. */
  exposure?: boolean;
  /** netpol-analyzer's `--multiple-networks` (compat only): UDN/CUDN/NAD/MultiNetworkPolicy and KubeVirt VMs. */
  multipleNetworks?: boolean;
}

export interface MatrixReport {
  text: string;
  /** Policies not applied (API-server validation) and other input problems, `file:line: field: message`. */
  problems: Array<{ level: 'error' | 'warning'; text: string }>;
  /** netpol-analyzer treats an invalid policy as fatal: no output, non-zero exit. */
  fatal: boolean;
}

export function describeProblem(p: PolicyProblem): string {
  const o = p.object;
  const where = `${o.source.file}${o.source.line !== undefined ? `:${o.source.line}` : ''}`;
  return `${where}: ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${p.field}: ${p.message}`;
}

/** `rampart netpol matrix`: every pair of workloads and external ranges with its allowed connections. */
export function netpolMatrix(request: MatrixRequest, snapshot: Snapshot = loadSnapshot(request.paths)): MatrixReport {
  let req = request;
  const build: BuildOptions = { compat: req.compat, ipblockMatchesPods: req.ipblockMatchesPods, cni: req.cni };
  const net = buildNetwork(snapshot, build);
  let problems = problemLines(snapshot, net.problems, !req.multipleNetworks);
  let fatal = req.compat === 'netpol-analyzer' && net.problems.some((p) => p.level === 'error');
  if (req.compat === 'netpol-analyzer') {
    // netpol-analyzer's warnings and non-fatal errors, in its words; unknown focus workloads are warnings there
    const isControllerName = (f: string) =>
      (f === 'ingress-controller' || f === INGRESS_CONTROLLER) && hasIngressObjects(snapshot);
    const d = analyzerDiagnostics(snapshot, net, req, isControllerName);
    req = d.req;
    // problemLines puts the loader's problems last; compat reports them first, in netpol-analyzer's terms
    problems = [...d.problems, ...problems.slice(0, problems.length - snapshot.problems.length)];
    fatal ||= d.fatal;
    if (!fatal && d.empty) return { text: renderConnlist([], req.format), problems, fatal };
  }
  if (fatal) return { text: '', problems, fatal };
  const focusConn = req.focusConnText ? parseFocusConn(req.focusConnText) : req.focusConn;
  if (req.compat === 'netpol-analyzer' && req.multipleNetworks) {
    const layout = layoutNetworks(snapshot, net.model);
    const r = multiNetworkMatrix(layout, snapshot, { ...req, focusConn });
    return {
      ...r,
      problems: [...problems, ...layout.problems.map((p) => ({ level: p.level, text: describeProblem(p) }))],
    };
  }
  // before the matrix: the controller's namespace must exist when namespace selectors are first evaluated
  let viaIngress: Connection[] = [];
  let explainIngress: Connection[] = [];
  const isController = (f: string) => f === 'ingress-controller' || f === INGRESS_CONTROLLER;
  const focusAll = req.focusWorkloads?.length ? req.focusWorkloads : undefined;
  const controllerInFocus = focusAll?.some(isController) ?? false;
  const focusWorkloads = focusAll?.filter((f) => !isController(f));
  if (hasIngressObjects(snapshot)) {
    const peers = req.focusWorkloadPeers?.length ? req.focusWorkloadPeers : undefined;
    // a pair (controller, workload) is kept when the controller is in focus, or the workload is and the controller
    // may be its peer; the controller only ever sends
    const keep = (pod: NetPod): boolean => {
      if (!focusAll) return true;
      if (controllerInFocus && req.focusDirection !== 'ingress')
        return !peers || peers.some((f) => workloadMatches(f, pod));
      return (
        req.focusDirection !== 'egress' &&
        (focusWorkloads ?? []).some((f) => workloadMatches(f, pod)) &&
        (!peers || peers.some(isController))
      );
    };
    if (req.explain) explainIngress = ingressControllerConnections(net.model, snapshot, keep, true);
    viaIngress = ingressControllerConnections(net.model, snapshot, keep).filter(
      (c) => !focusConn || c.conns.contains(focusConn.protocol, focusConn.port),
    );
    viaIngress.sort((x, y) => (x.dst.name < y.dst.name ? -1 : x.dst.name > y.dst.name ? 1 : 0));
  }
  const conns =
    controllerInFocus && focusWorkloads?.length === 0
      ? []
      : computeMatrix(net.model, {
          ...req,
          focusWorkloads,
          focusConn,
          families: req.compat === 'netpol-analyzer' ? [4] : [4, 6],
          mergeEgressRanges: req.compat !== 'netpol-analyzer',
        });
  conns.push(...viaIngress);
  if (req.explain) {
    // every pair, also those denying the focus connection: the renderer restricts the connections shown
    const pairs = computeMatrix(net.model, {
      ...req,
      focusConn: undefined,
      families: req.compat === 'netpol-analyzer' ? [4] : [4, 6],
      includeDenied: true,
      mergeEgressRanges: req.compat !== 'netpol-analyzer',
    });
    // the controller's pairs come last ('{' sorts after every workload and range name)
    pairs.push(...explainIngress.sort((x, y) => cmp(x.dst.name, y.dst.name)));
    const restrict = focusConn ? ConnSet.of(focusConn.protocol, focusConn.port) : undefined;
    const explained = renderExplainCompat(net.model, pairs, req.explainOnly, restrict);
    // with --exposure the exposure section follows the explanation (explain is txt only)
    if (req.exposure)
      return { text: exposureText(net.model, conns, { ...req, format: 'txt' }, explained, focusConn), problems, fatal };
    return { text: explained, problems, fatal };
  }
  const text = renderConnlist(conns, req.format, {
    focusConnLabel: focusConn ? `${focusConn.protocol} ${focusConn.port}` : undefined,
    workloads: workloadsInScope(net.model, req),
  });
  if (req.exposure) return { text: exposureText(net.model, conns, req, text, focusConn), problems, fatal };
  return { text, problems, fatal };
}

function exposureText(
  model: NetworkModel,
  conns: Connection[],
  req: MatrixRequest,
  connlistText: string,
  focusConn?: { protocol: Protocol; port: number },
): string {
  const focus = req.focusWorkloads?.length ? req.focusWorkloads : undefined;
  const focusConnLabel = focusConn ? `${focusConn.protocol} ${focusConn.port}` : undefined;
  const result = computeExposure(model, conns, {
    inScope: focus ? (pod) => focus.some((f) => workloadMatches(f, pod)) : undefined,
    focusDirection: focus ? req.focusDirection : undefined,
    focusConn: focusConn && { conns: ConnSet.of(focusConn.protocol, focusConn.port), label: focusConnLabel as string },
  });
  if (req.format === 'dot')
    return renderConnlist(conns, 'dot', { workloads: workloadsInScope(model, req), exposure: result, focusConnLabel });
  const rows =
    req.format === 'json' ? (JSON.parse(renderConnlist(conns, 'json', { focusConnLabel })) as unknown[]) : [];
  return renderExposure(result, req.format, connlistText, rows);
}

/** The workloads a graph shows even without connections: all of them, or the focus workloads. */
function workloadsInScope(model: NetworkModel, req: FocusOptions): Peer[] {
  const all = podPeers(model);
  const focus = req.focusWorkloads?.length ? req.focusWorkloads : undefined;
  return focus
    ? all.filter(
        (p) => p.endpoint.type === 'pod' && focus.some((f) => workloadMatches(f, (p.endpoint as { pod: NetPod }).pod)),
      )
    : all;
}

export interface CommonRequest {
  paths: string[];
  ipblockMatchesPods?: boolean;
  cni?: Cni;
}

function problemLines(snapshot: Snapshot, problems: PolicyProblem[], notices = true): MatrixReport['problems'] {
  const all = notices ? [...problems, ...multiNetworkNotices(snapshot)] : problems;
  const out = all.map((p) => ({ level: p.level, text: describeProblem(p) }));
  for (const p of snapshot.problems)
    out.push({ level: p.level, text: `${p.file ?? ''}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}` });
  return out;
}

/** `rampart netpol check`: one connection, allowed or denied, with the deciding policies and rules. */
export function netpolCheck(req: CommonRequest & { from: string; to: string; port?: string; format: 'txt' | 'json' }): {
  text: string;
  allowed: boolean;
  verdict: 'allowed' | 'denied' | 'unknown';
  problems: MatrixReport['problems'];
} {
  const snapshot = loadSnapshot(req.paths);
  const net = buildNetwork(snapshot, { ipblockMatchesPods: req.ipblockMatchesPods, cni: req.cni });
  const r = checkConnection(net.model, req.from, req.to, req.port, primaryNetworkNamespaces(snapshot));
  const text =
    req.format === 'json'
      ? JSON.stringify({ ...r, parts: r.parts.map((p) => ({ ...p, conns: p.conns.toString() })) }, null, 2)
      : renderCheck(r);
  return { text, allowed: r.allowed, verdict: r.verdict, problems: problemLines(snapshot, net.problems) };
}

/** `rampart netpol explain`: for each pair, which policy and rule allows or denies each connection. */
export function netpolExplain(req: CommonRequest & { from?: string; to?: string; format: 'txt' | 'json' }): {
  text: string;
  problems: MatrixReport['problems'];
} {
  const snapshot = loadSnapshot(req.paths);
  const net = buildNetwork(snapshot, { ipblockMatchesPods: req.ipblockMatchesPods, cni: req.cni });
  const pairs = explainAll(net.model, req);
  const text =
    req.format === 'json'
      ? JSON.stringify(
          pairs.map((x) => ({ ...x, parts: x.parts.map((p) => ({ ...p, conns: p.conns.toString() })) })),
          null,
          2,
        )
      : pairs.map((x) => renderExplanation(x.src, x.dst, x.parts)).join('\n\n');
  return { text, problems: problemLines(snapshot, net.problems) };
}

/** `rampart netpol lint`: findings with file:line for the report writers. */
export function netpolLint(req: CommonRequest): ScanResult {
  const snapshot = loadSnapshot(req.paths);
  const net = buildNetwork(snapshot, { ipblockMatchesPods: req.ipblockMatchesPods, cni: req.cni });
  return {
    command: 'netpol lint',
    targets: req.paths,
    findings: lintNetwork({ ...net, problems: [...net.problems, ...multiNetworkNotices(snapshot)] }),
    errors: [...snapshot.problems],
  };
}

/** `rampart netpol diff`: connections added and removed between two snapshots. */
export function netpolDiff(req: {
  before: string[];
  after: string[];
  format: 'txt' | 'json';
  ipblockMatchesPods?: boolean;
  cni?: Cni;
}): { text: string; changed: boolean; problems: MatrixReport['problems'] } {
  const problems: MatrixReport['problems'] = [];
  const matrixOf = (paths: string[]) => {
    const snapshot = loadSnapshot(paths);
    const net = buildNetwork(snapshot, { ipblockMatchesPods: req.ipblockMatchesPods, cni: req.cni });
    problems.push(...problemLines(snapshot, net.problems));
    return computeMatrix(net.model, { families: [4, 6], mergeEgressRanges: true });
  };
  const changes = diffMatrices(matrixOf(req.before), matrixOf(req.after));
  const text =
    req.format === 'json'
      ? JSON.stringify(
          changes.map((c) => ({ ...c, added: c.added.toString(), removed: c.removed.toString() })),
          null,
          2,
        )
      : renderDiff(changes);
  return { text, changed: changes.length > 0, problems };
}
