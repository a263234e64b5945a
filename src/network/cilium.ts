/**
 * CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (cilium.io/v2) at L3/L4. Semantics from docs.cilium.io
 * (policy/intro, policy/deny, policy/layer3, policy/layer4, the CRD field reference) as summarised in the
 * network-policy note §4:
 * - a rule (spec or each entry of specs) selects endpoints by `endpointSelector`; in a namespaced policy only pods of
 *   the policy's namespace, and `fromEndpoints`/`toEndpoints` are limited to that namespace unless the selector names
 *   `io.kubernetes.pod.namespace`;
 * - default deny per direction as soon as a selecting rule has a non-empty section of that direction (allow or
 *   deny), unless `enableDefaultDeny.<direction>: false`; so `ingress: [{}]` isolates and allows nothing;
 * - allowed = union of every allow rule (Cilium, Kubernetes NetworkPolicy) minus every deny rule: deny always wins;
 * - CIDR peers never match Cilium-managed endpoints (pods) nor nodes; entities name classes of peers;
 * - a rule with ports but no L3 peer allows every peer on those ports.
 * L7 rules (http, kafka, dns, l7) and FQDN peers are reported as not analysed (`unknown`), never ignored silently.
 */
import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { MAX_PORT, MIN_PORT, PROTOCOLS } from './conn.js';
import { IpSet, parseCidr } from './ip.js';
import type { Direction, NetPod, PortSpec, Selector } from './model.js';
import { Invalid, isObj, type PolicyProblem, parseSelector, toProblem } from './parse.js';

export const CILIUM_API = /^cilium\.io\//;
const NS_LABEL = 'io.kubernetes.pod.namespace';
const NS_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';
const SA_LABEL = 'io.cilium.k8s.policy.serviceaccount';

export type CiliumEntity =
  | 'world'
  | 'world-ipv4'
  | 'world-ipv6'
  | 'cluster'
  | 'host'
  | 'remote-node'
  | 'kube-apiserver'
  | 'health'
  | 'init'
  | 'ingress'
  | 'unmanaged'
  | 'all';
const ENTITIES: readonly string[] = [
  'world',
  'world-ipv4',
  'world-ipv6',
  'cluster',
  'host',
  'remote-node',
  'kube-apiserver',
  'health',
  'init',
  'ingress',
  'unmanaged',
  'all',
];

export type CiliumPeer =
  | { kind: 'endpoints'; selector: Selector; namespace?: string }
  | { kind: 'cidr'; set: IpSet }
  | { kind: 'entity'; entity: CiliumEntity }
  /** A peer we cannot resolve statically (toFQDNs, toServices, toGroups, fromNodes…): matches nothing. */
  | { kind: 'unresolved'; what: string };

export interface CiliumRule {
  /** 1-based position in its section. */
  index: number;
  path: string;
  deny: boolean;
  /** 'any' = no L3 peer given (every peer), when the rule has ports. */
  peers: CiliumPeer[] | 'any';
  ports: PortSpec[] | 'any';
  /** L7 rule kinds attached to the ports (http, kafka, dns, l7): L4 evaluated, L7 filter unknown. */
  l7: string[];
}

export interface CiliumRuleSet {
  path: string;
  endpointSelector: Selector;
  rules: Record<Direction, CiliumRule[]>;
  /** Whether this rule set puts the endpoints it selects into default deny for each direction. */
  defaultDeny: Record<Direction, boolean>;
}

export interface CiliumPolicyModel {
  kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  /** Undefined for the clusterwide kind. */
  namespace?: string;
  name: string;
  ruleSets: CiliumRuleSet[];
  object: LoadedObject;
}

/** Cilium label keys may carry a source prefix (`k8s:app`, `any:app`); pods' labels come from k8s. */
function stripSource(key: string): string {
  return key.replace(/^(k8s|any):/, '');
}

