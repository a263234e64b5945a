/**
 * Calico policy (projectcalico.org/v3 NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet): parsing,
 * the selector expression language, and rule matching. Semantics follow the Calico resource references
 * (docs.tigera.io: networkpolicy, globalnetworkpolicy, tier, selectors) as summarised in the network-policy note §5:
 * tiers by order, policies by order inside a tier (unset = last), rules in written order; the first Allow or Deny ends
 * evaluation, Log continues, Pass jumps to the next tier; a tier that selects the endpoint but decides nothing applies
 * its defaultAction (Deny unless the Tier says Pass); nothing selecting the endpoint = allowed (the namespace profile).
 */
import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { ConnSet, MAX_PORT, MIN_PORT, PROTOCOLS, type Protocol } from './conn.js';
import { IpSet, parseCidr } from './ip.js';
import type { Direction, NetPod } from './model.js';
import { Invalid, isObj, type PolicyProblem, toProblem } from './parse.js';

type Labels = Record<string, string>;

/** A compiled Calico selector expression. */
export interface CalicoSelector {
  text: string;
  test: (labels: Labels) => boolean;
  /** The expression is `global()` alone (selects non-namespaced resources: network sets, host endpoints). */
  global: boolean;
}

export class SelectorSyntaxError extends Error {}

type Tok = { t: 'op'; v: string } | { t: 'str'; v: string } | { t: 'id'; v: string };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['&&', '||', '==', '!='].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('(){},!'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new SelectorSyntaxError(`unterminated string at ${i}`);
      out.push({ t: 'str', v: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_./-]+/.exec(text.slice(i));
    if (!m) throw new SelectorSyntaxError(`unexpected "${c}" at ${i}`);
    out.push({ t: 'id', v: m[0] });
    i += m[0].length;
  }
  return out;
}

/**
 * Parses Calico's selector language: `all()`, `global()`, `has(k)`, `k == 'v'`, `k != 'v'`, `k in {'a','b'}`,
 * `k not in {...}`, `k contains 's'`, `k starts with 's'`, `k ends with 's'`, `!`, `&&`, `||` and parentheses.
 * Per the Calico selector reference, `k != 'v'` needs the label (value not v) while `k not in {...}` also matches
 * resources without the label. An empty expression is `all()`.
 */
