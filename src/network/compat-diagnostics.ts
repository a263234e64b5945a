import { existsSync, statSync } from 'node:fs';
import { type LoadedObject, listManifestFiles, type Snapshot, WORKLOAD_KINDS } from '../inputs/index.js';
import type { NetworkModel } from './engine.js';
import { workloadMatches } from './matrix.js';
import { type AdminPolicyModel, type NetPod, type Selector, selectorMatches } from './model.js';
import { isObj, type ParsedPolicies } from './parse.js';

/**
 * netpol-analyzer's warnings and non-fatal errors (`--compat netpol-analyzer`): which inputs it refuses, skips or
 * warns about, in its words. Each message keeps Rampart's `file:line: ...` form and quotes the phrase netpol-analyzer
 * prints, so a user comparing the two tools finds the same diagnosis. Outside compat none of this applies: Rampart
 * reports bad input as usage or input errors.
 */
export interface Diagnostic {
  level: 'error' | 'warning';
  text: string;
}

const where = (file: string | undefined, line: number | undefined) =>
  `${file ?? ''}${line !== undefined ? `:${line}` : ''}`;

/** The Go type name of a decoded JSON/YAML value, as netpol-analyzer's decoder names it in its errors. */
function goTypeOf(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  if (isObj(v)) return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v;
}

/**
 * A pod template field whose type does not decode into the Kubernetes Pod type (e.g. `containerPort: []`):
 * netpol-analyzer cannot convert such an object and skips it. Only the fields the analysis reads are checked.
 */
export function podDecodeProblem(o: LoadedObject): { field: string; message: string } | undefined {
  const kind = o.kind;
  let spec: unknown = o.raw.spec;
  let labels: unknown = o.raw.metadata?.labels;
  let base = 'spec';
  if (kind !== 'Pod') {
    const s = isObj(spec) ? spec : {};
    const t = kind === 'CronJob' ? (isObj(s.jobTemplate) && isObj(s.jobTemplate.spec) ? s.jobTemplate.spec : {}) : s;
    const template = isObj(t) ? t.template : undefined;
    if (!isObj(template)) return undefined;
    spec = template.spec;
    labels = isObj(template.metadata) ? template.metadata.labels : undefined;
    base = kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
  }
  const wrong = (field: string, want: 'slice' | 'map' | 'int32' | 'string' | 'bool', got: unknown) => ({
    field,
    message:
      want === 'slice' || want === 'map'
        ? `expected a ${want === 'slice' ? 'list' : 'map'}, got a ${goTypeOf(got)} (netpol-analyzer: cannot restore ${want} from ${goTypeOf(got)})`
        : `expected ${want === 'int32' ? 'an integer' : `a ${want}`}, got a ${goTypeOf(got)} (netpol-analyzer: unrecognized type: ${want})`,
  });
  if (labels !== undefined && labels !== null) {
    if (!isObj(labels)) return wrong('metadata.labels', 'map', labels);
    for (const [k, v] of Object.entries(labels))
      if (typeof v !== 'string') return wrong(`metadata.labels.${k}`, 'string', v);
  }
  if (!isObj(spec)) return undefined;
  if (spec.hostNetwork !== undefined && typeof spec.hostNetwork !== 'boolean')
    return wrong(`${base}.hostNetwork`, 'bool', spec.hostNetwork);
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (cs === undefined || cs === null) continue;
    if (!Array.isArray(cs)) return wrong(`${base}.${list}`, 'slice', cs);
    for (const [i, c] of cs.entries()) {
      if (!isObj(c)) return wrong(`${base}.${list}[${i}]`, 'map', c);
      const ports = c.ports;
      if (ports === undefined || ports === null) continue;
      if (!Array.isArray(ports)) return wrong(`${base}.${list}[${i}].ports`, 'slice', ports);
      for (const [j, p] of ports.entries()) {
        const f = `${base}.${list}[${i}].ports[${j}]`;
        if (!isObj(p)) return wrong(f, 'map', p);
        for (const n of ['containerPort', 'hostPort'])
          if (p[n] !== undefined && !Number.isInteger(p[n])) return wrong(`${f}.${n}`, 'int32', p[n]);
        for (const n of ['name', 'protocol'])
          if (p[n] !== undefined && typeof p[n] !== 'string') return wrong(`${f}.${n}`, 'string', p[n]);
      }
    }
  }
  return undefined;
}

