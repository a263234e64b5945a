import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { MAX_PORT, MIN_PORT, PROTOCOLS, parseProtocol } from './conn.js';
import { IpSet, parseCidr } from './ip.js';
import type {
  AdminAction,
  AdminPeer,
  AdminPolicyModel,
  AdminRule,
  Direction,
  NetworkPolicyModel,
  NpPeer,
  NpRule,
  PortSpec,
  Selector,
} from './model.js';

/** A policy the API server would reject (or that we cannot read): reported and not applied. */
export interface PolicyProblem {
  object: LoadedObject;
  field: string;
  message: string;
  /** `error`: the policy is not applied. `warning`: applied, with a caveat. */
  level: 'error' | 'warning';
  /** Set on warnings about a part the engine does not analyse (L7, FQDN, a kind the CNI does not enforce). */
  unknown?: boolean;
}

/** A field the API server would reject; becomes a PolicyProblem (error) naming the field. */
export class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function validLabelKey(k: string): boolean {
  const slash = k.indexOf('/');
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export function parseSelector(v: unknown, field: string): Selector {
  if (v === null || v === undefined) return { matchLabels: {}, matchExpressions: [] };
  if (!isObj(v)) throw new Invalid(field, 'must be a label selector object');
  const matchLabels: Record<string, string> = {};
  if (v.matchLabels !== undefined && v.matchLabels !== null) {
    if (!isObj(v.matchLabels)) throw new Invalid(`${field}.matchLabels`, 'must be a map');
    for (const [k, val] of Object.entries(v.matchLabels)) {
      const s = val === null ? '' : String(val);
      if (!validLabelKey(k)) throw new Invalid(`${field}.matchLabels`, `invalid label key "${k}"`);
      if (s.length > 63 || !LABEL_VALUE.test(s))
        throw new Invalid(`${field}.matchLabels.${k}`, `invalid label value "${s}"`);
      matchLabels[k] = s;
    }
  }
  const matchExpressions: Selector['matchExpressions'] = [];
  if (v.matchExpressions !== undefined && v.matchExpressions !== null) {
    if (!Array.isArray(v.matchExpressions)) throw new Invalid(`${field}.matchExpressions`, 'must be a list');
    v.matchExpressions.forEach((e, i) => {
      const f = `${field}.matchExpressions[${i}]`;
      if (!isObj(e) || typeof e.key !== 'string') throw new Invalid(f, 'needs a key');
      if (!validLabelKey(e.key)) throw new Invalid(`${f}.key`, `invalid label key "${e.key}"`);
      const values = Array.isArray(e.values) ? e.values.map((x) => String(x)) : [];
      const op = e.operator;
      if (op === 'In' || op === 'NotIn') {
        if (values.length === 0) throw new Invalid(`${f}.values`, `must be specified when operator is ${op}`);
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length > 0) throw new Invalid(`${f}.values`, `may not be specified when operator is ${op}`);
      } else throw new Invalid(`${f}.operator`, `not a valid selector operator: "${String(op)}"`);
      for (const val of values)
        if (val.length > 63 || !LABEL_VALUE.test(val)) throw new Invalid(`${f}.values`, `invalid label value "${val}"`);
      matchExpressions.push({ key: e.key, operator: op, values });
    });
  }
  return { matchLabels, matchExpressions };
}

