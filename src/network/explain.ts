import { UsageError } from '../core/index.js';
import { ConnSet, PROTOCOLS, type Protocol } from './conn.js';
import type { Endpoint, NetworkModel, PairVerdict, Reason, Segment } from './engine.js';
import { formatIp, parseIp } from './ip.js';
import { cmp, workloadMatches } from './matrix.js';
import type { Direction } from './model.js';

/** `ns/name`, `name`, `ns/name[Kind]` or an IP address → an endpoint of the model. */
export function resolveEndpoint(model: NetworkModel, ref: string, flag: string): { name: string; endpoint: Endpoint } {
  const ip = parseIp(ref);
  if (ip) {
    return {
      name: formatIp(ip.family, ip.value),
      endpoint: { type: 'ip', range: { family: ip.family, lo: ip.value, hi: ip.value } },
    };
  }
  const hits = model.pods.filter((p) => workloadMatches(ref, p));
  if (hits.length === 0) throw new UsageError(`${flag} "${ref}": no workload or IP address with this name`);
  if (hits.length > 1)
    throw new UsageError(`${flag} "${ref}" is ambiguous: ${hits.map((h) => h.display).join(', ')}; use ns/name`);
  const pod = hits[0] as NonNullable<(typeof hits)[number]>;
  return { name: pod.display, endpoint: { type: 'pod', pod } };
}

export function parsePortFlag(text: string): { protocol: Protocol; port: number } {
  const m = /^(\d+)(?:\/([A-Za-z]+))?$/.exec(text);
  const port = m ? Number(m[1]) : Number.NaN;
  const protocol = (m?.[2] ?? 'TCP').toUpperCase() as Protocol;
  if (!m || port < 1 || port > 65535 || !PROTOCOLS.includes(protocol))
    throw new UsageError(`--port "${text}": expected <port>[/TCP|UDP|SCTP], e.g. 443/TCP`);
  return { protocol, port };
}

function policyName(p: { kind: string; namespace?: string; name: string }): string {
  return `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

function where(o: { source: { file: string; line?: number } }): string {
  return `${o.source.file}${o.source.line !== undefined ? `:${o.source.line}` : ''}`;
}

/** One line per reason, naming the deciding policy and rule with file:line. */
export function describeReason(r: Reason, dir: Direction, subject: string, peer: string): string {
  const rules = dir === 'ingress' ? 'ingress' : 'egress';
  switch (r.kind) {
    case 'default':
      return `no policy isolates ${subject} for ${rules}: allowed by default`;
    case 'self':
      return 'traffic of a pod to itself is always allowed';
    case 'host-network':
      return `${r.pod.display} uses the host network: node traffic, not subject to NetworkPolicy`;
    case 'np-allow':
      return `NetworkPolicy ${r.policy.namespace}/${r.policy.name} allows it by ${rules} rule #${r.rule.index} (${where(r.policy.object)}, ${r.rule.path})`;
    case 'np-deny':
      return `NetworkPolicy ${r.policy.namespace}/${r.policy.name} selects ${subject}, but no ${rules} rule of any selecting policy allows ${peer} (${where(r.policy.object)})`;
    case 'admin': {
      const verb = r.rule.action === 'allow' ? 'allows' : r.rule.action === 'deny' ? 'denies' : 'passes';
      const tier =
        r.policy.kind === 'ClusterNetworkPolicy' ? ` (${r.policy.tier} tier, priority ${r.policy.priority})` : '';
      return `${r.policy.kind} ${r.policy.name}${tier} ${verb} it by ${rules} rule ${r.rule.name} (${where(r.policy.object)})`;
    }
    case 'cni-rule': {
      const verb = r.action === 'allow' ? 'allows' : r.action === 'deny' ? 'denies' : 'passes';
      const tier = r.tier ? ` (tier ${r.tier})` : '';
      const l7 = r.l7 ? `; its L7 rules (${r.l7.join(', ')}) are not analysed: which requests pass is unknown` : '';
      return `${policyName(r.policy)}${tier} ${verb} it by ${r.rule} (${where(r.policy.object)})${l7}`;
    }
    case 'ingress-object':
      return `${r.objectKind} ${r.namespace}/${r.name} ${r.matched ? 'exposes' : 'does not expose'} these connections of service ${r.service} to the ingress controller`;
    case 'cni-isolated': {
      const names = r.policies.map((p) => `${policyName(p)} (${where(p.object)})`).join(', ');
      if (r.cni === 'cilium')
        return `${subject} is in default deny for ${rules} (selected by ${names}) and no allow rule matches ${peer}`;
      return r.passed
        ? `no rule of tier ${r.tier} decides (selected by ${names}): the tier passes it on`
        : `no rule of tier ${r.tier} allows ${peer} (selected by ${names}): end-of-tier deny`;
    }
  }
}

export interface ExplainedPart {
  conns: ConnSet;
  allowed: boolean;
  egress: { allowed: boolean; reasons: string[] };
  ingress: { allowed: boolean; reasons: string[] };
}

/** Crosses the egress and ingress segments of a pair into parts with one verdict and both directions' reasons. */
export function explainPair(src: string, dst: string, v: PairVerdict): ExplainedPart[] {
  const parts: ExplainedPart[] = [];
  const text = (s: Segment, dir: Direction) =>
    s.reasons.map((r) => (dir === 'egress' ? describeReason(r, dir, src, dst) : describeReason(r, dir, dst, src)));
  for (const e of v.egress)
    for (const i of v.ingress) {
      const conns = e.conns.intersect(i.conns);
      if (conns.isEmpty()) continue;
      parts.push({
        conns,
        allowed: e.allowed && i.allowed,
        egress: { allowed: e.allowed, reasons: text(e, 'egress') },
        ingress: { allowed: i.allowed, reasons: text(i, 'ingress') },
      });
    }
  parts.sort((a, b) => Number(b.allowed) - Number(a.allowed));
  return parts;
}

