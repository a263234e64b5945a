import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { InputError, type InputProblem, RampartError, writeFileAtomic } from '../core/index.js';
import type { KubeObject } from './kube.js';
import type { RawDocument } from './load.js';
import { buildSnapshot, type Snapshot } from './snapshot.js';

/**
 * What a live snapshot reads: every kind the engines use. Secrets are never read (engines need only their names,
 * which RBAC findings take from rules); ConfigMaps only from kube-system, where aws-auth and the VPC CNI settings
 * live. Optional API groups (admin network policies, Calico, Cilium) that the cluster does not serve are skipped.
 */
export const LIVE_RESOURCES: ReadonlyArray<{ path: string; kind: string; optional?: boolean }> = [
  { path: '/api/v1/namespaces', kind: 'Namespace' },
  { path: '/api/v1/nodes', kind: 'Node' },
  { path: '/api/v1/pods', kind: 'Pod' },
  { path: '/api/v1/services', kind: 'Service' },
  { path: '/api/v1/serviceaccounts', kind: 'ServiceAccount' },
  { path: '/api/v1/replicationcontrollers', kind: 'ReplicationController' },
  { path: '/api/v1/resourcequotas', kind: 'ResourceQuota' },
  { path: '/api/v1/limitranges', kind: 'LimitRange' },
  { path: '/api/v1/namespaces/kube-system/configmaps', kind: 'ConfigMap' },
  { path: '/apis/apps/v1/deployments', kind: 'Deployment' },
  { path: '/apis/apps/v1/replicasets', kind: 'ReplicaSet' },
  { path: '/apis/apps/v1/statefulsets', kind: 'StatefulSet' },
  { path: '/apis/apps/v1/daemonsets', kind: 'DaemonSet' },
  { path: '/apis/batch/v1/jobs', kind: 'Job' },
  { path: '/apis/batch/v1/cronjobs', kind: 'CronJob' },
  { path: '/apis/networking.k8s.io/v1/networkpolicies', kind: 'NetworkPolicy' },
  { path: '/apis/networking.k8s.io/v1/ingresses', kind: 'Ingress' },
  { path: '/apis/rbac.authorization.k8s.io/v1/roles', kind: 'Role' },
  { path: '/apis/rbac.authorization.k8s.io/v1/rolebindings', kind: 'RoleBinding' },
  { path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', kind: 'ClusterRole' },
  { path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', kind: 'ClusterRoleBinding' },
  { path: '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies', kind: 'AdminNetworkPolicy', optional: true },
  {
    path: '/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies',
    kind: 'BaselineAdminNetworkPolicy',
    optional: true,
  },
  { path: '/apis/crd.projectcalico.org/v1/networkpolicies', kind: 'NetworkPolicy', optional: true },
  { path: '/apis/crd.projectcalico.org/v1/globalnetworkpolicies', kind: 'GlobalNetworkPolicy', optional: true },
  { path: '/apis/cilium.io/v2/ciliumnetworkpolicies', kind: 'CiliumNetworkPolicy', optional: true },
  {
    path: '/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies',
    kind: 'CiliumClusterwideNetworkPolicy',
    optional: true,
  },
];

export interface LiveSnapshotOptions {
  /** kubeconfig file; default: $KUBECONFIG or ~/.kube/config, as kubectl. */
  kubeconfig?: string;
  context?: string;
  /** Items per list request (the API server pages with `continue`). */
  pageSize?: number;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/**
 * Reads the cluster the kubeconfig points at into a snapshot, with the credentials kubectl would use (client
 * certificates, tokens, exec plugins such as `aws eks get-token` or `rampart access token`). Each object's source is
 * the API path it came from. A list the caller may not read is an input problem naming the path, not a crash.
 */
export async function loadLiveSnapshot(options: LiveSnapshotOptions = {}): Promise<Snapshot> {
  // Loaded on use: the client library is ~800 files, and every command that reads snapshot files imports this module.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (err) {
    throw new InputError(`cannot read kubeconfig: ${err instanceof Error ? err.message : String(err)}`, {
      file: options.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config',
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new InputError('kubeconfig has no current cluster (set current-context or pass --context)', {
      file: options.kubeconfig,
      field: 'current-context',
    });
  }
  const server = cluster.server.replace(/\/+$/, '');
  const raw: RawDocument[] = [];
  const problems: InputProblem[] = [];
  for (const resource of LIVE_RESOURCES) {
    const source = `${server}${resource.path}`;
    try {
      let continueToken: string | undefined;
      do {
        const query = new URLSearchParams({ limit: String(options.pageSize ?? 500) });
        if (continueToken) query.set('continue', continueToken);
        const page = await getJson(kc, `${source}?${query}`, options.timeoutMs ?? 30_000);
        const list = page as { apiVersion?: string; items?: KubeObject[]; metadata?: { continue?: string } };
        const apiVersion = (list.apiVersion ?? 'v1').replace(/List$/, '');
        (list.items ?? []).forEach((item, i) => {
          // List items from the API omit kind and apiVersion.
          const object = { kind: resource.kind, apiVersion, ...item } as KubeObject;
          if (resource.kind === 'NetworkPolicy' && resource.path.includes('projectcalico')) {
            object.apiVersion = 'projectcalico.org/v3';
          }
          raw.push({ object, source: { file: source, documentIndex: i } });
        });
        continueToken = list.metadata?.continue || undefined;
      } while (continueToken);
    } catch (err) {
      const status = err instanceof HttpStatusError ? err.status : undefined;
      if (status === undefined && raw.length === 0 && problems.length === 0) {
        // The first request failed without an HTTP answer: nothing else will work either.
        throw new RampartError(
          'network',
          `cannot reach ${server}: ${err instanceof Error ? err.message : String(err)}`,
          {
            file: options.kubeconfig,
          },
        );
      }
      if (status === 401) {
        throw new RampartError('auth', `${server} rejected the kubeconfig credentials (HTTP 401)`, {
          file: options.kubeconfig,
        });
      }
      if (resource.optional && status === 404) continue;
      problems.push({
        level: 'error',
        file: source,
        message:
          status === 403
            ? `forbidden: the credentials may not list ${resource.kind} (results that need it will be unknown)`
            : `cannot list ${resource.kind}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  return buildSnapshot(raw, problems, [server]);
}

class HttpStatusError extends RampartError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('network', message);
  }
}

async function getJson(kc: KubeConfig, url: string, timeoutMs: number): Promise<unknown> {
  const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' }, timeout: timeoutMs };
  await kc.applyToHTTPSOptions(opts);
  const u = new URL(url);
  const transport = u.protocol === 'http:' ? http : https;
  return new Promise((resolvePromise, reject) => {
    const req = transport.request(u, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 400) {
          reject(new HttpStatusError(res.statusCode ?? 0, `HTTP ${res.statusCode} ${statusMessage(body)}`));
          return;
        }
        try {
          resolvePromise(JSON.parse(body));
        } catch {
          reject(new Error('response is not JSON'));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The API server's Status message, never the whole body (it could echo a request). */
function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: unknown };
    return typeof s.message === 'string' ? s.message.slice(0, 200) : '';
  } catch {
    return '';
  }
}

/**
 * Writes a snapshot as a directory of kubectl-style `List` files, one per kind (`Deployment.yaml`, …), each written
 * atomically; `managedFields` are dropped (bulky, never used). Returns the files written.
 */
export function writeSnapshotDir(snapshot: Snapshot, dir: string): string[] {
  const written: string[] = [];
  for (const kind of snapshot.kinds()) {
    const items = snapshot
      .ofKind(kind)
      .filter((o) => !o.synthesized)
      .map((o) => {
        const { managedFields: _dropped, ...metadata } = o.raw.metadata ?? {};
        return { ...o.raw, metadata };
      });
    if (items.length === 0) continue;
    const file = join(dir, `${kind}.yaml`);
    writeFileAtomic(
      file,
      stringify({ apiVersion: 'v1', kind: 'List', items }, { lineWidth: 0, aliasDuplicateObjects: false }),
    );
    written.push(file);
  }
  return written;
}
