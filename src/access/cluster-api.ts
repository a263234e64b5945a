import http from 'node:http';
import https from 'node:https';
import { UsageError } from '../core/index.js';
import type { RequestAttributes } from './rbac.js';
import { parseRequestWords } from './request.js';

/**
 * The few Kubernetes API calls the access engine makes against a live EKS cluster, with an EKS bearer token
 * (`k8s-aws-v1.…`) and the cluster CA from DescribeCluster, through @kubernetes/client-node:
 *   SelfSubjectReview (who am I — what authentication made of the token), SelfSubjectAccessReview (may I — complete
 *   on EKS, unlike SelfSubjectRulesReview, because access policies live in the webhook authorizer), and reading the
 *   kube-system/aws-auth ConfigMap. @kubernetes/client-node configures TLS (cluster CA) and the bearer token; the
 *   calls are plain JSON over HTTPS so each has a timeout and a v1 → v1beta1 fallback. Errors carry the HTTP status
 *   and the API's Status message, never the token.
 */
export interface ClusterConnection {
  /** API server URL (DescribeCluster `endpoint`). */
  server: string;
  /** Base64 PEM of the cluster CA (DescribeCluster `certificateAuthority.data`). */
  caData?: string;
  token: string;
  /** Per-request timeout; a private endpoint seen from outside its VPC otherwise hangs on connect. */
  timeoutMs?: number;
}

export type ApiOutcome<T> = { ok: true; value: T } | { ok: false; status?: number; message: string };

export interface WhoAmI {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
  /** API version that answered (v1 since Kubernetes 1.28, v1beta1 on 1.27). */
  apiVersion: string;
}

export interface AccessReviewAnswer {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Status message of an API error body, bounded; never the raw body (it could echo request data). */
function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed?.message === 'string' ? parsed.message.slice(0, 300) : '';
  } catch {
    return '';
  }
}

async function requestJson(
  conn: ClusterConnection,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  // Loaded on use: the client library is ~800 files, and most access commands never reach a cluster.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'eks', server: conn.server, caData: conn.caData, skipTLSVerify: false },
    { name: 'rampart', token: conn.token },
  );
  const timeout = conn.timeoutMs ?? 15_000;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const opts: https.RequestOptions = {
    method,
    timeout,
    headers: {
      Accept: 'application/json',
      ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
    },
  };
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(conn.server.replace(/\/+$/, '') + path);
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const msg = statusMessage(text);
          reject(new ApiStatusError(status, `HTTP ${status}${msg ? `: ${msg}` : ''}`));
          return;
        }
        try {
          resolve(JSON.parse(text) as Record<string, unknown>);
        } catch {
          reject(new Error(`${method} ${path}: the answer is not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function call<T>(conn: ClusterConnection, fn: () => Promise<T>): Promise<ApiOutcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof ApiStatusError) return { ok: false, status: err.status, message: err.message };
    const e = err as Error & { code?: string };
    return { ok: false, message: `cannot reach ${conn.server}: ${e.code ?? e.message.split('\n')[0]}` };
  }
}

const stringRecord = (v: unknown): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries((v ?? {}) as Record<string, unknown>).map(([k, list]) => [
      k,
      Array.isArray(list) ? list.map(String) : [],
    ]),
  );

/** `kubectl auth whoami`: SelfSubjectReview, v1 first (Kubernetes ≥ 1.28), v1beta1 when v1 is not served (404). */
export async function selfSubjectReview(conn: ClusterConnection): Promise<ApiOutcome<WhoAmI>> {
  const post = (apiVersion: string) =>
    call(conn, () =>
      requestJson(conn, 'POST', `/apis/${apiVersion}/selfsubjectreviews`, { apiVersion, kind: 'SelfSubjectReview' }),
    );
  let apiVersion = 'authentication.k8s.io/v1';
  let answer = await post(apiVersion);
  if (!answer.ok && answer.status === 404) {
    apiVersion = 'authentication.k8s.io/v1beta1';
    answer = await post(apiVersion);
  }
  if (!answer.ok) return answer;
  const status = (answer.value.status ?? {}) as { userInfo?: Record<string, unknown> };
  const u = status.userInfo ?? {};
  return {
    ok: true,
    value: {
      username: typeof u.username === 'string' ? u.username : '',
      uid: typeof u.uid === 'string' ? u.uid : undefined,
      groups: Array.isArray(u.groups) ? u.groups.map(String) : [],
      extra: stringRecord(u.extra),
      apiVersion,
    },
  };
}

/** `kubectl auth can-i`: one SelfSubjectAccessReview. */
export async function selfSubjectAccessReview(
  conn: ClusterConnection,
  request: RequestAttributes,
): Promise<ApiOutcome<AccessReviewAnswer>> {
  const spec = !request.resourceRequest
    ? { nonResourceAttributes: { verb: request.verb, path: request.path } }
    : {
        resourceAttributes: {
          verb: request.verb,
          group: request.apiGroup,
          resource: request.resource,
          ...(request.subresource ? { subresource: request.subresource } : {}),
          ...(request.namespace ? { namespace: request.namespace } : {}),
          ...(request.name ? { name: request.name } : {}),
        },
      };
  const apiVersion = 'authorization.k8s.io/v1';
  const r = await call(conn, () =>
    requestJson(conn, 'POST', `/apis/${apiVersion}/selfsubjectaccessreviews`, {
      apiVersion,
      kind: 'SelfSubjectAccessReview',
      spec,
    }),
  );
  if (!r.ok) return r;
  const s = (r.value.status ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    ok: true,
    value: {
      allowed: s.allowed === true,
      denied: s.denied === true ? true : undefined,
      reason: text(s.reason),
      evaluationError: text(s.evaluationError),
    },
  };
}

/** `data` of kube-system/aws-auth; a cluster without the ConfigMap answers 404. */
export async function readAwsAuthConfigMap(
  conn: ClusterConnection,
): Promise<ApiOutcome<{ data: Record<string, unknown>; resourceVersion?: string }>> {
  const r = await call(conn, () => requestJson(conn, 'GET', '/api/v1/namespaces/kube-system/configmaps/aws-auth'));
  if (!r.ok) return r;
  const metadata = (r.value.metadata ?? {}) as { resourceVersion?: unknown };
  return {
    ok: true,
    value: {
      data: (r.value.data ?? {}) as Record<string, unknown>,
      resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : undefined,
    },
  };
}

/** `list pods`, `create pods --subresource exec`, `get /healthz` (kubectl auth can-i words) → request attributes. */
export function parseAccessCheckWords(words: string, namespace: string): RequestAttributes {
  const parts = words.trim().split(/\s+/);
  const at = parts.indexOf('--subresource');
  const subresource = at >= 0 ? parts[at + 1] : undefined;
  if (at >= 0) parts.splice(at, 2);
  const [verb = '', target = '', ...rest] = parts;
  if (!verb || !target || rest.length)
    throw new UsageError(`access check "${words}": expected VERB TYPE[.GROUP][/NAME] [--subresource S] or VERB /URL`);
  return parseRequestWords({ verb, target, subresource, namespace });
}