function parsePort(p: unknown, field: string, allowEndPort: boolean): PortSpec {
  if (!isObj(p)) throw new Invalid(field, 'must be an object');
  const protocol = parseProtocol(p.protocol);
  if (!protocol)
    throw new Invalid(`${field}.protocol`, `unsupported value "${String(p.protocol)}": supported TCP, UDP, SCTP`);
  const spec: PortSpec = { protocol };
  if (p.port !== undefined && p.port !== null) {
    if (typeof p.port === 'number') {
      if (!Number.isInteger(p.port) || p.port < MIN_PORT || p.port > MAX_PORT)
        throw new Invalid(`${field}.port`, `must be between 1 and 65535, inclusive (got ${p.port})`);
      spec.port = p.port;
    } else if (typeof p.port === 'string') {
      if (/^\d+$/.test(p.port)) {
        // IntOrString given as a numeric string: the API server treats it as a name and rejects it
        throw new Invalid(`${field}.port`, `invalid port name "${p.port}": must contain at least one letter`);
      }
      if (!IANA_SVC_NAME.test(p.port) || p.port.includes('--') || !/[a-z]/.test(p.port))
        throw new Invalid(`${field}.port`, `invalid port name "${p.port}" (IANA_SVC_NAME: ≤15 lowercase a-z0-9-)`);
      spec.name = p.port;
    } else throw new Invalid(`${field}.port`, 'must be an integer or a port name');
  }
  if (p.endPort !== undefined && p.endPort !== null) {
    if (!allowEndPort) throw new Invalid(`${field}.endPort`, 'not supported here');
    if (typeof p.endPort !== 'number' || !Number.isInteger(p.endPort))
      throw new Invalid(`${field}.endPort`, 'must be an integer');
    if (spec.name !== undefined) throw new Invalid(`${field}.endPort`, 'may not be specified when port is a name');
    if (spec.port === undefined) throw new Invalid(`${field}.endPort`, 'may not be specified when port is not set');
    if (p.endPort < spec.port)
      throw new Invalid(`${field}.endPort`, `must be greater than or equal to port ${spec.port} (got ${p.endPort})`);
    if (p.endPort > MAX_PORT) throw new Invalid(`${field}.endPort`, 'must be between 1 and 65535, inclusive');
    spec.endPort = p.endPort;
  }
  return spec;
}

function parseIpBlock(b: unknown, field: string): { set: IpSet; cidr: string; except: string[] } {
  if (!isObj(b) || typeof b.cidr !== 'string') throw new Invalid(`${field}.cidr`, 'required');
  const c = parseCidr(b.cidr);
  if (!c) throw new Invalid(`${field}.cidr`, `invalid CIDR address: ${b.cidr}`);
  let set = IpSet.from([c]);
  const except: string[] = [];
  if (b.except !== undefined && b.except !== null) {
    if (!Array.isArray(b.except)) throw new Invalid(`${field}.except`, 'must be a list');
    b.except.forEach((e, i) => {
      const ef = `${field}.except[${i}]`;
      const x = typeof e === 'string' ? parseCidr(e) : undefined;
      if (!x) throw new Invalid(ef, `invalid CIDR address: ${String(e)}`);
      const strictSubset = x.family === c.family && x.lo >= c.lo && x.hi <= c.hi && !(x.lo === c.lo && x.hi === c.hi);
      if (!strictSubset) throw new Invalid(ef, `must be a strict subset of \`cidr\` ${b.cidr}`);
      set = set.subtract(IpSet.from([x]));
      except.push(e as string);
    });
  }
  return { set, cidr: b.cidr, except };
}

function parseNpPeer(p: unknown, field: string): NpPeer {
  if (!isObj(p)) throw new Invalid(field, 'must be an object');
  const has = (k: string) => p[k] !== undefined && p[k] !== null;
  if (has('ipBlock')) {
    if (has('podSelector') || has('namespaceSelector'))
      throw new Invalid(field, 'may not specify both ipBlock and another peer');
    return { kind: 'ipBlock', ...parseIpBlock(p.ipBlock, `${field}.ipBlock`), path: field };
  }
  if (!has('podSelector') && !has('namespaceSelector')) throw new Invalid(field, 'must specify a peer');
  return {
    kind: 'pods',
    namespaceSelector: has('namespaceSelector')
      ? parseSelector(p.namespaceSelector, `${field}.namespaceSelector`)
      : undefined,
    podSelector: has('podSelector') ? parseSelector(p.podSelector, `${field}.podSelector`) : undefined,
    path: field,
  };
}