/** What netpol-analyzer says about a document the loader could not use (same condition, its wording quoted). */
function analyzerWording(message: string, file: string | undefined): string | undefined {
  if (/is a list, not a Kubernetes object/.test(message))
    return `${file?.endsWith('.json') ? 'json: ' : ''}cannot unmarshal array into Go value of type unstructured.detector`;
  if (/missing kind/.test(message)) return "Object 'Kind' is missing in the document";
  if (/cannot start with reserved character|Plain value cannot start/.test(message))
    return 'found character that cannot start any token';
  return undefined;
}

/**
 * Reading problems of the input paths in netpol-analyzer's terms, and whether it would stop: a path that does not
 * exist, a directory without manifest files, or input from which not a single object could be read.
 */
export function inputDiagnostics(snapshot: Snapshot, paths: string[]): { problems: Diagnostic[]; fatal: boolean } {
  const problems: Diagnostic[] = [];
  let fatal = false;
  for (const p of paths) {
    if (!existsSync(p)) {
      problems.push({ level: 'error', text: `${p}: no such file or directory (netpol-analyzer: path does not exist)` });
      fatal = true;
    } else if (statSync(p).isDirectory() && listManifestFiles([p]).files.length === 0) {
      problems.push({
        level: 'error',
        text: `${p}: no manifest files found (netpol-analyzer: recognized file extensions are [.json .yaml .yml])`,
      });
      fatal = true;
    }
  }
  for (const p of snapshot.problems) {
    if (p.file !== undefined && paths.includes(p.file) && !existsSync(p.file)) continue; // reported above
    const quoted = analyzerWording(p.message, p.file);
    problems.push({
      level: p.level,
      text: `${where(p.file, p.line)}: ${p.message}${quoted ? ` (netpol-analyzer: ${quoted})` : ''}`,
    });
  }
  const anyObject = snapshot.objects.some((o) => !o.synthesized);
  if (!anyObject && snapshot.problems.some((p) => p.level === 'error')) fatal = true;
  return { problems, fatal };
}

/** Workload objects netpol-analyzer cannot decode: a warning each; the analysis skips them. */
export function decodeDiagnostics(snapshot: Snapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const kind of WORKLOAD_KINDS)
    for (const o of snapshot.ofKind(kind)) {
      const p = podDecodeProblem(o);
      if (p)
        out.push({
          level: 'warning',
          text: `${where(o.source.file, o.source.line)}: ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${p.field}: ${p.message}; skipped`,
        });
    }
  return out;
}

/** "No workloads" / "no policies": the result is then all-allowed or empty, which the user should know. */
export function relevanceDiagnostics(model: NetworkModel, snapshot: Snapshot, multipleNetworks = false): Diagnostic[] {
  const out: Diagnostic[] = [];
  // with multiple networks, KubeVirt VMs are workloads too
  const vms =
    multipleNetworks && snapshot.ofKind('VirtualMachine').length + snapshot.ofKind('VirtualMachineInstance').length > 0;
  if (model.pods.length === 0 && !vms)
    out.push({ level: 'warning', text: 'no relevant Kubernetes workload resources found in the input' });
  if (
    ['NetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'].every((k) => snapshot.ofKind(k).length === 0)
  )
    out.push({ level: 'warning', text: 'no relevant Kubernetes network policy resources found in the input' });
  return out;
}

/** The option combinations netpol-analyzer accepts with a warning, and what it then ignores. */
export interface AnalyzerOptions {
  focusWorkloads?: string[];
  focusWorkloadPeers?: string[];
  focusDirection?: 'ingress' | 'egress';
  explain?: boolean;
  explainOnly?: 'allow' | 'deny';
  exposure?: boolean;
}

export function optionDiagnostics<T extends AnalyzerOptions>(req: T): { req: T; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const out = { ...req };
  const ignored = (flag: string, needs: string) =>
    problems.push({ level: 'warning', text: `${flag} may be used only with ${needs} flag, will be ignored` });
  const hasFocus = (out.focusWorkloads?.length ?? 0) > 0;
  if (!hasFocus && out.focusDirection) {
    ignored('focus-direction', 'focusworkload');
    out.focusDirection = undefined;
  }
  if (!hasFocus && out.focusWorkloadPeers?.length) {
    ignored('focusworkload-peer', 'focusworkload');
    out.focusWorkloadPeers = undefined;
  }
  if (out.exposure && hasFocus && out.focusWorkloadPeers?.length) {
    problems.push({
      level: 'warning',
      text: 'exposure analysis is not relevant when both focusworkload and focusworkload-peer are used; exposure flag will be ignored',
    });
    out.exposure = false;
  }
  if (out.explainOnly && !out.explain) {
    ignored('explain-only', 'explain');
    out.explainOnly = undefined;
  }
  if (out.exposure && out.explain && out.explainOnly) {
    problems.push({
      level: 'warning',
      text: 'exposure analysis is not relevant when both explain and explain-only are used; exposure flag will be ignored',
    });
    out.exposure = false;
  }
  return { req: out, problems };
}

