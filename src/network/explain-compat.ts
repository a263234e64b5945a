import type { ConnSet } from './conn.js';
import type { Endpoint, NetworkModel, Reason, Segment } from './engine.js';
import type { Connection } from './matrix.js';
import type { Direction } from './model.js';

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
      const which =
        matching.length === 1
          ? `${CAP(dir)} rule #${(matching[0] as (typeof matching)[number]).index} selects`
          : `${CAP(dir)} rules ${matching.map((m) => `#${m.index}`).join(', ')} select`;
      return `${head}, and ${which} ${peerName}, but the protocols and ports do not match`;
    }
    case 'admin': {
      const verb = r.rule.action === 'allow' ? 'allows' : r.rule.action === 'deny' ? 'denies' : 'passes';
      return `${r.policy.kind} '${r.policy.name}' ${verb} connections by ${CAP(dir)} rule ${r.rule.name}`;
    }
  }
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
  const texts = seg.reasons
    .map((r) => reasonText(model, r, dir, subject, peerName, peer))
    .filter((t): t is string => t !== undefined);
  if (texts.length === 0) return [`\t\t${CAP(dir)} (${verdict}) due to the system default (Allow all)`];
  const nps = texts.filter((t) => t.startsWith('NetworkPolicy '));
  const others = texts.filter((t) => !t.startsWith('NetworkPolicy '));
  const lines = [`\t\t${CAP(dir)} (${verdict})`, ...others.map((t) => `\t\t\t${t}`)];
  if (nps.length > 1) lines.push('\t\t\tNetworkPolicy list:', ...nps.sort().map((t) => `\t\t\t\t- ${t}`));
  else lines.push(...nps.map((t) => `\t\t\t${t}`));
  return lines;
}

function onlyDefault(segs: Segment[]): boolean {
  return segs.every((s) => s.allowed && s.reasons.every((r) => r.kind === 'default'));
}

/**
 * netpol-analyzer's `--explain` text: a block per pair with the allowed and denied connection groups and the policy
 * and rule behind each direction, then the pairs that only the system default allows.
 */
export function renderExplainCompat(model: NetworkModel, pairs: Connection[], only?: 'allow' | 'deny'): string {
  const out = [
    '',
    '##########################################',
    '# Specific connections and their reasons #',
    '##########################################',
  ];
  const defaults: string[] = [];
  for (const c of pairs) {
    const v = c.verdict;
    if (onlyDefault(v.egress) && onlyDefault(v.ingress)) {
      if (only !== 'deny') defaults.push(`${c.src.name} => ${c.dst.name}`);
      continue;
    }
    const groups = new Map<string, { allowed: boolean; conns: ConnSet; lines: string[] }>();
    for (const e of v.egress)
      for (const i of v.ingress) {
        const conns = e.conns.intersect(i.conns);
        if (conns.isEmpty()) continue;
        const lines = [
          ...directionLines(model, e, 'egress', c.src.name, c.dst.name, c.dst.endpoint),
          ...directionLines(model, i, 'ingress', c.dst.name, c.src.name, c.src.endpoint),
        ];
        const allowed = e.allowed && i.allowed;
        const key = `${allowed}\u0000${lines.join('\n')}`;
        const g = groups.get(key);
        if (g) g.conns = g.conns.union(conns);
        else groups.set(key, { allowed, conns, lines });
      }
    const allowedGroups = [...groups.values()].filter((g) => g.allowed && only !== 'deny');
    const deniedGroups = [...groups.values()].filter((g) => !g.allowed && only !== 'allow');
    if (allowedGroups.length === 0 && deniedGroups.length === 0) continue;
    out.push(DASHES, `Connections between ${c.src.name} => ${c.dst.name}:`, '');
    for (const [title, list, verb] of [
      ['Allowed connections:', allowedGroups, 'Allowed'],
      ['Denied connections:', deniedGroups, 'Denied'],
    ] as const) {
      if (list.length === 0) continue;
      out.push(title);
      for (const g of list)
        out.push(`\t${verb} ${g.conns.toExplainString()} due to the following policies and rules:`, ...g.lines);
      out.push('');
    }
  }
  if (defaults.length > 0)
    out.push(
      '#########################################################',
      '# All Connections due to the system default (Allow all) #',
      '#########################################################',
      ...defaults,
    );
  return out.join('\n');
}