function ciliumSelector(v: unknown, field: string): Selector {
  if (isObj(v)) {
    const copy: Record<string, unknown> = { ...v };
    if (isObj(v.matchLabels))
      copy.matchLabels = Object.fromEntries(Object.entries(v.matchLabels).map(([k, x]) => [stripSource(k), x]));
    if (Array.isArray(v.matchExpressions))
      copy.matchExpressions = v.matchExpressions.map((e) =>
        isObj(e) && typeof e.key === 'string' ? { ...e, key: stripSource(e.key) } : e,
      );
    v = copy;
  }
  return parseSelector(v, field);
}

function namesNamespace(sel: Selector): boolean {
  return Object.hasOwn(sel.matchLabels, NS_LABEL) || sel.matchExpressions.some((e) => e.key === NS_LABEL);
}

function cidrSet(list: unknown[], field: string): IpSet {
  let set = IpSet.empty;
  list.forEach((c, i) => {
    const f = `${field}[${i}]`;
    let cidr: unknown = c;
    let except: unknown[] = [];
    if (isObj(c)) {
      cidr = c.cidr;
      except = Array.isArray(c.except) ? c.except : [];
      if (cidr === undefined && (c.cidrGroupRef !== undefined || c.cidrGroupSelector !== undefined))
        throw new Invalid(f, 'cidrGroupRef/cidrGroupSelector cannot be resolved from a snapshot');
    }
    const text = typeof cidr === 'string' && !cidr.includes('/') ? `${cidr}/${cidr.includes(':') ? 128 : 32}` : cidr;
    const r = typeof text === 'string' ? parseCidr(text) : undefined;
    if (!r) throw new Invalid(f, `invalid CIDR: ${String(cidr)}`);
    let s = IpSet.from([r]);
    except.forEach((x, j) => {
      const xr = typeof x === 'string' ? parseCidr(x) : undefined;
      if (!xr) throw new Invalid(`${f}.except[${j}]`, `invalid CIDR: ${String(x)}`);
      s = s.subtract(IpSet.from([xr]));
    });
    set = set.union(s);
  });
  return set;
}

function parsePorts(
  list: unknown,
  field: string,
  deny: boolean,
  warn: (f: string, m: string) => void,
): { ports: PortSpec[] | 'any'; l7: string[] } {
  if (list === undefined || list === null) return { ports: 'any', l7: [] };
  if (!Array.isArray(list)) throw new Invalid(field, 'must be a list');
  if (list.length === 0) return { ports: 'any', l7: [] };
  const ports: PortSpec[] = [];
  const l7: string[] = [];
  let anyPortRule = false;
  list.forEach((pr, i) => {
    const f = `${field}[${i}]`;
    if (!isObj(pr)) throw new Invalid(f, 'must be an object');
    const entries = Array.isArray(pr.ports) ? pr.ports : [];
    if (entries.length === 0) anyPortRule = true;
    entries.forEach((p, j) => {
      const pf = `${f}.ports[${j}]`;
      if (!isObj(p)) throw new Invalid(pf, 'must be an object');
      const proto = p.protocol === undefined || p.protocol === null ? 'ANY' : String(p.protocol).toUpperCase();
      const protocols =
        proto === 'ANY' ? [...PROTOCOLS] : (PROTOCOLS as readonly string[]).includes(proto) ? [proto] : undefined;
      if (!protocols) {
        if (proto === 'ICMP' || proto === 'ICMPV6') return;
        throw new Invalid(`${pf}.protocol`, `unsupported protocol "${String(p.protocol)}": TCP, UDP, SCTP, ANY`);
      }
      const portText = p.port === undefined || p.port === null ? '0' : String(p.port);
      for (const protocol of protocols as Array<PortSpec['protocol']>) {
        if (/^\d+$/.test(portText)) {
          const port = Number(portText);
          if (port > MAX_PORT) throw new Invalid(`${pf}.port`, `must be between 0 and 65535 (got ${port})`);
          // port 0 means every port of the protocol
          if (port === 0) ports.push({ protocol });
          else {
            const end = typeof p.endPort === 'number' && p.endPort >= port ? Math.min(p.endPort, MAX_PORT) : port;
            ports.push({ protocol, port: Math.max(port, MIN_PORT), endPort: end === port ? undefined : end });
          }
        } else ports.push({ protocol, name: portText.toLowerCase() });
      }
    });
    if (isObj(pr.rules)) {
      const kinds = Object.keys(pr.rules).filter((k) => pr.rules && (pr.rules as Record<string, unknown>)[k]);
      if (kinds.length > 0) {
        if (deny) throw new Invalid(`${f}.rules`, 'L7 rules are not allowed in deny rules');
        l7.push(...kinds);
        warn(
          `${f}.rules`,
          `L7 rules (${kinds.join(', ')}) are not analysed: the L4 part is evaluated, what the L7 filter lets through is unknown`,
        );
      }
    }
  });
  return { ports: anyPortRule ? 'any' : ports, l7 };
}