export function parseCalicoSelector(text: string): CalicoSelector {
  const toks = tokenize(text);
  let pos = 0;
  const peek = () => toks[pos];
  const isOp = (v: string) => {
    const t = peek();
    return t?.t === 'op' && t.v === v;
  };
  const isId = (v: string) => {
    const t = peek();
    return t?.t === 'id' && t.v === v;
  };
  const expectOp = (v: string) => {
    if (!isOp(v)) throw new SelectorSyntaxError(`expected "${v}"`);
    pos++;
  };
  const str = (): string => {
    const t = peek();
    if (t?.t !== 'str') throw new SelectorSyntaxError('expected a quoted string');
    pos++;
    return t.v;
  };
  const set = (): Set<string> => {
    expectOp('{');
    const vals = new Set<string>();
    if (!isOp('}')) {
      vals.add(str());
      while (isOp(',')) {
        pos++;
        vals.add(str());
      }
    }
    expectOp('}');
    return vals;
  };
  type Node = (l: Labels) => boolean;
  let onlyGlobal = false;
  const term = (): Node => {
    const t = peek();
    if (t?.t !== 'id') throw new SelectorSyntaxError('expected a label key, has(), all() or global()');
    pos++;
    if ((t.v === 'all' || t.v === 'global') && isOp('(')) {
      pos++;
      expectOp(')');
      if (t.v === 'global') {
        onlyGlobal = true;
        // pods are namespaced: global() never selects them
        return () => false;
      }
      return () => true;
    }
    if (t.v === 'has' && isOp('(')) {
      pos++;
      const k = peek();
      if (k?.t !== 'id') throw new SelectorSyntaxError('has() needs a label key');
      pos++;
      expectOp(')');
      return (l) => Object.hasOwn(l, k.v);
    }
    const key = t.v;
    if (isOp('==')) {
      pos++;
      const v = str();
      return (l) => l[key] === v;
    }
    if (isOp('!=')) {
      pos++;
      const v = str();
      return (l) => Object.hasOwn(l, key) && l[key] !== v;
    }
    if (isId('in')) {
      pos++;
      const vs = set();
      return (l) => Object.hasOwn(l, key) && vs.has(l[key] as string);
    }
    if (isId('not')) {
      pos++;
      if (!isId('in')) throw new SelectorSyntaxError('expected "in" after "not"');
      pos++;
      const vs = set();
      return (l) => !Object.hasOwn(l, key) || !vs.has(l[key] as string);
    }
    if (isId('contains')) {
      pos++;
      const v = str();
      return (l) => Object.hasOwn(l, key) && (l[key] as string).includes(v);
    }
    if (isId('starts') || isId('ends')) {
      const starts = isId('starts');
      pos++;
      if (!isId('with')) throw new SelectorSyntaxError('expected "with"');
      pos++;
      const v = str();
      return (l) =>
        Object.hasOwn(l, key) && (starts ? (l[key] as string).startsWith(v) : (l[key] as string).endsWith(v));
    }
    throw new SelectorSyntaxError(`expected an operator after "${key}"`);
  };
  const unary = (): Node => {
    if (isOp('!')) {
      pos++;
      const inner = unary();
      return (l) => !inner(l);
    }
    if (isOp('(')) {
      pos++;
      const inner = or();
      expectOp(')');
      return inner;
    }
    return term();
  };
  const and = (): Node => {
    const parts = [unary()];
    while (isOp('&&')) {
      pos++;
      parts.push(unary());
    }
    return parts.length === 1 ? (parts[0] as Node) : (l) => parts.every((p) => p(l));
  };
  const or = (): Node => {
    const parts = [and()];
    while (isOp('||')) {
      pos++;
      parts.push(and());
    }
    return parts.length === 1 ? (parts[0] as Node) : (l) => parts.some((p) => p(l));
  };
  if (toks.length === 0) return { text, test: () => true, global: false };
  const test = or();
  if (pos !== toks.length) throw new SelectorSyntaxError(`unexpected "${(peek() as Tok).v}"`);
  return { text, test, global: onlyGlobal && toks.length === 3 };
}

export type CalicoAction = 'allow' | 'deny' | 'pass' | 'log';

/** A destination port entry: a range (a single port has lo = hi) or a named port. */
export type CalicoPort = { lo: number; hi: number } | { name: string };

/** The source or destination part of a rule; every field set must match (AND). */
export interface CalicoEntity {
  nets?: IpSet;
  notNets?: IpSet;
  selector?: CalicoSelector;
  notSelector?: CalicoSelector;
  namespaceSelector?: CalicoSelector;
  serviceAccounts?: { names: string[]; selector?: CalicoSelector };
  ports?: CalicoPort[];
  notPorts?: CalicoPort[];
}

export interface CalicoRule {
  /** 1-based position in its direction. */
  index: number;
  path: string;
  action: CalicoAction;
  /** Protocols the rule can match (TCP/UDP/SCTP of our model; ICMP & co. leave an empty list). */
  protocols: Protocol[];
  source: CalicoEntity;
  destination: CalicoEntity;
  ipVersion?: 4 | 6;
  /** Application-layer (http) match: the L4 verdict is evaluated, the HTTP filter is not. */
  l7?: string;
}

export interface CalicoPolicyModel {
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy';
  /** Undefined for GlobalNetworkPolicy. */
  namespace?: string;
  name: string;
  tier: string;
  /** Infinity when unset (applied after every policy with an order). */
  order: number;
  selector: CalicoSelector;
  /** GlobalNetworkPolicy: which namespaces' endpoints it applies to. */
  namespaceSelector?: CalicoSelector;
  serviceAccountSelector?: CalicoSelector;
  types: Record<Direction, boolean>;
  rules: Record<Direction, CalicoRule[]>;
  object: LoadedObject;
}

