import { type Finding, makeFinding, type Severity } from '../core/index.js';
import type { LoadedObject } from '../inputs/index.js';
import type { BuiltNetwork } from './build.js';
import { ConnSet } from './conn.js';
import { parseCidr } from './ip.js';
import { type NetPod, type NetworkPolicyModel, type NpPeer, selectorIsEmpty, selectorMatches } from './model.js';

const METADATA_IP = parseCidr('169.254.169.254/32') as NonNullable<ReturnType<typeof parseCidr>>;
const NAME_LABEL = 'kubernetes.io/metadata.name';

const KUBE_DNS_STANDIN: NetPod = {
  // an index past every real pod: selector results for it are computed, never cached
  index: Number.MAX_SAFE_INTEGER,
  namespace: 'kube-system',
  name: 'coredns',
  kind: 'Deployment',
  display: 'kube-system/coredns[Deployment]',
  labels: { 'k8s-app': 'kube-dns' },
  ips: [],
  hostNetwork: false,
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ],
};

interface LintRule {
  id: string;
  title: string;
  severity: Severity;
  remediation: string;
}

export const LINT_RULES: Record<string, LintRule> = {
  invalid: {
    id: 'NETPOL-001',
    title: 'Policy the API server would reject (not applied)',
    severity: 'HIGH',
    remediation: 'Fix the field named in the finding; until then the policy is not in force.',
  },
  danglingPodSelector: {
    id: 'NETPOL-002',
    title: 'Pod selector matches no pod',
    severity: 'MEDIUM',
    remediation: 'Check the labels: a selector that matches nothing allows nothing (or isolates nothing).',
  },
  danglingNamespaceSelector: {
    id: 'NETPOL-003',
    title: 'Namespace selector matches no namespace',
    severity: 'MEDIUM',
    remediation: `Select namespaces by the immutable ${NAME_LABEL} label or fix the labels.`,
  },
  andOrTrap: {
    id: 'NETPOL-004',
    title: 'namespaceSelector and podSelector in separate peers (OR) — probably meant as one peer (AND)',
    severity: 'HIGH',
    remediation:
      'Put namespaceSelector and podSelector in the same list item to require both; as two items either one suffices.',
  },
  namedPort: {
    id: 'NETPOL-005',
    title: 'Named port that no destination pod defines with this protocol',
    severity: 'MEDIUM',
    remediation: 'Use a containerPort name (and protocol) that the destination pods declare, or a port number.',
  },
  policyTypes: {
    id: 'NETPOL-006',
    title: 'Rules ignored because policyTypes omits their direction',
    severity: 'HIGH',
    remediation: 'Add the direction to spec.policyTypes or delete the inert rules.',
  },
  unisolated: {
    id: 'NETPOL-007',
    title: 'Workload not isolated in a namespace that has policies',
    severity: 'MEDIUM',
    remediation: 'Add a default-deny policy (podSelector: {}) or select the workload in an existing policy.',
  },
  noDefaultDeny: {
    id: 'NETPOL-008',
    title: 'Namespace without default deny',
    severity: 'LOW',
    remediation:
      'Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules, then allow what is needed.',
  },
  dns: {
    id: 'NETPOL-009',
    title: 'Egress default deny without DNS to kube-dns',
    severity: 'MEDIUM',
    remediation: 'Allow UDP and TCP 53 to kube-system pods labelled k8s-app=kube-dns.',
  },
  metadata: {
    id: 'NETPOL-010',
    title: 'Egress to 0.0.0.0/0 that does not except the instance metadata address 169.254.169.254/32',
    severity: 'HIGH',
    remediation: 'Add 169.254.169.254/32 to ipBlock.except so pods cannot reach IMDS credentials of the node.',
  },
  tenantLabel: {
    id: 'NETPOL-011',
    title: `namespaceSelector on a label tenants can edit instead of ${NAME_LABEL}`,
    severity: 'MEDIUM',
    remediation: `Select namespaces with ${NAME_LABEL}, which only the API server sets.`,
  },
  unsupported: {
    id: 'NETPOL-013',
    title: 'Policy not enforced by the selected CNI, or a part not analysed (L7, FQDN, host endpoints)',
    severity: 'MEDIUM',
    remediation: 'Pick the CNI the cluster runs with --cni; review L7/FQDN rules by hand (their L4 part is analysed).',
  },
  samePriority: {
    id: 'NETPOL-014',
    title: 'Admin policies share a priority (their order is undefined)',
    severity: 'MEDIUM',
    remediation: 'Give every AdminNetworkPolicy / ClusterNetworkPolicy of a tier its own priority.',
  },
  allowAll: {
    id: 'NETPOL-012',
    title: 'Rule allows every peer on every port',
    severity: 'MEDIUM',
    remediation: 'Restrict the rule with from/to and ports, or delete the policy if allow-all is intended.',
  },
};