function parseRules(
  list: unknown,
  field: string,
  dir: Direction,
  deny: boolean,
  policyNamespace: string | undefined,
  warn: (f: string, m: string) => void,
): CiliumRule[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Invalid(field, 'must be a list');
  const side = dir === 'ingress' ? 'from' : 'to';
  return list.map((r, i) => {
    const f = `${field}[${i}]`;
    if (r !== null && !isObj(r)) throw new Invalid(f, 'must be an object');
    const rule = (r ?? {}) as Record<string, unknown>;
    const peers: CiliumPeer[] = [];
    let hasL3 = false;
    const eps = rule[`${side}Endpoints`];
    if (Array.isArray(eps)) {
      hasL3 = true;
      eps.forEach((s, j) => {
        const selector = ciliumSelector(s, `${f}.${side}Endpoints[${j}]`);
        peers.push({
          kind: 'endpoints',
          selector,
          namespace: policyNamespace !== undefined && !namesNamespace(selector) ? policyNamespace : undefined,
        });
      });
    }
    for (const key of [`${side}CIDR`, `${side}CIDRSet`]) {
      const v = rule[key];
      if (!Array.isArray(v)) continue;
      hasL3 = true;
      if (v.length > 0) peers.push({ kind: 'cidr', set: cidrSet(v, `${f}.${key}`) });
    }
    const ents = rule[`${side}Entities`];
    if (Array.isArray(ents)) {
      hasL3 = true;
      ents.forEach((e, j) => {
        if (typeof e !== 'string' || !ENTITIES.includes(e))
          throw new Invalid(`${f}.${side}Entities[${j}]`, `unknown entity "${String(e)}"`);
        peers.push({ kind: 'entity', entity: e as CiliumEntity });
      });
    }
    const unresolved = [`${side}FQDNs`, `${side}Services`, `${side}Groups`, `${side}Nodes`, `${side}Requires`];
    for (const key of unresolved) {
      const v = rule[key];
      if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
      hasL3 = true;
      peers.push({ kind: 'unresolved', what: key });
      warn(
        `${f}.${key}`,
        key === 'toFQDNs'
          ? 'FQDN rules are not analysed (the addresses behind a DNS name are unknown): the peer matches nothing here'
          : `${key} is not analysed: the peer matches nothing here`,
      );
    }
    const { ports, l7 } = parsePorts(rule.toPorts, `${f}.toPorts`, deny, warn);
    const hasPorts = Array.isArray(rule.toPorts) && rule.toPorts.length > 0;
    // no L3 and no L4 part: the rule matches nothing (it only switches on default deny)
    const effectivePeers: CiliumPeer[] | 'any' = hasL3 ? peers : hasPorts ? 'any' : [];
    return { index: i + 1, path: f, deny, peers: effectivePeers, ports, l7 };
  });
}

