/**
 * Deterministic synthetic clusters for the network benchmark: namespaces with team/env labels, Deployments whose pods
 * carry app/tier labels and named ports, and a policy mix of default-deny, pod and namespace selectors, match
 * expressions, ipBlocks with except, named ports and a few AdminNetworkPolicies, plus Calico (one GlobalNetworkPolicy
 * per 100 policies and a namespaced Calico NetworkPolicy per 20: selector expressions, Deny/Pass/Allow, nets/notNets,
 * named ports) and Cilium (a CiliumNetworkPolicy per 20, a clusterwide deny per 200: endpoints, entities, CIDRSet with
 * except, toPorts, ingressDeny). Calico/Cilium policies are applied only under the matching --cni and reported as
 * not enforced otherwise. Same seed → same cluster.
 */
export interface ClusterSize {
  pods: number;
  namespaces: number;
  policies: number;
}

type Obj = Record<string, unknown>;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APPS = ['web', 'api', 'worker', 'db', 'cache', 'auth', 'search', 'queue'];
const TIERS = ['frontend', 'backend', 'data'];
const TEAMS = ['red', 'blue', 'green', 'gold'];

export function generateCluster(size: ClusterSize, seed = 42): Obj[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: Obj[] = [];
  const nsNames: string[] = [];
  for (let i = 0; i < size.namespaces; i++) {
    const name = `ns-${i}`;
    nsNames.push(name);
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { team: pick(TEAMS), env: i % 5 === 0 ? 'prod' : 'dev' } },
    });
  }
  for (let i = 0; i < size.pods; i++) {
    const ns = nsNames[i % size.namespaces] as string;
    const app = pick(APPS);
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${app}-${i}`, namespace: ns, labels: { app, tier: pick(TIERS) } },
      spec: {
        containers: [
          {
            name: app,
            ports: [
              { name: 'http', containerPort: 8000 + APPS.indexOf(app) },
              { name: 'metrics', containerPort: 9090 },
            ],
          },
        ],
      },
    });
  }
  for (let i = 0; i < size.policies; i++) {
    const ns = pick(nsNames);
    const kind = i % 10;
    let spec: Obj;
    if (kind === 0) spec = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
    else if (kind <= 4)
      spec = {
        podSelector: { matchLabels: { app: pick(APPS) } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: pick(APPS) } } },
              {
                namespaceSelector: { matchLabels: { team: pick(TEAMS) } },
                podSelector: { matchLabels: { tier: pick(TIERS) } },
              },
            ],
            ports: [{ port: 'http' }, { port: 9090 }],
          },
        ],
      };
    else if (kind <= 6)
      spec = {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [pick(TIERS), pick(TIERS)] }] },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] } }] },
          { ports: [{ port: 53, protocol: 'UDP' }] },
          {
            to: [{ ipBlock: { cidr: `10.${i % 256}.0.0/16`, except: [`10.${i % 256}.${i % 200}.0/24`] } }],
            ports: [{ port: 443, endPort: 445 }],
          },
        ],
      };
    else
      spec = {
        podSelector: { matchLabels: { app: pick(APPS), tier: pick(TIERS) } },
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 8000, endPort: 8010 }] }],
      };
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `np-${i}`, namespace: ns },
      spec,
    });
  }
  const anps = Math.max(1, Math.floor(size.policies / 200));
  for (let i = 0; i < anps; i++)
    out.push({
      apiVersion: 'policy.networking.k8s.io/v1alpha1',
      kind: 'AdminNetworkPolicy',
      metadata: { name: `anp-${i}` },
      spec: {
        priority: i + 1,
        subject: { namespaces: { matchLabels: { team: pick(TEAMS) } } },
        ingress: [
          {
            name: 'deny-other-teams-db',
            action: 'Deny',
            from: [{ namespaces: { matchLabels: { team: pick(TEAMS) } } }],
            ports: [{ portNumber: { protocol: 'TCP', port: 5432 } }],
          },
          { name: 'pass-rest', action: 'Pass', from: [{ namespaces: {} }] },
        ],
      },
    });
  const calicoGlobal = Math.max(1, Math.floor(size.policies / 100));
  for (let i = 0; i < calicoGlobal; i++)
    out.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: `gnp-${i}` },
      spec: {
        order: 10 + i,
        namespaceSelector: `team == '${pick(TEAMS)}'`,
        selector: `app in {'${pick(APPS)}', '${pick(APPS)}'} && has(tier)`,
        ingress: [
          {
            action: 'Deny',
            protocol: 'TCP',
            source: { namespaceSelector: `env == 'dev'` },
            destination: { ports: [5432] },
          },
          { action: 'Pass' },
        ],
        egress: [
          { action: 'Deny', destination: { nets: ['169.254.169.254/32'] } },
          {
            action: 'Allow',
            protocol: 'TCP',
            destination: { nets: ['0.0.0.0/0'], notNets: ['10.0.0.0/8'], ports: [443] },
          },
          { action: 'Pass' },
        ],
      },
    });
  for (let i = 0; i < Math.floor(size.policies / 20); i++) {
    const ns = pick(nsNames);
    out.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: `cnp-${i}`, namespace: ns },
      spec: {
        order: 500,
        selector: `tier == '${pick(TIERS)}'`,
        ingress: [
          {
            action: 'Allow',
            protocol: 'TCP',
            source: { selector: `app != '${pick(APPS)}'` },
            destination: { ports: ['http', 9090] },
          },
          { action: 'Deny' },
        ],
      },
    });
    out.push({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: `cil-${i}`, namespace: ns },
      spec: {
        endpointSelector: { matchLabels: { app: pick(APPS) } },
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { tier: pick(TIERS) } }],
            toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }],
          },
          { fromEndpoints: [{ matchLabels: { 'io.kubernetes.pod.namespace': pick(nsNames) } }] },
        ],
        egress: [
          { toEntities: ['cluster'] },
          {
            toCIDRSet: [{ cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] }],
            toPorts: [{ ports: [{ port: '443' }] }],
          },
        ],
      },
    });
  }
  for (let i = 0; i < Math.max(1, Math.floor(size.policies / 200)); i++)
    out.push({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: `ccnp-${i}` },
      spec: {
        endpointSelector: { matchLabels: { 'io.cilium.k8s.namespace.labels.team': pick(TEAMS) } },
        ingressDeny: [
          {
            fromEndpoints: [{ matchLabels: { 'io.cilium.k8s.namespace.labels.env': 'dev' } }],
            toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }],
          },
        ],
      },
    });
  return out;
}
