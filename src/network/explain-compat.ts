import { ConnSet } from './conn.js';
import type { Endpoint, NetworkModel, Reason, Segment } from './engine.js';
import { ingressObjectReasonText } from './ingress-controller.js';
import type { Connection } from './matrix.js';
import { type Direction, type NetPod, type NetworkPolicyModel, type NpRule, portsToConns } from './model.js';

const DASHES = '-'.repeat(160);
const CAP = (d: Direction) => (d === 'ingress' ? 'Ingress' : 'Egress');

/** One reason in netpol-analyzer's explain wording; undefined for the system default. */
function reasonText(
  model: NetworkModel,
  r: Reason,
  dir: Direction,
  subject: string,
  peerName: string,
  peer: Endpoint,
): string | undefined {
  switch (r.kind) {
    case 'default':
    case 'self':
    case 'host-network':
      return undefined;
    case 'np-allow':
      return `NetworkPolicy '${r.policy.namespace}/${r.policy.name}' allows connections by ${CAP(dir)} rule #${r.rule.index}`;
    case 'np-deny': {
      const rules = r.policy.rules[dir];
      const head = `NetworkPolicy '${r.policy.namespace}/${r.policy.name}' selects ${subject}`;
      if (rules.length === 0)
        return `${head}, but ${peerName} is not allowed by any ${CAP(dir)} rule (no rules defined)`;
      const matching = rules.filter(
        (rule) => rule.peers === 'any' || rule.peers.some((x) => model.npPeerMatches(r.policy, x, peer)),
      );
      if (matching.length === 0) return `${head}, but ${peerName} is not allowed by any ${CAP(dir)} rule`;
      const dst = dir === 'ingress' ? subjectPod(model, subject) : peer.type === 'pod' ? peer.pod : undefined;
      const unresolved = matching.some(
        (rule) =>
          rule.ports !== 'any' &&
          rule.ports.some(
            (p) => p.name !== undefined && !dst?.ports.some((c) => c.name === p.name && c.protocol === p.protocol),
          ),
      );
      const why = unresolved
        ? 'named ports of the rule have no match in the configuration of the destination peer'
        : 'the protocols and ports do not match';
      // netpol-analyzer names the first rule that selects the peer, however many do
      const which = `${CAP(dir)} rule #${(matching[0] as (typeof matching)[number]).index} selects`;
      return `${head}, and ${which} ${peerName}, but ${why}`;
    }
    case 'ingress-object':
      return ingressObjectReasonText(r);
    case 'admin': {
      const verb = r.rule.action === 'allow' ? 'allows' : r.rule.action === 'deny' ? 'denies' : 'passes';
      return `${r.policy.kind} '${r.policy.name}' ${verb} connections by ${CAP(dir)} rule ${r.rule.name}`;
    }
  }
}

function subjectPod(model: NetworkModel, display: string) {
  return model.pods.find((p) => p.display === display);
}

function directionLines(
  model: NetworkModel,
  seg: Segment,
  dir: Direction,
  subject: string,
  peerName: string,
  peer: Endpoint,
): string[] {
  const verdict = seg.allowed ? 'Allowed' : 'Denied';
  // a denial whose reasons upstream loses (see upstreamReasons) prints no line for its direction
  if (!seg.allowed && seg.reasons.length === 0) return [];
  // several rules of one NetworkPolicy allowing the same connections: netpol-analyzer names the first one
  const firstAllow = new Set<unknown>();
  const reasons = seg.reasons.filter((r) => {
    if (r.kind !== 'np-allow') return true;
    if (firstAllow.has(r.policy)) return false;
    firstAllow.add(r.policy);
    return true;
  });
  const texts = reasons
    .map((r) => reasonText(model, r, dir, subject, peerName, peer))
    .filter((t): t is string => t !== undefined);
  // a Pass that no NetworkPolicy or baseline rule picks up ends in the default
  if (texts.length > 0 && seg.reasons.some((r) => r.kind === 'default')) texts.push('the system default (Allow all)');
  if (texts.length === 0) return [`\t\t${CAP(dir)} (${verdict}) due to the system default (Allow all)`];
  // NetworkPolicy, Ingress and Route reasons print per kind in that name order, several of a kind as a list
  const LISTED = ['Ingress', 'NetworkPolicy', 'Route'];
  const listed = (t: string) => LISTED.some((k) => t.startsWith(`${k} `));
  const others = texts.filter((t) => !listed(t) && !t.startsWith('the system default'));
  const tail = texts.filter((t) => t.startsWith('the system default'));
  const lines = [`\t\t${CAP(dir)} (${verdict})`, ...others.map((t) => `\t\t\t${t}`)];
  for (const kind of LISTED) {
    const ofKind = texts.filter((t) => t.startsWith(`${kind} `));
    if (ofKind.length > 1) lines.push(`\t\t\t${kind} list:`, ...ofKind.sort().map((t) => `\t\t\t\t- ${t}`));
    else lines.push(...ofKind.map((t) => `\t\t\t${t}`));
  }
  lines.push(...tail.map((t) => `\t\t\t${t}`));
  return lines;
}