export interface CalicoTier {
  name: string;
  order: number;
  /** What happens to traffic that a selecting tier does not decide. */
  defaultAction: 'deny' | 'pass';
  object?: LoadedObject;
}

export interface CalicoNetworkSet {
  namespace?: string;
  name: string;
  labels: Labels;
  set: IpSet;
}

export interface CalicoParsed {
  policies: CalicoPolicyModel[];
  tiers: CalicoTier[];
  networkSets: CalicoNetworkSet[];
  problems: PolicyProblem[];
}

/** Kubernetes NetworkPolicies live in this tier as `knp.default.<name>` with order 1000 (note §5). */
export const CALICO_DEFAULT_TIER: CalicoTier = { name: 'default', order: 1_000_000, defaultAction: 'deny' };
export const CALICO_KNP_ORDER = 1000;
/** Where Calico places the ClusterNetworkPolicy tiers (kube-admin before, kube-baseline after the default tier). */
export const CALICO_KUBE_ADMIN_ORDER = 1000;

export const CALICO_API = /^(projectcalico\.org|crd\.projectcalico\.org)\//;

function selectorField(v: unknown, field: string): CalicoSelector | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Invalid(field, 'must be a selector expression string');
  try {
    return parseCalicoSelector(v);
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw new Invalid(field, `invalid selector "${v}": ${e.message}`);
    throw e;
  }
}

function netsField(v: unknown, field: string): IpSet | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new Invalid(field, 'must be a list of CIDRs');
  let set = IpSet.empty;
  v.forEach((c, i) => {
    // a bare address is a /32 or /128
    const text = typeof c === 'string' && !c.includes('/') ? `${c}/${c.includes(':') ? 128 : 32}` : c;
    const r = typeof text === 'string' ? parseCidr(text) : undefined;
    if (!r) throw new Invalid(`${field}[${i}]`, `invalid CIDR: ${String(c)}`);
    set = set.union(IpSet.from([r]));
  });
  return set;
}

function portsField(v: unknown, field: string): CalicoPort[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new Invalid(field, 'must be a list');
  return v.map((p, i) => {
    const f = `${field}[${i}]`;
    const inRange = (n: number) => Number.isInteger(n) && n >= MIN_PORT && n <= MAX_PORT;
    if (typeof p === 'number') {
      if (!inRange(p)) throw new Invalid(f, `port ${p} out of range 1-65535`);
      return { lo: p, hi: p };
    }
    if (typeof p !== 'string') throw new Invalid(f, 'must be a port number, "lo:hi" range or port name');
    const range = /^(\d+):(\d+)$/.exec(p);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (!inRange(lo) || !inRange(hi) || lo > hi) throw new Invalid(f, `invalid port range "${p}"`);
      return { lo, hi };
    }
    if (/^\d+$/.test(p)) {
      const n = Number(p);
      if (!inRange(n)) throw new Invalid(f, `port ${p} out of range 1-65535`);
      return { lo: n, hi: n };
    }
    return { name: p };
  });
}

function entityField(v: unknown, field: string, warn: (field: string, message: string) => void): CalicoEntity {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new Invalid(field, 'must be an object');
  const e: CalicoEntity = {
    nets: netsField(v.nets, `${field}.nets`),
    notNets: netsField(v.notNets, `${field}.notNets`),
    selector: selectorField(v.selector, `${field}.selector`),
    notSelector: selectorField(v.notSelector, `${field}.notSelector`),
    namespaceSelector: selectorField(v.namespaceSelector, `${field}.namespaceSelector`),
    ports: portsField(v.ports, `${field}.ports`),
    notPorts: portsField(v.notPorts, `${field}.notPorts`),
  };
  if (v.net !== undefined) e.nets = netsField([v.net], `${field}.net`);
  if (isObj(v.serviceAccounts)) {
    const sa = v.serviceAccounts;
    e.serviceAccounts = {
      names: Array.isArray(sa.names) ? sa.names.map(String) : [],
      selector: selectorField(sa.selector, `${field}.serviceAccounts.selector`),
    };
  }
  if (v.services !== undefined && v.services !== null)
    warn(`${field}.services`, 'Service-based match is not analysed: the rule is treated as matching nothing');
  return e;
}

