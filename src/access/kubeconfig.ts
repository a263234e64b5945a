import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { InputError, RampartError, UsageError, writeFileAtomic } from '../core/index.js';
import { awsConfigPaths } from './aws-config.js';

/**
 * `aws eks update-kubeconfig`, natively: DescribeCluster, then the same cluster/user/context entries the AWS CLI
 * writes (names, exec plugin args, AWS_PROFILE env), merged into the kubeconfig by name, every other entry and
 * unknown field kept, current-context switched, written atomically with mode 0600.
 */
export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

export interface ClusterDescription {
  name: string;
  arn: string;
  endpoint: string;
  certificateAuthorityData: string;
  status: string;
  id?: string;
  /** Outposts local cluster (outpostConfig without etcd instance type): token uses --cluster-id. */
  outpostLocal?: boolean;
  version?: string;
  authenticationMode?: string;
  endpointPublicAccess?: boolean;
  endpointPrivateAccess?: boolean;
  publicAccessCidrs?: string[];
}

export interface KubeconfigOptions {
  name: string;
  region: string;
  profile?: string;
  roleArn?: string;
  alias?: string;
  userAlias?: string;
  kubeconfig?: string;
  dryRun?: boolean;
  /** `aws` (default, like the AWS CLI) or `rampart` (Rampart is the exec plugin). */
  exec?: 'aws' | 'rampart';
  endpointUrl?: string;
  env?: NodeJS.ProcessEnv;
}

export interface EksClientOptions {
  region: string;
  profile?: string;
  endpointUrl?: string;
}

export function eksClient(opts: EksClientOptions): EKSClient {
  return new EKSClient({
    region: opts.region,
    credentials: opts.profile ? fromIni({ profile: opts.profile }) : fromNodeProviderChain(),
    ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
    maxAttempts: 2,
  });
}

/** DescribeCluster, with AWS errors turned into one-line Rampart errors. */
export async function describeCluster(opts: EksClientOptions & { name: string }): Promise<ClusterDescription> {
  let out: { cluster?: Record<string, unknown> };
  const client = eksClient(opts);
  try {
    out = (await client.send(new DescribeClusterCommand({ name: opts.name }))) as { cluster?: Record<string, unknown> };
  } catch (err) {
    const e = err as Error & { name?: string };
    const kind =
      e.name === 'ResourceNotFoundException' ? 'input' : e.name === 'CredentialsProviderError' ? 'auth' : 'network';
    throw new RampartError(
      kind,
      `DescribeCluster ${opts.name} in ${opts.region}: ${e.name ?? 'error'}: ${e.message.split('\n')[0]}`,
    );
  } finally {
    client.destroy();
  }
  const c = out.cluster;
  if (!c || typeof c.status !== 'string') throw new RampartError('input', `Cluster not found: ${opts.name}`);
  const vpc = (c.resourcesVpcConfig ?? {}) as Record<string, unknown>;
  const outpost = c.outpostConfig as Record<string, unknown> | undefined;
  return {
    name: String(c.name ?? opts.name),
    arn: String(c.arn ?? ''),
    endpoint: String(c.endpoint ?? ''),
    certificateAuthorityData: String((c.certificateAuthority as { data?: string } | undefined)?.data ?? ''),
    status: c.status,
    id: typeof c.id === 'string' ? c.id : undefined,
    outpostLocal:
      outpost !== undefined && outpost.controlPlaneInstanceType !== undefined && outpost.etcdInstanceType === undefined,
    version: typeof c.version === 'string' ? c.version : undefined,
    authenticationMode: (c.accessConfig as { authenticationMode?: string } | undefined)?.authenticationMode,
    endpointPublicAccess: vpc.endpointPublicAccess as boolean | undefined,
    endpointPrivateAccess: vpc.endpointPrivateAccess as boolean | undefined,
    publicAccessCidrs: vpc.publicAccessCidrs as string[] | undefined,
  };
}

/** The region inside a cluster ARN (the AWS CLI takes the exec `--region` from there). */
export function regionOfArn(arn: string, fallback: string): string {
  return arn.split(':')[3] || fallback;
}

export interface KubeconfigEntries {
  cluster: Record<string, unknown>;
  user: Record<string, unknown>;
  context: Record<string, unknown>;
  contextName: string;
}

/** The three entries, exactly as update-kubeconfig shapes them. */
export function kubeconfigEntries(c: ClusterDescription, opts: KubeconfigOptions): KubeconfigEntries {
  const region = regionOfArn(c.arn, opts.region);
  const userName = opts.userAlias ?? c.arn;
  const contextName = opts.alias ?? userName;
  const idArgs = c.outpostLocal && c.id ? ['--cluster-id', c.id] : ['--cluster-name', c.name];
  let exec: Record<string, unknown>;
  if (opts.exec === 'rampart') {
    const args = ['access', 'token', '--cluster', idArgs[1] as string, '--region', region];
    if (opts.roleArn) args.push('--role-arn', opts.roleArn);
    exec = { apiVersion: EXEC_API_VERSION, args, command: 'rampart' };
  } else {
    const args = ['--region', region, 'eks', 'get-token', ...idArgs, '--output', 'json'];
    if (opts.roleArn) args.push('--role', opts.roleArn);
    exec = { apiVersion: EXEC_API_VERSION, args, command: 'aws' };
  }
  const profile = opts.profile ?? opts.env?.AWS_PROFILE;
  if (profile) exec.env = [{ name: 'AWS_PROFILE', value: profile }];
  return {
    cluster: { cluster: { 'certificate-authority-data': c.certificateAuthorityData, server: c.endpoint }, name: c.arn },
    user: { name: userName, user: { exec } },
    context: { context: { cluster: c.arn, user: userName }, name: contextName },
    contextName,
  };
}

