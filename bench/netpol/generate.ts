/**
 * Deterministic synthetic clusters for the network benchmark: namespaces with team/env labels, Deployments whose pods
 * carry app/tier labels and named ports, and a policy mix of default-deny, pod and namespace selectors, match
 * expressions, ipBlocks with except, named ports and a few AdminNetworkPolicies. Same seed → same cluster.
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
  return out;
}