function finding(rule: LintRule, o: LoadedObject, field: string, message: string, discriminator = field): Finding {
  return makeFinding({
    ruleId: rule.id,
    pillar: 'network',
    title: rule.title,
    description: message,
    severity: rule.severity,
    status: 'fail',
    resource: {
      type: 'kubernetes',
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      file: o.source.file,
      line: o.source.line,
    },
    evidence: { field },
    remediation: rule.remediation,
    discriminator,
  });
}

/** A policy kind the engine does not model: `unknown` with the reason, never a silent pass. */
function unanalysed(o: LoadedObject, reason: string): Finding {
  const rule = LINT_RULES.unsupported as LintRule;
  return makeFinding({
    ruleId: rule.id,
    pillar: 'network',
    title: rule.title,
    severity: rule.severity,
    status: 'unknown',
    reason,
    resource: {
      type: 'kubernetes',
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      file: o.source.file,
      line: o.source.line,
    },
    remediation: rule.remediation,
  });
}

/** `netpol lint`: mistakes in policies that the API server accepts (and those it would reject). */
export function lintNetwork(net: BuiltNetwork): Finding[] {
  const { model } = net;
  const out: Finding[] = [];
  for (const p of net.problems)
    if (p.level === 'error') out.push(finding(LINT_RULES.invalid as LintRule, p.object, p.field, p.message));
    else if (p.unknown || /^(cilium\.io|projectcalico\.org|crd\.projectcalico\.org)\//.test(p.object.apiVersion))
      out.push(unanalysed(p.object, p.message));
    else if (p.field === 'spec.priority')
      out.push(finding(LINT_RULES.samePriority as LintRule, p.object, p.field, p.message));
    else out.push(finding(LINT_RULES.namedPort as LintRule, p.object, p.field, p.message));
  const pods = model.pods.filter((p) => !model.isNode(p));
  const nsNames = [...model.namespaces.values()];
  for (const np of model.networkPolicies) {
    const o = np.object;
    const selected = pods.filter((p) => p.namespace === np.namespace && selectorMatches(np.podSelector, p.labels));
    if (selected.length === 0 && pods.some((p) => p.namespace === np.namespace))
      out.push(
        finding(
          LINT_RULES.danglingPodSelector as LintRule,
          o,
          'spec.podSelector',
          'spec.podSelector selects no workload in the namespace',
        ),
      );
    for (const dir of ['ingress', 'egress'] as const) {
      if (np.ignoredRules[dir])
        out.push(
          finding(
            LINT_RULES.policyTypes as LintRule,
            o,
            `spec.${dir}`,
            `spec.${dir} has rules but policyTypes does not include ${dir === 'ingress' ? 'Ingress' : 'Egress'}: they are ignored`,
          ),
        );
      for (const rule of np.rules[dir]) {
        if (rule.peers === 'any' && rule.ports === 'any')
          out.push(finding(LINT_RULES.allowAll as LintRule, o, rule.path, `${rule.path} allows all ${dir} traffic`));
        if (rule.peers !== 'any') {
          lintPeers(np, rule.peers, dir, out, pods, nsNames);
          if (dir === 'egress') lintMetadata(np, rule.peers, out);
        }
        if (rule.ports !== 'any')
          rule.ports.forEach((port, i) => {
            if (port.name === undefined) return;
            const dsts =
              dir === 'ingress'
                ? selected
                : pods.filter(
                    (d) =>
                      rule.peers === 'any' ||
                      rule.peers.some((x) => model.npPeerMatches(np, x, { type: 'pod', pod: d })),
                  );
            const defines = dsts.some((d) => d.ports.some((c) => c.name === port.name && c.protocol === port.protocol));
            if (!defines) {
              const otherProto = dsts.some((d) => d.ports.some((c) => c.name === port.name));
              out.push(
                finding(
                  LINT_RULES.namedPort as LintRule,
                  o,
                  `${rule.path}.ports[${i}]`,
                  otherProto
                    ? `named port "${port.name}" exists on the destinations only with another protocol than ${port.protocol}`
                    : `named port "${port.name}" is not defined by any destination workload`,
                ),
              );
            }
          });
      }
    }
  }
  lintNamespaces(net, out);
  return out;
}

function lintPeers(
  np: NetworkPolicyModel,
  peers: NpPeer[],
  dir: string,
  out: Finding[],
  pods: BuiltNetwork['model']['pods'],
  namespaces: Array<{ name: string; labels: Record<string, string> }>,
): void {
  const o = np.object;
  peers.forEach((peer, i) => {
    if (peer.kind !== 'pods') return;
    if (peer.namespaceSelector && !selectorIsEmpty(peer.namespaceSelector)) {
      const nsSel = peer.namespaceSelector;
      if (!namespaces.some((n) => selectorMatches(nsSel, n.labels)))
        out.push(
          finding(
            LINT_RULES.danglingNamespaceSelector as LintRule,
            o,
            `${peer.path}.namespaceSelector`,
            `${peer.path}.namespaceSelector matches no namespace`,
          ),
        );
      const keys = [...Object.keys(nsSel.matchLabels), ...nsSel.matchExpressions.map((e) => e.key)];
      if (keys.some((k) => k !== NAME_LABEL))
        out.push(
          finding(
            LINT_RULES.tenantLabel as LintRule,
            o,
            `${peer.path}.namespaceSelector`,
            `${peer.path}.namespaceSelector uses ${keys.filter((k) => k !== NAME_LABEL).join(', ')}: anyone who can label a namespace can join`,
          ),
        );
    }
    if (peer.podSelector && !selectorIsEmpty(peer.podSelector)) {
      const podSel = peer.podSelector;
      const inScope = pods.filter((p) =>
        peer.namespaceSelector === undefined
          ? p.namespace === np.namespace
          : namespaces.some(
              (n) => n.name === p.namespace && selectorMatches(peer.namespaceSelector as never, n.labels),
            ),
      );
      if (!inScope.some((p) => selectorMatches(podSel, p.labels)))
        out.push(
          finding(
            LINT_RULES.danglingPodSelector as LintRule,
            o,
            `${peer.path}.podSelector`,
            `${peer.path}.podSelector matches no workload`,
          ),
        );
    }
    // the AND/OR trap: `- namespaceSelector: …` followed by `- podSelector: …` as two items
    const next = peers[i + 1];
    if (
      next?.kind === 'pods' &&
      peer.namespaceSelector &&
      !peer.podSelector &&
      next.podSelector &&
      !next.namespaceSelector
    )
      out.push(
        finding(
          LINT_RULES.andOrTrap as LintRule,
          o,
          peer.path,
          `${peer.path} and the next ${dir === 'ingress' ? 'from' : 'to'} item are OR-ed: any pod of the selected namespaces OR the selected pods of ${np.namespace}`,
        ),
      );
  });
}

function lintMetadata(np: NetworkPolicyModel, peers: NpPeer[], out: Finding[]): void {
  for (const peer of peers) {
    if (peer.kind !== 'ipBlock') continue;
    const r = parseCidr(peer.cidr);
    if (r?.family !== 4 || r.lo !== 0n || r.hi !== 0xffffffffn) continue;
    if (peer.set.containsRange(METADATA_IP))
      out.push(
        finding(
          LINT_RULES.metadata as LintRule,
          np.object,
          `${peer.path}.ipBlock`,
          `${peer.path}.ipBlock ${peer.cidr} includes 169.254.169.254 (instance metadata)`,
        ),
      );
  }
}

function lintNamespaces(net: BuiltNetwork, out: Finding[]): void {
  const { model } = net;
  const kubeDns = model.pods.filter((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-dns');
  const dnsConns = ConnSet.of('UDP', 53);
  for (const ns of [...model.namespaces.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const nsObj = net.namespaceObjects.get(ns.name);
    if (!nsObj || ns.name.startsWith('kube-')) continue;
    const nps = model.networkPolicies.filter((p) => p.namespace === ns.name);
    const pods = model.pods.filter((p) => p.namespace === ns.name && !model.isNode(p));
    if (pods.length === 0) continue;
    for (const dir of ['ingress', 'egress'] as const) {
      const denyAll = nps.some((p) => p.types[dir] && selectorIsEmpty(p.podSelector) && p.rules[dir].length === 0);
      if (!denyAll)
        out.push(
          finding(
            LINT_RULES.noDefaultDeny as LintRule,
            nsObj,
            'metadata.name',
            `namespace ${ns.name} has no default-deny ${dir} policy`,
            dir,
          ),
        );
    }
    if (nps.length > 0)
      for (const pod of pods)
        if (!model.isIsolated(pod, 'ingress') && pod.object)
          out.push(
            finding(
              LINT_RULES.unisolated as LintRule,
              pod.object,
              'metadata.labels',
              `${pod.display} is selected by no ingress policy while namespace ${ns.name} has ${nps.length}`,
            ),
          );
    // DNS: every egress-isolated workload should reach kube-dns on UDP 53
    for (const pod of pods) {
      if (!model.isIsolated(pod, 'egress') || !pod.object) continue;
      // without kube-dns in the snapshot, judge against the pod EKS runs (kube-system, k8s-app=kube-dns)
      const targets = (kubeDns.length > 0 ? kubeDns : [KUBE_DNS_STANDIN]).map((d) => ({
        type: 'pod' as const,
        pod: d,
      }));
      const ok = targets.some((t) =>
        model.evaluateDirection(pod, t, 'egress').some((s) => s.allowed && !s.conns.intersect(dnsConns).isEmpty()),
      );
      if (!ok)
        out.push(
          finding(
            LINT_RULES.dns as LintRule,
            pod.object,
            'spec',
            `${pod.display} is egress-isolated and cannot reach kube-dns on UDP 53`,
            'dns',
          ),
        );
    }
  }
}