/** `--kubeconfig`, else the first path of KUBECONFIG, else ~/.kube/config (as the AWS CLI chooses). */
export function kubeconfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  const first = env.KUBECONFIG?.split(':').find((p) => p !== '');
  return first ?? join(awsConfigPaths(env).home, '.kube', 'config');
}

/**
 * The file update-kubeconfig writes to: `--kubeconfig`; else, of the KUBECONFIG paths, the first that already holds
 * a cluster entry named `clusterArn` (unreadable later candidates are skipped, a broken first one is an error); else
 * the first path (or ~/.kube/config).
 */
export function chooseKubeconfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv, clusterArn: string): string {
  const first = kubeconfigPath(explicit, env);
  if (explicit) return first;
  const candidates = (env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
  for (const [i, candidate] of candidates.entries()) {
    let config: Kubeconfig;
    try {
      config = readKubeconfig(candidate);
    } catch (err) {
      if (i === 0) throw err;
      continue;
    }
    const clusters = (config.clusters as Array<{ name?: unknown }> | undefined) ?? [];
    if (clusters.some((c) => c.name === clusterArn)) return candidate;
  }
  return first;
}

type Kubeconfig = Record<string, unknown>;
const LIST_KEYS = ['clusters', 'contexts', 'users'] as const;

/** Reads a kubeconfig for merging; a missing or empty file is a fresh one. Wrong shapes are InputErrors. */
export function readKubeconfig(path: string): Kubeconfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') text = '';
    else throw new InputError(`cannot read kubeconfig: ${(err as Error).message}`, { file: path });
  }
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text);
  } catch (err) {
    const e = err as Error & { linePos?: Array<{ line: number }> };
    throw new InputError(`kubeconfig is not valid YAML: ${e.message.split('\n')[0]}`, {
      file: path,
      line: e.linePos?.[0]?.line,
    });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError('kubeconfig must be a YAML mapping', { file: path });
  const config = doc as Kubeconfig;
  for (const key of LIST_KEYS) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) throw new InputError(`must be a list`, { file: path, field: key });
    v.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw new InputError('list items must be mappings', { file: path, field: `${key}[${i}]` });
    });
  }
  return config;
}

function upsert(list: Record<string, unknown>[], entry: Record<string, unknown>): boolean {
  const i = list.findIndex((e) => e.name === entry.name);
  if (i >= 0) list[i] = entry;
  else list.push(entry);
  return i >= 0;
}

/** Merges the entries by name (replace in place, else append), switches current-context; keeps everything else. */
export function mergeKubeconfig(
  existing: Kubeconfig,
  entries: KubeconfigEntries,
): { config: Kubeconfig; updated: boolean } {
  const config: Kubeconfig = {
    apiVersion: existing.apiVersion ?? 'v1',
    clusters: [...((existing.clusters as Record<string, unknown>[] | null) ?? [])],
    contexts: [...((existing.contexts as Record<string, unknown>[] | null) ?? [])],
    'current-context': existing['current-context'] ?? '',
    kind: existing.kind ?? 'Config',
    preferences: existing.preferences ?? {},
    users: [...((existing.users as Record<string, unknown>[] | null) ?? [])],
  };
  for (const [k, v] of Object.entries(existing)) if (!(k in config)) config[k] = v;
  const updated = upsert(config.clusters as Record<string, unknown>[], entries.cluster);
  upsert(config.users as Record<string, unknown>[], entries.user);
  upsert(config.contexts as Record<string, unknown>[], entries.context);
  config['current-context'] = entries.contextName;
  return { config, updated };
}

export interface KubeconfigResult {
  path: string;
  message: string;
  /** The YAML written (or that would be written with --dry-run). */
  yaml: string;
  written: boolean;
}

/** `rampart access kubeconfig`. Nothing is written when anything fails or with dryRun. */
export async function updateKubeconfig(opts: KubeconfigOptions): Promise<KubeconfigResult> {
  if (!opts.name) throw new UsageError('--name is required');
  if (!opts.region) throw new UsageError('--region is required');
  // A broken target file fails before any AWS call.
  readKubeconfig(kubeconfigPath(opts.kubeconfig, opts.env));
  const cluster = await describeCluster({
    name: opts.name,
    region: opts.region,
    profile: opts.profile,
    endpointUrl: opts.endpointUrl,
  });
  const path = chooseKubeconfigPath(opts.kubeconfig, opts.env ?? process.env, cluster.arn);
  const existing = readKubeconfig(path);
  if (cluster.status !== 'ACTIVE' && cluster.status !== 'UPDATING')
    throw new RampartError('input', `Cluster status is ${cluster.status}`);
  const entries = kubeconfigEntries(cluster, opts);
  const { config, updated } = mergeKubeconfig(existing, entries);
  const yaml = stringifyYaml(config, { lineWidth: 0 });
  if (opts.dryRun) return { path, message: '', yaml, written: false };
  writeFileAtomic(path, yaml, 0o600);
  const message = updated
    ? `Updated context ${entries.contextName} in ${path}`
    : `Added new context ${entries.contextName} to ${path}`;
  return { path, message, yaml, written: true };
}