function parseNpRules(list: unknown, dir: Direction): NpRule[] {
  const field = `spec.${dir}`;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Invalid(field, 'must be a list');
  const peerKey = dir === 'ingress' ? 'from' : 'to';
  return list.map((r, i) => {
    const rf = `${field}[${i}]`;
    if (r !== null && !isObj(r)) throw new Invalid(rf, 'must be an object');
    const rule = (r ?? {}) as Record<string, unknown>;
    const peersRaw = rule[peerKey];
    const portsRaw = rule.ports;
    if (peersRaw !== undefined && peersRaw !== null && !Array.isArray(peersRaw))
      throw new Invalid(`${rf}.${peerKey}`, 'must be a list');
    if (portsRaw !== undefined && portsRaw !== null && !Array.isArray(portsRaw))
      throw new Invalid(`${rf}.ports`, 'must be a list');
    const peers =
      Array.isArray(peersRaw) && peersRaw.length > 0
        ? peersRaw.map((p, j) => parseNpPeer(p, `${rf}.${peerKey}[${j}]`))
        : 'any';
    const ports =
      Array.isArray(portsRaw) && portsRaw.length > 0
        ? portsRaw.map((p, j) => parsePort(p, `${rf}.ports[${j}]`, true))
        : 'any';
    return { index: i + 1, peers, ports, path: rf };
  });
}

export function parseNetworkPolicy(o: LoadedObject, checkName = true): NetworkPolicyModel {
  if (checkName && (!DNS_SUBDOMAIN.test(o.name) || o.name.length > 253))
    throw new Invalid('metadata.name', `"${o.name}" is not a valid DNS subdomain name`);
  const spec = o.raw.spec;
  if (spec !== undefined && spec !== null && !isObj(spec)) throw new Invalid('spec', 'must be an object');
  const s = (spec ?? {}) as Record<string, unknown>;
  const podSelector = parseSelector(s.podSelector, 'spec.podSelector');
  const ingress = parseNpRules(s.ingress, 'ingress');
  const egress = parseNpRules(s.egress, 'egress');
  let types: Record<Direction, boolean>;
  if (s.policyTypes === undefined || s.policyTypes === null || (Array.isArray(s.policyTypes) && !s.policyTypes.length))
    types = { ingress: true, egress: egress.length > 0 };
  else {
    if (!Array.isArray(s.policyTypes)) throw new Invalid('spec.policyTypes', 'must be a list');
    if (s.policyTypes.length > 2) throw new Invalid('spec.policyTypes', 'may not have more than 2 values');
    types = { ingress: false, egress: false };
    s.policyTypes.forEach((t, i) => {
      if (t === 'Ingress') types.ingress = true;
      else if (t === 'Egress') types.egress = true;
      else throw new Invalid(`spec.policyTypes[${i}]`, `unsupported value "${String(t)}": supported Ingress, Egress`);
    });
  }
  return {
    kind: 'NetworkPolicy',
    namespace: o.namespace ?? 'default',
    name: o.name,
    podSelector,
    types,
    rules: { ingress: types.ingress ? ingress : [], egress: types.egress ? egress : [] },
    ignoredRules: { ingress: !types.ingress && ingress.length > 0, egress: !types.egress && egress.length > 0 },
    object: o,
  };
}