/**
 * The reasons netpol-analyzer reports for one direction of a pair, which are fewer than the rules that apply:
 * - a NetworkPolicy's rules are read in order and reading stops once they allow every connection, so later
 *   rules of that policy are not named;
 * - when an admin Allow or Deny rule captures the pair in this direction, a NetworkPolicy none of whose rules
 *   selects the peer contributes no reason for denying the rest (after a Pass it does; a rule that selects the peer
 *   on other ports is still named).
 */
function upstreamReasons(
  model: NetworkModel,
  segs: Segment[],
  dir: Direction,
  peer: Endpoint,
  dst?: NetPod,
): Segment[] {
  const unread = new Set<NpRule>();
  for (const np of new Set(segs.flatMap((s) => s.reasons.flatMap((r) => (r.kind === 'np-allow' ? [r.policy] : []))))) {
    let union = ConnSet.none;
    for (const rule of np.rules[dir]) {
      if (union.isAll()) unread.add(rule);
      else if (rule.peers === 'any' || rule.peers.some((x) => model.npPeerMatches(np, x, peer)))
        union = union.union(portsToConns(rule.ports, dst));
    }
  }
  const adminCaptured = segs.some((s) => s.reasons.some((r) => r.kind === 'admin' && r.rule.action !== 'pass'));
  if (unread.size === 0 && !adminCaptured) return segs;
  const selectsPeer = (np: NetworkPolicyModel) =>
    np.rules[dir].some((rule) => rule.peers === 'any' || rule.peers.some((x) => model.npPeerMatches(np, x, peer)));
  return segs.map((s) => ({
    ...s,
    reasons: s.reasons.filter(
      (r) =>
        !(r.kind === 'np-allow' && unread.has(r.rule)) &&
        !(adminCaptured && r.kind === 'np-deny' && !selectsPeer(r.policy)),
    ),
  }));
}

function onlyDefault(segs: Segment[]): boolean {
  return segs.every((s) => s.allowed && s.reasons.every((r) => r.kind === 'default'));
}

/**
 * netpol-analyzer's `--explain` text: a block per pair with the allowed and denied connection groups and the policy
 * and rule behind each direction, then the pairs that only the system default allows.
 */
export function renderExplainCompat(
  model: NetworkModel,
  pairs: Connection[],
  only?: 'allow' | 'deny',
  restrict?: ConnSet,
): string {
  const out: string[] = [];
  const defaults: string[] = [];
  for (const c of pairs) {
    const dstPod = (ep: Endpoint) => (ep.type === 'pod' ? ep.pod : undefined);
    const v = {
      egress: upstreamReasons(model, c.verdict.egress, 'egress', c.dst.endpoint, dstPod(c.dst.endpoint)),
      ingress: upstreamReasons(model, c.verdict.ingress, 'ingress', c.src.endpoint, dstPod(c.dst.endpoint)),
    };
    if (onlyDefault(v.egress) && onlyDefault(v.ingress)) {
      if (only !== 'deny') defaults.push(`${c.src.name} => ${c.dst.name}`);
      continue;
    }
    const groups = new Map<string, { allowed: boolean; conns: ConnSet; lines: string[]; bothDefault: boolean }>();
    for (const e of v.egress)
      for (const i of v.ingress) {
        const both = e.conns.intersect(i.conns);
        const conns = restrict ? both.intersect(restrict) : both;
        if (conns.isEmpty()) continue;
        const lines = [
          ...directionLines(model, e, 'egress', c.src.name, c.dst.name, c.dst.endpoint),
          ...directionLines(model, i, 'ingress', c.dst.name, c.src.name, c.src.endpoint),
        ];
        const bothDefault = onlyDefault([e]) && onlyDefault([i]);
        const allowed = e.allowed && i.allowed;
        const key = `${allowed}\u0000${lines.join('\n')}`;
        const g = groups.get(key);
        if (g) g.conns = g.conns.union(conns);
        else groups.set(key, { allowed, conns, lines, bothDefault });
      }
    const sorted = [...groups.values()].sort((a, b) =>
      a.conns.toExplainString() < b.conns.toExplainString()
        ? -1
        : a.conns.toExplainString() > b.conns.toExplainString()
          ? 1
          : 0,
    );
    const allowedGroups = sorted.filter((g) => g.allowed && only !== 'deny');
    const deniedGroups = sorted.filter((g) => !g.allowed && only !== 'allow');
    if (allowedGroups.length === 0 && deniedGroups.length === 0) continue;
    out.push(DASHES, `Connections between ${c.src.name} => ${c.dst.name}:`, '');
    for (const [title, list, verb] of [
      ['Allowed connections:', allowedGroups, 'Allowed'],
      ['Denied connections:', deniedGroups, 'Denied'],
    ] as const) {
      if (list.length === 0) continue;
      out.push(title);
      for (const g of list) {
        if (g.bothDefault) out.push(`\t${verb} ${g.conns.toExplainString()} due to the system default (Allow all)`);
        else out.push(`\t${verb} ${g.conns.toExplainString()} due to the following policies and rules:`, ...g.lines);
      }
      out.push('');
    }
  }
  if (out.length > 0)
    out.unshift(
      '',
      '##########################################',
      '# Specific connections and their reasons #',
      '##########################################',
    );
  if (defaults.length > 0)
    out.push(
      '#########################################################',
      '# All Connections due to the system default (Allow all) #',
      '#########################################################',
      ...defaults,
    );
  return out.join('\n');
}