function protocolsOf(v: unknown, field: string): Protocol[] | undefined {
  if (v === undefined || v === null) return undefined;
  const byNumber: Record<string, Protocol> = { '6': 'TCP', '17': 'UDP', '132': 'SCTP' };
  const text = String(v);
  const upper = text.toUpperCase();
  if ((PROTOCOLS as readonly string[]).includes(upper)) return [upper as Protocol];
  if (byNumber[text]) return [byNumber[text] as Protocol];
  if (['ICMP', 'ICMPV6', 'UDPLITE'].includes(upper) || /^\d+$/.test(text)) return [];
  throw new Invalid(field, `unsupported protocol "${text}"`);
}

function parseRule(
  r: unknown,
  field: string,
  index: number,
  warn: (field: string, message: string) => void,
): CalicoRule | undefined {
  if (!isObj(r)) throw new Invalid(field, 'must be an object');
  const actions: Record<string, CalicoAction> = { Allow: 'allow', Deny: 'deny', Pass: 'pass', Log: 'log' };
  const action = typeof r.action === 'string' ? actions[r.action] : undefined;
  if (!action) throw new Invalid(`${field}.action`, `unsupported action "${String(r.action)}": Allow, Deny, Pass, Log`);
  const proto = protocolsOf(r.protocol, `${field}.protocol`);
  const notProto = protocolsOf(r.notProtocol, `${field}.notProtocol`) ?? [];
  let protocols: Protocol[] = proto ?? [...PROTOCOLS];
  protocols = protocols.filter((p) => !notProto.includes(p));
  const source = entityField(r.source, `${field}.source`, warn);
  const destination = entityField(r.destination, `${field}.destination`, warn);
  const withPorts = (e: CalicoEntity) => e.ports !== undefined || e.notPorts !== undefined;
  if ((withPorts(source) || withPorts(destination)) && !(proto && proto.length > 0))
    throw new Invalid(`${field}.protocol`, 'ports and notPorts need protocol TCP, UDP or SCTP');
  const rule: CalicoRule = { index, path: field, action, protocols, source, destination };
  if (r.ipVersion === 4 || r.ipVersion === 6) rule.ipVersion = r.ipVersion;
  if (r.http !== undefined && r.http !== null) {
    rule.l7 = 'http';
    warn(
      `${field}.http`,
      'application-layer (http) match is not analysed: the L4 part is evaluated, the HTTP filter is unknown',
    );
  }
  if (withPorts(source)) {
    // connections are modelled by destination port only; an ephemeral source port is unknowable
    warn(`${field}.source.ports`, 'source ports are not analysed: the rule is treated as matching nothing');
    return undefined;
  }
  if (isObj(r.source) && r.source.services !== undefined) return undefined;
  if (isObj(r.destination) && r.destination.services !== undefined) return undefined;
  return rule;
}

function typesOf(spec: Record<string, unknown>, hasIngress: boolean, hasEgress: boolean): Record<Direction, boolean> {
  if (Array.isArray(spec.types) && spec.types.length > 0) {
    const t = { ingress: false, egress: false };
    spec.types.forEach((x, i) => {
      if (x === 'Ingress') t.ingress = true;
      else if (x === 'Egress') t.egress = true;
      else throw new Invalid(`spec.types[${i}]`, `unsupported value "${String(x)}": Ingress, Egress`);
    });
    return t;
  }
  // Calico reference: omitted types = Ingress when there are no egress rules, Egress when there are only egress
  // rules, both when there are both (unlike Kubernetes, which always includes Ingress)
  if (hasEgress && !hasIngress) return { ingress: false, egress: true };
  return { ingress: true, egress: hasEgress };
}