function parseAdminPorts(list: unknown, field: string, v2: boolean): PortSpec[] | 'any' {
  if (list === undefined || list === null) return 'any';
  if (!Array.isArray(list)) throw new Invalid(field, 'must be a list');
  if (list.length === 0) return 'any';
  return list.flatMap((p, i): PortSpec[] => {
    const f = `${field}[${i}]`;
    if (!isObj(p)) throw new Invalid(f, 'must be an object');
    const keys = Object.keys(p).filter((k) => p[k] !== undefined && p[k] !== null);
    if (keys.length !== 1) throw new Invalid(f, 'exactly one of portNumber, namedPort, portRange must be set');
    const k = keys[0] as string;
    const val = p[k];
    if (k === 'namedPort' || k === 'destinationNamedPort') {
      if (typeof val !== 'string' || !IANA_SVC_NAME.test(val)) throw new Invalid(`${f}.${k}`, 'invalid port name');
      // an admin named port carries no protocol: it resolves to the destination's container port of that name,
      // whatever its protocol
      return PROTOCOLS.map((protocol) => ({ protocol, name: val }));
    }
    if (!isObj(val)) throw new Invalid(`${f}.${k}`, 'must be an object');
    const protocol = parseProtocol(val.protocol);
    if (!protocol) throw new Invalid(`${f}.${k}.protocol`, `unsupported protocol "${String(val.protocol)}"`);
    if (k === 'portNumber' || (v2 && k === 'tcp') || (v2 && k === 'udp') || (v2 && k === 'sctp')) {
      if (typeof val.port !== 'number' || val.port < MIN_PORT || val.port > MAX_PORT)
        throw new Invalid(`${f}.${k}.port`, 'must be between 1 and 65535');
      return [{ protocol, port: val.port }];
    }
    if (k === 'portRange') {
      const start = val.start;
      const end = val.end;
      if (typeof start !== 'number' || typeof end !== 'number' || start < MIN_PORT || end > MAX_PORT)
        throw new Invalid(`${f}.portRange`, 'start and end must be between 1 and 65535');
      if (start > end) throw new Invalid(`${f}.portRange`, `start ${start} is greater than end ${end}`);
      return [{ protocol, port: start, endPort: end }];
    }
    throw new Invalid(`${f}.${k}`, 'unknown port kind');
  });
}

function parseAdminPeer(p: unknown, field: string, dir: Direction): AdminPeer {
  if (!isObj(p)) throw new Invalid(field, 'must be an object');
  const keys = Object.keys(p).filter((k) => p[k] !== undefined && p[k] !== null);
  if (keys.length !== 1) throw new Invalid(field, 'exactly one of namespaces, pods, nodes, networks must be set');
  const k = keys[0] as string;
  const v = p[k];
  if (k === 'namespaces') return { kind: 'pods', namespaceSelector: parseSelector(v, `${field}.namespaces`) };
  if (k === 'pods') {
    if (!isObj(v)) throw new Invalid(`${field}.pods`, 'must be an object');
    return {
      kind: 'pods',
      namespaceSelector: parseSelector(v.namespaceSelector, `${field}.pods.namespaceSelector`),
      podSelector: parseSelector(v.podSelector, `${field}.pods.podSelector`),
    };
  }
  if (dir === 'egress' && k === 'networks') {
    if (!Array.isArray(v) || v.length === 0) throw new Invalid(`${field}.networks`, 'must be a non-empty list');
    let set = IpSet.empty;
    v.forEach((c, i) => {
      const r = typeof c === 'string' ? parseCidr(c) : undefined;
      if (!r) throw new Invalid(`${field}.networks[${i}]`, `invalid CIDR address: ${String(c)}`);
      set = set.union(IpSet.from([r]));
    });
    return { kind: 'networks', set };
  }
  if (dir === 'egress' && k === 'nodes') return { kind: 'nodes' };
  return { kind: 'unknown', what: k };
}

/**
 * AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2) into one model.
 * v1alpha2 `Accept` is v1alpha1 `Allow`.
 */
