import { loadSnapshot, type Snapshot } from '../inputs/index.js';
import { type BuildOptions, buildNetwork } from './build.js';
import { renderConnlist } from './format.js';
import { computeMatrix, type FocusOptions, parseFocusConn } from './matrix.js';
import type { PolicyProblem } from './parse.js';

export { type BuildOptions, type BuiltNetwork, buildNetwork } from './build.js';
export { ConnSet, PROTOCOLS, type Protocol } from './conn.js';
export type { Endpoint, PairVerdict, Reason, Segment } from './engine.js';
export { NetworkModel } from './engine.js';
export { MATRIX_FORMATS, type MatrixFormat, renderConnlist } from './format.js';
export { formatRange, IpSet, parseCidr, parseIp } from './ip.js';
export { type Connection, computeMatrix, type MatrixOptions, type Peer, parseFocusConn } from './matrix.js';
export { type PolicyProblem, parsePolicies } from './parse.js';

export interface MatrixRequest extends FocusOptions {
  paths: string[];
  format: string;
  compat?: 'netpol-analyzer';
  ipblockMatchesPods?: boolean;
  focusConnText?: string;
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
export function netpolMatrix(req: MatrixRequest, snapshot: Snapshot = loadSnapshot(req.paths)): MatrixReport {
  const build: BuildOptions = { compat: req.compat, ipblockMatchesPods: req.ipblockMatchesPods };
  const net = buildNetwork(snapshot, build);
  const problems = net.problems.map((p) => ({ level: p.level, text: describeProblem(p) }));
  for (const p of snapshot.problems)
    problems.push({ level: p.level, text: `${p.file ?? ''}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}` });
  const fatal = req.compat === 'netpol-analyzer' && net.problems.some((p) => p.level === 'error');
  if (fatal) return { text: '', problems, fatal };
  const focusConn = req.focusConnText ? parseFocusConn(req.focusConnText) : req.focusConn;
  const conns = computeMatrix(net.model, {
    ...req,
    focusConn,
    families: req.compat === 'netpol-analyzer' ? [4] : [4, 6],
    mergeEgressRanges: true,
  });
  const text = renderConnlist(conns, req.format, {
    focusConnLabel: focusConn ? `${focusConn.protocol} ${focusConn.port}` : undefined,
  });
  return { text, problems, fatal };
}