function parseCalicoPolicy(o: LoadedObject, problems: PolicyProblem[]): CalicoPolicyModel {
  const spec = isObj(o.raw.spec) ? o.raw.spec : {};
  const kind = o.kind as CalicoPolicyModel['kind'];
  const warn = (field: string, message: string) =>
    problems.push({ object: o, field, message, level: 'warning', unknown: true });
  const rulesOf = (dir: Direction): CalicoRule[] => {
    const list = spec[dir];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new Invalid(`spec.${dir}`, 'must be a list');
    const out: CalicoRule[] = [];
    list.forEach((r, i) => {
      const rule = parseRule(r, `spec.${dir}[${i}]`, i + 1, warn);
      if (rule) out.push(rule);
    });
    return out;
  };
  const ingress = rulesOf('ingress');
  const egress = rulesOf('egress');
  const rawIngress = Array.isArray(spec.ingress) && spec.ingress.length > 0;
  const rawEgress = Array.isArray(spec.egress) && spec.egress.length > 0;
  const types = typesOf(spec, rawIngress, rawEgress);
  for (const dir of ['ingress', 'egress'] as const)
    if (!types[dir] && (dir === 'ingress' ? rawIngress : rawEgress))
      problems.push({
        object: o,
        field: `spec.${dir}`,
        message: `rules are ignored: spec.types does not include ${dir === 'ingress' ? 'Ingress' : 'Egress'}`,
        level: 'warning',
      });
  if (spec.order !== undefined && spec.order !== null && typeof spec.order !== 'number')
    throw new Invalid('spec.order', 'must be a number');
  if (kind === 'GlobalNetworkPolicy' && (spec.doNotTrack === true || spec.preDNAT === true || spec.applyOnForward))
    warn('spec', 'host-endpoint options (doNotTrack, preDNAT, applyOnForward) are not analysed: only pod traffic is');
  return {
    kind,
    namespace: kind === 'NetworkPolicy' ? (o.namespace ?? 'default') : undefined,
    name: o.name,
    tier: typeof spec.tier === 'string' && spec.tier ? spec.tier : 'default',
    order: typeof spec.order === 'number' ? spec.order : Number.POSITIVE_INFINITY,
    selector: selectorField(spec.selector, 'spec.selector') ?? parseCalicoSelector('all()'),
    namespaceSelector:
      kind === 'GlobalNetworkPolicy' ? selectorField(spec.namespaceSelector, 'spec.namespaceSelector') : undefined,
    serviceAccountSelector: selectorField(spec.serviceAccountSelector, 'spec.serviceAccountSelector'),
    types,
    rules: { ingress: types.ingress ? ingress : [], egress: types.egress ? egress : [] },
    object: o,
  };
}

/** Reads the Calico policy objects of a snapshot; invalid ones are reported (error) and not applied. */
export function parseCalico(snapshot: Snapshot): CalicoParsed {
  const problems: PolicyProblem[] = [];
  const tiers: CalicoTier[] = [CALICO_DEFAULT_TIER];
  for (const o of snapshot.ofKind('Tier')) {
    if (!CALICO_API.test(o.apiVersion) || o.name === 'default') continue;
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    const da = spec.defaultAction;
    if (da !== undefined && da !== 'Deny' && da !== 'Pass') {
      problems.push({
        object: o,
        field: 'spec.defaultAction',
        message: `must be Deny or Pass (got "${String(da)}")`,
        level: 'error',
      });
      continue;
    }
    tiers.push({
      name: o.name,
      order: typeof spec.order === 'number' ? spec.order : Number.POSITIVE_INFINITY,
      defaultAction: da === 'Pass' ? 'pass' : 'deny',
      object: o,
    });
  }
  const tierNames = new Set(tiers.map((t) => t.name));
  const policies: CalicoPolicyModel[] = [];
  for (const kind of ['NetworkPolicy', 'GlobalNetworkPolicy'] as const)
    for (const o of snapshot.ofKind(kind)) {
      if (!CALICO_API.test(o.apiVersion)) continue;
      try {
        const p = parseCalicoPolicy(o, problems);
        if (!tierNames.has(p.tier))
          throw new Invalid(
            'spec.tier',
            `tier "${p.tier}" does not exist (no projectcalico.org/v3 Tier with this name)`,
          );
        policies.push(p);
      } catch (err) {
        problems.push(toProblem(o, err));
      }
    }
  const networkSets: CalicoNetworkSet[] = [];
  for (const kind of ['NetworkSet', 'GlobalNetworkSet'] as const)
    for (const o of snapshot.ofKind(kind)) {
      if (!CALICO_API.test(o.apiVersion)) continue;
      try {
        const spec = isObj(o.raw.spec) ? o.raw.spec : {};
        networkSets.push({
          namespace: kind === 'NetworkSet' ? (o.namespace ?? 'default') : undefined,
          name: o.name,
          labels: { ...o.labels },
          set: netsField(spec.nets, 'spec.nets') ?? IpSet.empty,
        });
      } catch (err) {
        problems.push(toProblem(o, err));
      }
    }
  tiers.sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : 1));
  return { policies, tiers, networkSets, problems };
}