function parseRuleSet(
  spec: unknown,
  path: string,
  policyNamespace: string | undefined,
  warn: (f: string, m: string) => void,
): CiliumRuleSet | undefined {
  if (!isObj(spec)) throw new Invalid(path, 'must be an object');
  if (spec.nodeSelector !== undefined && spec.endpointSelector === undefined) {
    warn(`${path}.nodeSelector`, 'host policies (nodeSelector) are not analysed: only pod endpoints are');
    return undefined;
  }
  if (!isObj(spec.endpointSelector)) throw new Invalid(`${path}.endpointSelector`, 'required');
  const endpointSelector = ciliumSelector(spec.endpointSelector, `${path}.endpointSelector`);
  const rules: Record<Direction, CiliumRule[]> = { ingress: [], egress: [] };
  const counts: Record<Direction, number> = { ingress: 0, egress: 0 };
  for (const dir of ['ingress', 'egress'] as const) {
    const allow = parseRules(spec[dir], `${path}.${dir}`, dir, false, policyNamespace, warn);
    const deny = parseRules(spec[`${dir}Deny`], `${path}.${dir}Deny`, dir, true, policyNamespace, warn);
    rules[dir] = [...deny, ...allow];
    counts[dir] = allow.length + deny.length;
  }
  const dd = isObj(spec.enableDefaultDeny) ? spec.enableDefaultDeny : {};
  return {
    path,
    endpointSelector,
    rules,
    // the CRD reference: default deny is on for each direction that has rules, unless enableDefaultDeny says false
    defaultDeny: {
      ingress: counts.ingress > 0 && dd.ingress !== false,
      egress: counts.egress > 0 && dd.egress !== false,
    },
  };
}

export interface CiliumParsed {
  policies: CiliumPolicyModel[];
  problems: PolicyProblem[];
}

/** Reads the Cilium policy objects of a snapshot; invalid ones are reported (error) and not applied. */
export function parseCilium(snapshot: Snapshot): CiliumParsed {
  const problems: PolicyProblem[] = [];
  const policies: CiliumPolicyModel[] = [];
  for (const kind of ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'] as const)
    for (const o of snapshot.ofKind(kind)) {
      if (!CILIUM_API.test(o.apiVersion)) continue;
      const warn = (field: string, message: string) =>
        problems.push({ object: o, field, message, level: 'warning', unknown: true });
      const ns = kind === 'CiliumNetworkPolicy' ? (o.namespace ?? 'default') : undefined;
      try {
        const ruleSets: CiliumRuleSet[] = [];
        if (o.raw.spec !== undefined && o.raw.spec !== null) {
          const rs = parseRuleSet(o.raw.spec, 'spec', ns, warn);
          if (rs) ruleSets.push(rs);
        }
        if (Array.isArray(o.raw.specs))
          o.raw.specs.forEach((s: unknown, i: number) => {
            const rs = parseRuleSet(s, `specs[${i}]`, ns, warn);
            if (rs) ruleSets.push(rs);
          });
        if (o.raw.spec == null && !Array.isArray(o.raw.specs)) throw new Invalid('spec', 'spec or specs is required');
        policies.push({ kind, namespace: ns, name: o.name, ruleSets, object: o });
      } catch (err) {
        problems.push(toProblem(o, err));
      }
    }
  return { policies, problems };
}

/** Labels Cilium derives for a pod's endpoint: pod labels, its namespace, namespace labels, service account. */
export function ciliumPodLabels(pod: NetPod, nsLabels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...pod.labels, [NS_LABEL]: pod.namespace };
  for (const [k, v] of Object.entries(nsLabels ?? {})) out[`${NS_LABELS_PREFIX}${k}`] = v;
  out[SA_LABEL] = pod.serviceAccount ?? 'default';
  out['io.cilium.k8s.policy.cluster'] = 'default';
  return out;
}

export function ciliumIpSets(policies: CiliumPolicyModel[]): IpSet[] {
  const out: IpSet[] = [];
  for (const p of policies)
    for (const rs of p.ruleSets)
      for (const dir of ['ingress', 'egress'] as const)
        for (const r of rs.rules[dir])
          if (r.peers !== 'any') for (const x of r.peers) if (x.kind === 'cidr') out.push(x.set);
  return out;
}