/**
 * Focus workloads (and their peers) that name no workload: a warning each, and they are dropped. When none is left
 * the result is empty (`empty: true`), as netpol-analyzer returns it.
 */
export function focusDiagnostics<T extends AnalyzerOptions>(
  model: NetworkModel,
  req: T,
  alsoKnown: (name: string) => boolean,
): { req: T; problems: Diagnostic[]; empty: boolean } {
  const problems: Diagnostic[] = [];
  const exists = (ref: string) => alsoKnown(ref) || model.pods.some((p) => workloadMatches(ref, p));
  const keep = (list: string[] | undefined): string[] | undefined => {
    if (!list?.length) return list;
    const found = list.filter((ref) => {
      if (exists(ref)) return true;
      problems.push({ level: 'warning', text: `Workload ${ref} does not exist in the input resources.` });
      return false;
    });
    return found;
  };
  const focusWorkloads = keep(req.focusWorkloads);
  const focusWorkloadPeers = keep(req.focusWorkloadPeers);
  const emptied = (before: string[] | undefined, after: string[] | undefined) =>
    (before?.length ?? 0) > 0 && (after?.length ?? 0) === 0;
  const empty = emptied(req.focusWorkloads, focusWorkloads) || emptied(req.focusWorkloadPeers, focusWorkloadPeers);
  return { req: { ...req, focusWorkloads, focusWorkloadPeers }, problems, empty };
}

/** netpol-analyzer's warnings about admin policy parts it does not analyse. */
export function adminPolicyDiagnostics(model: NetworkModel, policies: ParsedPolicies): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const warn = (a: AdminPolicyModel, text: string) => {
    const line = `${where(a.object.source.file, a.object.source.line)}: ${a.kind} ${a.name}: ${text}`;
    if (seen.has(line)) return;
    seen.add(line);
    out.push({ level: 'warning', text: line });
  };
  const inNamespace = (sel: Selector, pod: NetPod) =>
    selectorMatches(
      sel,
      model.namespaces.get(pod.namespace)?.labels ?? { 'kubernetes.io/metadata.name': pod.namespace },
    );
  const matchesPods = (ns: Selector, podSel: Selector | undefined, pod: NetPod) =>
    inNamespace(ns, pod) && (!podSel || selectorMatches(podSel, pod.labels));
  for (const a of policies.adminPolicies) {
    const raw = isObj(a.object.raw.spec) ? a.object.raw.spec : {};
    const egress = Array.isArray(raw.egress) ? raw.egress : [];
    for (const [i, r] of egress.entries()) {
      const to = isObj(r) && Array.isArray(r.to) ? r.to : [];
      for (const peer of to) {
        if (!isObj(peer)) continue;
        if (peer.nodes !== undefined)
          warn(
            a,
            `spec.egress[${i}]: Nodes field of an AdminNetworkPolicyEgressPeer is not supported; the peer matches nothing`,
          );
        if (Array.isArray(peer.networks) && peer.networks.some((c) => typeof c === 'string' && c.includes(':')))
          warn(a, `spec.egress[${i}].networks: IPv6 addresses are not supported by netpol-analyzer; they are ignored`);
      }
    }
    for (const dir of ['ingress', 'egress'] as const)
      for (const rule of a.rules[dir]) {
        if (rule.ports === 'any') continue;
        const names = rule.ports.filter((p) => p.name !== undefined).map((p) => p.name as string);
        if (names.length === 0) continue;
        if (dir === 'egress' && rule.peers.some((p) => p.kind === 'networks'))
          warn(a, `rule ${rule.name}: named port is not defined for IP addresses; skipped`);
        const destinations =
          dir === 'egress'
            ? model.pods.filter((pod) =>
                rule.peers.some((p) => p.kind === 'pods' && matchesPods(p.namespaceSelector, p.podSelector, pod)),
              )
            : model.pods.filter((pod) => matchesPods(a.subject.namespaceSelector, a.subject.podSelector, pod));
        for (const name of names)
          for (const pod of destinations)
            if (!pod.ports.some((c) => c.name === name))
              warn(
                a,
                `rule ${rule.name}: port name: "${name}" has no match in the configuration of the destination peer ${pod.display}`,
              );
      }
  }
  return out;
}

