import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A local stand-in for an EKS Kubernetes API server on https://127.0.0.1 (random port, a throw-away CA made with
 * `openssl`) that speaks the Kubernetes authentication/authorization wire format:
 *   - bearer tokens are checked as the EKS authenticator checks them before replaying them to STS: `k8s-aws-v1.`
 *     + base64url of an https STS GetCallerIdentity URL, X-Amz-Expires ≤ 900, `x-k8s-aws-id` among the signed
 *     headers; the caller is then looked up by the access key id in X-Amz-Credential (the replay to STS cannot
 *     happen here). Unknown or malformed → 401 Status.
 *   - POST /apis/authentication.k8s.io/{v1,v1beta1}/selfsubjectreviews → 201 SelfSubjectReview with userInfo
 *   - POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews → 201 with status.allowed/reason from `allow`
 *   - GET /api/v1/namespaces/kube-system/configmaps/aws-auth → the ConfigMap, 403 or 404
 * Errors are `kind: Status` objects as the API server writes them. Records every request (token redacted).
 */
export interface KubeUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface FakeKubeOptions {
  /** Access key id (from the presigned URL) → authenticated user. */
  users: Record<string, KubeUser>;
  /** Decides SelfSubjectAccessReviews. */
  allow?: (user: KubeUser, spec: Record<string, Record<string, string>>) => { allowed: boolean; reason?: string };
  /** aws-auth `data`, or the HTTP status to answer with (403 forbidden, 404 absent). */
  awsAuth?: Record<string, string> | 403 | 404;
  /** Serve SelfSubjectReview only as v1beta1 (Kubernetes 1.27). */
  onlyV1beta1?: boolean;
}

export interface FakeKube {
  url: string;
  caData: string;
  requests: Array<{ method: string; path: string; body: string }>;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

/** The authenticator's structural checks of an EKS token; returns the access key id or a refusal. */
export function inspectEksToken(header: string | undefined): { accessKeyId?: string; problem?: string } {
  const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
  if (!token.startsWith('k8s-aws-v1.')) return { problem: 'not an EKS token' };
  let url: URL;
  try {
    url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
  } catch {
    return { problem: 'token does not decode to a URL' };
  }
  const q = url.searchParams;
  if (url.protocol !== 'https:' || !/^sts\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(url.hostname))
    return { problem: `not an STS endpoint: ${url.host}` };
  if (q.get('Action') !== 'GetCallerIdentity') return { problem: 'Action is not GetCallerIdentity' };
  const expires = Number(q.get('X-Amz-Expires'));
  if (!(expires >= 0 && expires <= 900)) return { problem: 'X-Amz-Expires out of range' };
  if (!(q.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id'))
    return { problem: 'x-k8s-aws-id is not signed' };
  return { accessKeyId: (q.get('X-Amz-Credential') ?? '').split('/')[0] };
}

export async function startFakeKube(opts: FakeKubeOptions): Promise<FakeKube> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-kube-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=kubernetes',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  rmSync(dir, { recursive: true, force: true });
  const requests: FakeKube['requests'] = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? '', path, body });
      const send = (code: number, value: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const token = inspectEksToken(req.headers.authorization);
      const user = token.accessKeyId ? opts.users[token.accessKeyId] : undefined;
      if (!user) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
      const ssr = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1)\/selfsubjectreviews$/.exec(path);
      if (req.method === 'POST' && ssr) {
        if ((ssr[1] === 'v1') === Boolean(opts.onlyV1beta1))
          return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
        return send(201, {
          kind: 'SelfSubjectReview',
          apiVersion: `authentication.k8s.io/${ssr[1]}`,
          metadata: { creationTimestamp: null },
          status: { userInfo: { ...user, groups: [...user.groups, 'system:authenticated'] } },
        });
      }
      if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
        const review = JSON.parse(body) as { spec?: Record<string, Record<string, string>> };
        const spec = review.spec ?? {};
        const decision = opts.allow?.(user, spec) ?? { allowed: false };
        return send(201, {
          kind: 'SelfSubjectAccessReview',
          apiVersion: 'authorization.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec,
          status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
        });
      }
      if (req.method === 'GET' && path === '/api/v1/namespaces/kube-system/configmaps/aws-auth') {
        if (opts.awsAuth === 403)
          return send(
            403,
            status(
              403,
              'Forbidden',
              `configmaps "aws-auth" is forbidden: User "${user.username}" cannot get resource "configmaps" in API group "" in the namespace "kube-system"`,
            ),
          );
        if (opts.awsAuth === 404 || opts.awsAuth === undefined)
          return send(404, status(404, 'NotFound', 'configmaps "aws-auth" not found'));
        return send(200, {
          kind: 'ConfigMap',
          apiVersion: 'v1',
          metadata: { name: 'aws-auth', namespace: 'kube-system', resourceVersion: '4711' },
          data: opts.awsAuth,
        });
      }
      send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caData: cert.toString('base64'),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
