import { Sha256 } from '@aws-crypto/sha256-js';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { RampartError, UsageError } from '../core/index.js';

/**
 * The EKS bearer token, generated natively as `aws eks get-token` does: `k8s-aws-v1.` + base64url (no padding) of a
 * SigV4-presigned STS GetCallerIdentity URL on the regional endpoint, with the `x-k8s-aws-id` header signed and
 * X-Amz-Expires=60. The server accepts it for 15 minutes from X-Amz-Date; we report expiry as now + 14 min.
 */
export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface TokenRequest {
  /** Cluster name (or, for Outposts local clusters, the cluster id). */
  cluster: string;
  region: string;
  credentials: AwsCredentials;
  now?: Date;
}

export interface EksToken {
  token: string;
  url: string;
  expirationTimestamp: string;
}

/** RFC 3986 encoding as SigV4 canonical query strings use it. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function stsHostname(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`--region ${region}: not an AWS Region name`);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `sts.${region}.${suffix}`;
}

/** `%Y-%m-%dT%H:%M:%SZ`, as the AWS CLI prints expirationTimestamp. */
export function formatExpiry(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export async function presignGetCallerIdentity(req: TokenRequest): Promise<string> {
  const hostname = stsHostname(req.region);
  const signer = new SignatureV4({ credentials: req.credentials, region: req.region, service: 'sts', sha256: Sha256 });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, [CLUSTER_ID_HEADER]: req.cluster },
  });
  const signed = await signer.presign(request, { expiresIn: 60, signingDate: req.now ?? new Date() });
  const signedQuery = signed.query ?? {};
  const signedHeaders = String(signedQuery['X-Amz-SignedHeaders'] ?? '');
  if (!signedHeaders.split(';').includes(CLUSTER_ID_HEADER))
    throw new Error(`presigned URL does not sign ${CLUSTER_ID_HEADER} (got ${signedHeaders})`);
  const query = Object.entries(signedQuery)
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v))}`)
    .join('&');
  return `https://${hostname}/?${query}`;
}

export async function createEksToken(req: TokenRequest): Promise<EksToken> {
  const now = req.now ?? new Date();
  const url = await presignGetCallerIdentity({ ...req, now });
  const token = TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
  return { token, url, expirationTimestamp: formatExpiry(new Date(now.getTime() + 14 * 60_000)) };
}

/** The apiVersion to answer with: the one kubectl asks for in KUBERNETES_EXEC_INFO (v1 or v1beta1), else v1beta1. */
export function execCredentialApiVersion(execInfo: string | undefined): { apiVersion: string; warning?: string } {
  const fallback = 'client.authentication.k8s.io/v1beta1';
  if (!execInfo) return { apiVersion: fallback };
  try {
    const v = (JSON.parse(execInfo) as { apiVersion?: unknown }).apiVersion;
    if (v === 'client.authentication.k8s.io/v1' || v === fallback) return { apiVersion: v };
    if (v === 'client.authentication.k8s.io/v1alpha1')
      return {
        apiVersion: v,
        warning: 'client.authentication.k8s.io/v1alpha1 is deprecated; kubectl >= 1.24 rejects it',
      };
    return {
      apiVersion: fallback,
      warning: `unrecognized apiVersion ${String(v)} in KUBERNETES_EXEC_INFO; using v1beta1`,
    };
  } catch {
    return { apiVersion: fallback, warning: 'KUBERNETES_EXEC_INFO is not valid JSON; using v1beta1' };
  }
}

export function execCredential(
  token: EksToken,
  apiVersion = 'client.authentication.k8s.io/v1beta1',
): Record<string, unknown> {
  return {
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { expirationTimestamp: token.expirationTimestamp, token: token.token },
  };
}

export interface CredentialOptions {
  profile?: string;
  roleArn?: string;
  region?: string;
}

/**
 * Credentials as the AWS CLI would find them: the named profile (SSO, role chains, process…) or the default chain;
 * with a role ARN, AssumeRole first with session name EKSGetTokenAuth (as get-token does).
 */
export async function resolveCredentials(opts: CredentialOptions): Promise<AwsCredentials> {
  const base = opts.profile ? fromIni({ profile: opts.profile }) : fromNodeProviderChain();
  const provider = opts.roleArn
    ? fromTemporaryCredentials({
        masterCredentials: base,
        params: { RoleArn: opts.roleArn, RoleSessionName: 'EKSGetTokenAuth' },
        clientConfig: opts.region ? { region: opts.region } : undefined,
      })
    : base;
  let c: Awaited<ReturnType<typeof provider>>;
  try {
    c = await provider();
  } catch (err) {
    const which = opts.profile ? `profile ${opts.profile}` : 'the default credential chain';
    throw new RampartError('auth', `no AWS credentials from ${which}: ${(err as Error).message.split('\n')[0]}`);
  }
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
}

/** `rampart access token`: resolve credentials, sign, wrap as ExecCredential JSON. */
export async function tokenCommand(opts: {
  cluster: string;
  region: string;
  profile?: string;
  roleArn?: string;
  execInfo?: string;
}): Promise<{ json: string; warning?: string }> {
  if (!opts.cluster) throw new UsageError('--cluster is required');
  stsHostname(opts.region);
  const credentials = await resolveCredentials(opts);
  const token = await createEksToken({ cluster: opts.cluster, region: opts.region, credentials });
  const v = execCredentialApiVersion(opts.execInfo);
  return { json: `${JSON.stringify(execCredential(token, v.apiVersion))}\n`, warning: v.warning };
}