/** Labels Calico gives a pod's workload endpoint (pod labels plus its namespace and service account). */
export function calicoPodLabels(pod: NetPod): Labels {
  return {
    ...pod.labels,
    'projectcalico.org/namespace': pod.namespace,
    'projectcalico.org/orchestrator': 'k8s',
    ...(pod.serviceAccount ? { 'projectcalico.org/serviceaccount': pod.serviceAccount } : {}),
  };
}

/** Labels a namespaceSelector sees: the namespace's labels plus `projectcalico.org/name`. */
export function calicoNamespaceLabels(name: string, labels: Labels): Labels {
  return { ...labels, 'projectcalico.org/name': name };
}

/** Conns of a rule's destination ports toward `dst` (named ports resolve on the destination pod). */
export function calicoPortConns(rule: CalicoRule, dst: NetPod | undefined): ConnSet {
  let base = ConnSet.none;
  for (const p of rule.protocols) base = base.union(ConnSet.of(p));
  const toConns = (ports: CalicoPort[]): ConnSet => {
    let c = ConnSet.none;
    for (const p of ports)
      for (const proto of rule.protocols) {
        if ('name' in p) {
          for (const cp of dst?.ports ?? [])
            if (cp.name === p.name && cp.protocol === proto) c = c.union(ConnSet.of(proto, cp.port));
        } else c = c.union(ConnSet.of(proto, p.lo, p.hi));
      }
    return c;
  };
  const d = rule.destination;
  if (d.ports) base = base.intersect(toConns(d.ports));
  if (d.notPorts) base = base.subtract(toConns(d.notPorts));
  return base;
}

export function hasNamedCalicoPorts(rule: CalicoRule): boolean {
  return [...(rule.destination.ports ?? []), ...(rule.destination.notPorts ?? [])].some((p) => 'name' in p);
}

/** What Calico matching needs from the model. */
export interface CalicoContext {
  namespaceLabels(ns: string): Labels | undefined;
  serviceAccountLabels(ns: string, name: string): Labels;
  isNode(pod: NetPod): boolean;
  networkSets: CalicoNetworkSet[];
}

/** An endpoint as Calico rules see it: a pod (workload endpoint) or addresses outside any workload endpoint. */
export type CalicoEndpoint =
  | { type: 'pod'; pod: NetPod }
  | { type: 'ip'; range: { family: 4 | 6; lo: bigint; hi: bigint } };

function inSet(set: IpSet, ep: CalicoEndpoint): boolean {
  if (ep.type === 'ip') return set.containsRange(ep.range);
  return ep.pod.ips.some((ip) => set.containsIp(ip.family, ip.value));
}