export function renderExplanation(src: string, dst: string, parts: ExplainedPart[]): string {
  const lines = [`${src} => ${dst}`];
  for (const p of parts) {
    lines.push(`  ${p.allowed ? 'ALLOWED' : 'DENIED'} ${p.conns.toString()}`);
    lines.push(`    egress  (${p.egress.allowed ? 'allowed' : 'denied'}): ${p.egress.reasons.join('; ')}`);
    lines.push(`    ingress (${p.ingress.allowed ? 'allowed' : 'denied'}): ${p.ingress.reasons.join('; ')}`);
  }
  return lines.join('\n');
}

export interface CheckResult {
  from: string;
  to: string;
  port?: { protocol: Protocol; port: number };
  /** The pod-network verdict (what the policies say). */
  allowed: boolean;
  /**
   * `unknown` when an endpoint lives where the model does not reach (a namespace on a primary user-defined network):
   * the policies' verdict is shown, but it is not the answer.
   */
  verdict: 'allowed' | 'denied' | 'unknown';
  unknownReason?: string;
  /** What is allowed overall between the two (all ports). */
  allowedConns: string;
  parts: ExplainedPart[];
}

/** `netpol check`: one connection, allowed or denied, with the deciding policies in both directions. */
export function checkConnection(
  model: NetworkModel,
  from: string,
  to: string,
  port?: string,
  /** Namespaces off the pod network (primary user-defined networks), with what moved them. */
  offPodNetwork: ReadonlyMap<string, string> = new Map(),
): CheckResult {
  const src = resolveEndpoint(model, from, '--from');
  const dst = resolveEndpoint(model, to, '--to');
  if (src.endpoint.type === 'ip' && dst.endpoint.type === 'ip')
    throw new UsageError('--from and --to are both IP addresses: one side must be a workload');
  const v = model.evaluatePair(src.endpoint, dst.endpoint);
  const p = port ? parsePortFlag(port) : undefined;
  let parts = explainPair(src.name, dst.name, v);
  if (p) {
    const one = ConnSet.of(p.protocol, p.port);
    parts = parts
      .filter((x) => x.conns.contains(p.protocol, p.port))
      .map((x) => ({ ...x, conns: x.conns.intersect(one) }));
  }
  const allowed = p ? v.allowed.contains(p.protocol, p.port) : !v.allowed.isEmpty();
  const isolated = [src, dst]
    .map((e) => (e.endpoint.type === 'pod' ? e.endpoint.pod.namespace : undefined))
    .flatMap((ns) => (ns !== undefined && offPodNetwork.has(ns) ? [`${ns} (${offPodNetwork.get(ns)})`] : []));
  const unknownReason = isolated.length
    ? `namespace ${[...new Set(isolated)].join(' and ')} is on a primary user-defined network, which only --compat netpol-analyzer --multiple-networks analyses; the policies alone would say ${allowed ? 'allowed' : 'denied'}`
    : undefined;
  return {
    from: src.name,
    to: dst.name,
    port: p,
    allowed,
    verdict: unknownReason ? 'unknown' : allowed ? 'allowed' : 'denied',
    ...(unknownReason ? { unknownReason } : {}),
    allowedConns: v.allowed.toString(),
    parts,
  };
}

export function renderCheck(r: CheckResult): string {
  const what = r.port ? `${r.port.protocol} ${r.port.port}` : 'any connection';
  const head =
    r.verdict === 'unknown'
      ? `UNKNOWN: ${r.from} => ${r.to} on ${what}: ${r.unknownReason}`
      : `${r.allowed ? 'ALLOWED' : 'DENIED'}: ${r.from} => ${r.to} on ${what} (allowed overall: ${r.allowedConns})`;
  return `${head}\n${renderExplanation(r.from, r.to, r.parts).split('\n').slice(1).join('\n')}`;
}

/** `netpol explain`: every pair (or those touching --from/--to) with each connection's verdict and reasons. */
export function explainAll(
  model: NetworkModel,
  opts: { from?: string; to?: string },
): Array<{ src: string; dst: string; parts: ExplainedPart[] }> {
  const froms = opts.from
    ? [resolveEndpoint(model, opts.from, '--from')]
    : model.pods.map((p) => ({ name: p.display, endpoint: { type: 'pod', pod: p } as Endpoint }));
  const tos = opts.to
    ? [resolveEndpoint(model, opts.to, '--to')]
    : model.pods.map((p) => ({ name: p.display, endpoint: { type: 'pod', pod: p } as Endpoint }));
  const out: Array<{ src: string; dst: string; parts: ExplainedPart[] }> = [];
  for (const s of froms)
    for (const d of tos) {
      if (s.name === d.name) continue;
      if (s.endpoint.type === 'ip' && d.endpoint.type === 'ip') continue;
      out.push({
        src: s.name,
        dst: d.name,
        parts: explainPair(s.name, d.name, model.evaluatePair(s.endpoint, d.endpoint)),
      });
    }
  out.sort((a, b) => cmp(a.src, b.src) || cmp(a.dst, b.dst));
  return out;
}