/** Multi-network objects netpol-analyzer skips unless its multiple-networks analysis is on. */
const MULTI_NETWORK_KINDS = new Set([
  'NetworkAttachmentDefinition',
  'MultiNetworkPolicy',
  'UserDefinedNetwork',
  'ClusterUserDefinedNetwork',
]);

export function skippedKindDiagnostics(snapshot: Snapshot, multipleNetworks: boolean): Diagnostic[] {
  if (multipleNetworks) return [];
  const out: Diagnostic[] = [];
  for (const o of snapshot.objects)
    if (MULTI_NETWORK_KINDS.has(o.kind))
      out.push({
        level: 'warning',
        text: `${where(o.source.file, o.source.line)}: skipping object with type: ${o.kind} (multi-network analysis is off)`,
      });
  return out;
}

/**
 * Pods of one owner that differ in labels a selector tells apart: the owner is shown as one workload, so its
 * connections would be wrong. netpol-analyzer refuses the input; so do we under compat.
 */
export function ownerLabelGapErrors(snapshot: Snapshot, policies: ParsedPolicies): Diagnostic[] {
  const byOwner = new Map<string, Array<Record<string, string>>>();
  for (const o of snapshot.ofKind('Pod')) {
    const refs = o.raw.metadata?.ownerReferences;
    const owner = Array.isArray(refs) ? refs.find((r) => isObj(r) && r.controller === true) : undefined;
    if (!isObj(owner) || typeof owner.name !== 'string') continue;
    const key = `${o.namespace ?? 'default'}/${owner.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), o.labels]);
  }
  const selectors: Selector[] = [];
  for (const np of policies.networkPolicies) {
    selectors.push(np.podSelector);
    for (const dir of ['ingress', 'egress'] as const)
      for (const r of np.rules[dir])
        if (r.peers !== 'any')
          for (const p of r.peers) if (p.kind === 'pods' && p.podSelector) selectors.push(p.podSelector);
  }
  for (const a of policies.adminPolicies) {
    if (a.subject.podSelector) selectors.push(a.subject.podSelector);
    for (const dir of ['ingress', 'egress'] as const)
      for (const r of a.rules[dir])
        for (const p of r.peers) if (p.kind === 'pods' && p.podSelector) selectors.push(p.podSelector);
  }
  const out: Diagnostic[] = [];
  for (const [owner, labelSets] of byOwner) {
    if (labelSets.length < 2) continue;
    const split = selectors.some((s) => {
      const m = labelSets.map((l) => selectorMatches(s, l));
      return m.some(Boolean) && !m.every(Boolean);
    });
    if (split)
      out.push({
        level: 'error',
        text: `Found Pods of the same owner workload \`${owner}\` and with differences in their labels, while a network policy contains selectors impacted by this gap.\nThe owner is analysed as one workload, so its connections would depend on which pod stands for it; give its pods the same labels or split the owner.`,
      });
  }
  return out;
}

/**
 * Everything netpol-analyzer would report about this input and these options, in its order (reading problems first),
 * with the options it ignores removed, whether it stops (`fatal`), and whether the result is empty because every
 * focus workload or peer is unknown.
 */
export function analyzerDiagnostics<T extends AnalyzerOptions & { paths: string[]; multipleNetworks?: boolean }>(
  snapshot: Snapshot,
  net: { model: NetworkModel; policies: ParsedPolicies },
  request: T,
  alsoKnown: (name: string) => boolean,
): { req: T; problems: Diagnostic[]; fatal: boolean; empty: boolean } {
  const input = inputDiagnostics(snapshot, request.paths);
  const options = optionDiagnostics(request);
  const focus = focusDiagnostics(net.model, options.req, alsoKnown);
  const gaps = ownerLabelGapErrors(snapshot, net.policies);
  const problems = [
    ...input.problems,
    ...decodeDiagnostics(snapshot),
    ...focus.problems,
    ...relevanceDiagnostics(net.model, snapshot, request.multipleNetworks === true),
    ...options.problems,
    ...adminPolicyDiagnostics(net.model, net.policies),
    ...skippedKindDiagnostics(snapshot, request.multipleNetworks === true),
    ...gaps,
  ];
  return { req: focus.req, problems, fatal: input.fatal || gaps.length > 0, empty: focus.empty };
}