/** Whether the policy selects `pod` (its namespace scope, selector, service account selector). */
export function calicoSelects(ctx: CalicoContext, p: CalicoPolicyModel, pod: NetPod): boolean {
  if (ctx.isNode(pod)) return false;
  if (p.namespace !== undefined && pod.namespace !== p.namespace) return false;
  if (p.namespaceSelector) {
    const nsLabels = ctx.namespaceLabels(pod.namespace);
    if (!nsLabels || !p.namespaceSelector.test(calicoNamespaceLabels(pod.namespace, nsLabels))) return false;
  }
  if (!p.selector.test(calicoPodLabels(pod))) return false;
  if (p.serviceAccountSelector) {
    const sa = pod.serviceAccount ?? 'default';
    if (!p.serviceAccountSelector.test(serviceAccountView(ctx, pod.namespace, sa))) return false;
  }
  return true;
}

function serviceAccountView(ctx: CalicoContext, ns: string, name: string): Labels {
  return { ...ctx.serviceAccountLabels(ns, name), 'projectcalico.org/name': name };
}

/**
 * Whether the source or destination part of a rule matches an endpoint. Selectors pick workload endpoints (pods) in
 * the policy's namespace, in the namespaces of `namespaceSelector`, or anywhere for a GlobalNetworkPolicy; addresses
 * outside pods are picked by `nets` or by the labels of a (Global)NetworkSet that contains them. `nets` match pod IPs
 * too (note §5).
 */
export function calicoEntityMatches(
  ctx: CalicoContext,
  p: CalicoPolicyModel,
  e: CalicoEntity,
  ep: CalicoEndpoint,
): boolean {
  if (e.nets && !inSet(e.nets, ep)) return false;
  if (e.notNets && inSet(e.notNets, ep)) return false;
  const pod = ep.type === 'pod' && !ctx.isNode(ep.pod) ? ep.pod : undefined;
  const nsInScope = (ns: string): boolean => {
    if (e.namespaceSelector) {
      const l = ctx.namespaceLabels(ns);
      return l !== undefined && e.namespaceSelector.test(calicoNamespaceLabels(ns, l));
    }
    return p.namespace === undefined || ns === p.namespace;
  };
  const setsInScope = (): CalicoNetworkSet[] =>
    ctx.networkSets.filter((s) => {
      if (e.namespaceSelector?.global) return s.namespace === undefined;
      if (s.namespace === undefined) return !e.namespaceSelector && p.namespace === undefined;
      return nsInScope(s.namespace);
    });
  const selectedBy = (sel: CalicoSelector | undefined, withNamespaceOnly: boolean): boolean => {
    if (pod) {
      if (!nsInScope(pod.namespace)) return false;
      return sel ? sel.test(calicoPodLabels(pod)) : withNamespaceOnly;
    }
    // addresses that are not workload endpoints: labelled by the network sets that contain them
    return setsInScope().some((s) => inSet(s.set, ep) && (sel ? sel.test(s.labels) : withNamespaceOnly));
  };
  if (e.selector || e.namespaceSelector) {
    if (!selectedBy(e.selector, true)) return false;
  }
  if (e.notSelector && selectedBy(e.notSelector, false)) return false;
  if (e.serviceAccounts) {
    if (!pod || !nsInScope(pod.namespace)) return false;
    const sa = pod.serviceAccount ?? 'default';
    if (e.serviceAccounts.names.length > 0 && !e.serviceAccounts.names.includes(sa)) return false;
    if (e.serviceAccounts.selector && !e.serviceAccounts.selector.test(serviceAccountView(ctx, pod.namespace, sa)))
      return false;
  }
  return true;
}

/** Every address set Calico policies name (for partitioning the outside world). */
export function calicoIpSets(parsed: { policies: CalicoPolicyModel[]; networkSets: CalicoNetworkSet[] }): IpSet[] {
  const out: IpSet[] = parsed.networkSets.map((s) => s.set);
  for (const p of parsed.policies)
    for (const dir of ['ingress', 'egress'] as const)
      for (const r of p.rules[dir])
        for (const e of [r.source, r.destination]) {
          if (e.nets) out.push(e.nets);
          if (e.notNets) out.push(e.notNets);
        }
  return out;
}