export function parseAdminPolicy(o: LoadedObject): AdminPolicyModel {
  const kind = o.kind as AdminPolicyModel['kind'];
  const v2 = kind === 'ClusterNetworkPolicy';
  const spec = o.raw.spec;
  if (!isObj(spec)) throw new Invalid('spec', 'required');
  let tier: 'admin' | 'baseline' = kind === 'BaselineAdminNetworkPolicy' ? 'baseline' : 'admin';
  if (v2) {
    if (spec.tier === 'Admin') tier = 'admin';
    else if (spec.tier === 'Baseline') tier = 'baseline';
    else throw new Invalid('spec.tier', `must be Admin or Baseline (got "${String(spec.tier)}")`);
  }
  let priority = 0;
  if (kind !== 'BaselineAdminNetworkPolicy') {
    if (typeof spec.priority !== 'number' || !Number.isInteger(spec.priority))
      throw new Invalid('spec.priority', 'required integer');
    if (spec.priority < 0 || spec.priority > 1000)
      throw new Invalid('spec.priority', `must be between 0 and 1000 (got ${spec.priority})`);
    priority = spec.priority;
  } else if (o.name !== 'default')
    throw new Invalid('metadata.name', 'BaselineAdminNetworkPolicy must be named default');
  const subj = spec.subject;
  if (!isObj(subj)) throw new Invalid('spec.subject', 'required');
  const sk = Object.keys(subj).filter((k) => subj[k] !== undefined && subj[k] !== null);
  if (sk.length !== 1) throw new Invalid('spec.subject', 'exactly one of namespaces, pods must be set');
  let subject: AdminPolicyModel['subject'];
  if (sk[0] === 'namespaces')
    subject = { namespaceSelector: parseSelector(subj.namespaces, 'spec.subject.namespaces') };
  else if (sk[0] === 'pods') {
    const p = subj.pods;
    if (!isObj(p)) throw new Invalid('spec.subject.pods', 'must be an object');
    subject = {
      namespaceSelector: parseSelector(p.namespaceSelector, 'spec.subject.pods.namespaceSelector'),
      podSelector: parseSelector(p.podSelector, 'spec.subject.pods.podSelector'),
    };
  } else throw new Invalid(`spec.subject.${sk[0]}`, 'unknown subject');
  const rules: Record<Direction, AdminRule[]> = { ingress: [], egress: [] };
  for (const dir of ['ingress', 'egress'] as const) {
    const list = spec[dir];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new Invalid(`spec.${dir}`, 'must be a list');
    if (list.length > 100) throw new Invalid(`spec.${dir}`, 'may not have more than 100 rules');
    list.forEach((r, i) => {
      const f = `spec.${dir}[${i}]`;
      if (!isObj(r)) throw new Invalid(f, 'must be an object');
      const peerKey = dir === 'ingress' ? 'from' : 'to';
      const action = parseAction(r.action, `${f}.action`, kind);
      const peersRaw = r[peerKey];
      if (!Array.isArray(peersRaw) || peersRaw.length === 0)
        throw new Invalid(`${f}.${peerKey}`, 'required and must not be empty');
      const peers = peersRaw.map((p, j) => parseAdminPeer(p, `${f}.${peerKey}[${j}]`, dir));
      const ports = parseAdminPorts(v2 ? r.protocols : r.ports, `${f}.${v2 ? 'protocols' : 'ports'}`, v2);
      rules[dir].push({ name: typeof r.name === 'string' ? r.name : `#${i + 1}`, action, peers, ports });
    });
  }
  return { kind, tier, name: o.name, priority, subject, rules, object: o };
}

function parseAction(a: unknown, field: string, kind: AdminPolicyModel['kind']): AdminAction {
  const allowed: Record<string, AdminAction> =
    kind === 'AdminNetworkPolicy'
      ? { Allow: 'allow', Deny: 'deny', Pass: 'pass' }
      : kind === 'BaselineAdminNetworkPolicy'
        ? { Allow: 'allow', Deny: 'deny' }
        : { Accept: 'allow', Deny: 'deny', Pass: 'pass' };
  const v = typeof a === 'string' ? allowed[a] : undefined;
  if (!v) throw new Invalid(field, `unsupported action "${String(a)}": supported ${Object.keys(allowed).join(', ')}`);
  return v;
}

export const ADMIN_KINDS = ['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy'] as const;

export interface ParsedPolicies {
  networkPolicies: NetworkPolicyModel[];
  adminPolicies: AdminPolicyModel[];
  problems: PolicyProblem[];
}

/** Reads and validates every policy of a snapshot; invalid ones are reported, not returned. */
export function parsePolicies(
  snapshot: Snapshot,
  options: { checkNames?: boolean; analyzerStrict?: boolean } = {},
): ParsedPolicies {
  // what the API server accepts but is undefined or meaningless: a warning, fatal for netpol-analyzer parity
  const undefinedLevel: 'error' | 'warning' = options.analyzerStrict ? 'error' : 'warning';
  const problems: PolicyProblem[] = [];
  const networkPolicies: NetworkPolicyModel[] = [];
  const adminPolicies: AdminPolicyModel[] = [];
  const seen = new Set<string>();
  for (const o of snapshot.ofKind('NetworkPolicy')) {
    if (!o.apiVersion.startsWith('networking.k8s.io/')) continue;
    const key = `${o.namespace}/${o.name}`;
    if (seen.has(key)) {
      problems.push({ object: o, field: 'metadata.name', message: `duplicate NetworkPolicy ${key}`, level: 'error' });
      continue;
    }
    seen.add(key);
    try {
      networkPolicies.push(parseNetworkPolicy(o, options.checkNames !== false));
    } catch (err) {
      problems.push(toProblem(o, err));
    }
  }
  for (const kind of ADMIN_KINDS) {
    const names = new Set<string>();
    for (const o of snapshot.ofKind(kind)) {
      if (!o.apiVersion.startsWith('policy.networking.k8s.io/')) continue;
      if (names.has(o.name)) {
        problems.push({ object: o, field: 'metadata.name', message: `duplicate ${kind} ${o.name}`, level: 'error' });
        continue;
      }
      names.add(o.name);
      try {
        adminPolicies.push(parseAdminPolicy(o));
      } catch (err) {
        problems.push(toProblem(o, err));
      }
    }
  }
  // Calico and Cilium policies are read by calico.ts / cilium.ts (build.ts), per --cni
  const byPriority = new Map<string, AdminPolicyModel>();
  for (const p of adminPolicies) {
    if (p.tier !== 'admin') continue;
    const key = `${p.kind}/${p.priority}`;
    const other = byPriority.get(key);
    if (other)
      problems.push({
        object: p.object,
        field: 'spec.priority',
        message: `same priority ${p.priority} as ${p.kind} ${other.name}: which one applies first is undefined`,
        level: undefinedLevel,
      });
    else byPriority.set(key, p);
  }
  for (const np of networkPolicies)
    for (const dir of ['ingress', 'egress'] as const)
      for (const rule of np.rules[dir]) {
        if (rule.peers === 'any' || rule.ports === 'any') continue;
        if (dir === 'egress' && rule.peers.some((p) => p.kind === 'ipBlock') && rule.ports.some((p) => p.name))
          problems.push({
            object: np.object,
            field: `${rule.path}.ports`,
            message: 'named port for an ipBlock destination matches nothing (a name resolves only on pods)',
            level: undefinedLevel,
          });
      }
  if (options.analyzerStrict) {
    const seenNs = new Set<string>();
    for (const n of snapshot.ofKind('Namespace')) {
      if (seenNs.has(n.name))
        problems.push({ object: n, field: 'metadata.name', message: `duplicate Namespace ${n.name}`, level: 'error' });
      seenNs.add(n.name);
    }
  }
  const banps = adminPolicies.filter((p) => p.kind === 'BaselineAdminNetworkPolicy');
  for (const extra of banps.slice(1))
    problems.push({
      object: extra.object,
      field: 'metadata.name',
      message: 'only one BaselineAdminNetworkPolicy may exist',
      level: 'error',
    });
  return { networkPolicies, adminPolicies, problems };
}

export function toProblem(o: LoadedObject, err: unknown): PolicyProblem {
  if (err instanceof Invalid) return { object: o, field: err.field, message: err.message, level: 'error' };
  throw err;
}
