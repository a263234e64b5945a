import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the EKS, STS and IAM endpoints on 127.0.0.1 (random port) that speaks their documented wire
 * formats: EKS REST-JSON (`GET /clusters/{name}` → `{"cluster": …}`, access entries and associated access
 * policies with `maxResults`/`nextToken` paging, errors with `x-amzn-ErrorType`), STS Query
 * (`Action=GetCallerIdentity` → XML) and IAM Query (`Action=ListRoles|ListUsers` → XML with `IsTruncated`/`Marker`
 * paging). Lists are served one item per page so that paging is always exercised. Records the requests it saw.
 */
export interface FakeAws {
  url: string;
  requests: Array<{ method: string; path: string; authorization?: string; body: string }>;
  close(): Promise<void>;
}

export interface FakeAccessEntry {
  principalArn: string;
  username?: string;
  kubernetesGroups?: string[];
  type?: string;
  policies?: Array<{ policyArn: string; accessScope: { type: string; namespaces?: string[] } }>;
}

export interface FakeIam {
  roles: string[];
  users: string[];
  /** Answer IAM calls with AccessDenied. */
  deny?: boolean;
}

const entryOf = (e: string | FakeAccessEntry): FakeAccessEntry =>
  typeof e === 'string' ? { principalArn: e, username: 'from-entry:{{SessionName}}' } : e;

/** One item per page: `nextToken` is the index of the next item. */
function page<T>(items: T[], token: string | null): { items: T[]; next?: string } {
  const at = token ? Number.parseInt(token, 10) : 0;
  return { items: items.slice(at, at + 1), next: at + 1 < items.length ? String(at + 1) : undefined };
}

function iamXml(action: 'ListRoles' | 'ListUsers', arns: string[], marker: string | null): string {
  const p = page(arns, marker);
  const member = action === 'ListRoles' ? 'Role' : 'User';
  const members = p.items
    .map((arn) => {
      const name = arn.split('/').pop() ?? '';
      const path = arn.slice(arn.indexOf('/'), arn.lastIndexOf('/') + 1) || '/';
      return `<member><Path>${path}</Path><${member}Name>${name}</${member}Name><${member}Id>AIDAEXAMPLE${name.length}</${member}Id><Arn>${arn}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>`;
    })
    .join('');
  const more = p.next
    ? `<IsTruncated>true</IsTruncated><Marker>${p.next}</Marker>`
    : '<IsTruncated>false</IsTruncated>';
  return `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result><${member}s>${members}</${member}s>${more}</${action}Result><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ResponseMetadata></${action}Response>`;
}

export async function startFakeAws(
  clusters: Record<string, Record<string, unknown>>,
  callerArn = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6071/dana',
  iam: FakeIam = { roles: [], users: [] },
): Promise<FakeAws> {
  const requests: FakeAws['requests'] = [];
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (c) => {
        b += c;
      });
      req.on('end', () => resolve(b));
    });
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    const url = new URL(path, 'http://local');
    const bare = url.pathname;
    const sendJson = (status: number, value: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(value));
    };
    const entries = /^\/clusters\/([^/]+)\/access-entries(?:\/([^/]+)(\/access-policies)?)?$/.exec(bare);
    if (req.method === 'GET' && entries) {
      const cluster = clusters[decodeURIComponent(entries[1] as string)];
      if (!cluster) return sendJson(404, { message: 'No cluster found' }, 'ResourceNotFoundException');
      const list = ((cluster._accessEntries as Array<string | FakeAccessEntry> | undefined) ?? []).map(entryOf);
      if (!entries[2]) {
        const p = page(list, url.searchParams.get('nextToken'));
        return sendJson(200, { accessEntries: p.items.map((e) => e.principalArn), nextToken: p.next });
      }
      const arn = decodeURIComponent(entries[2]);
      const entry = list.find((e) => e.principalArn === arn);
      if (!entry)
        return sendJson(404, { message: `The specified principalArn could not be found` }, 'ResourceNotFoundException');
      if (entries[3]) {
        const p = page(entry.policies ?? [], url.searchParams.get('nextToken'));
        return sendJson(200, {
          clusterName: cluster.name,
          principalArn: arn,
          associatedAccessPolicies: p.items.map((x) => ({ ...x, associatedAt: 1780000000, modifiedAt: 1780000000 })),
          nextToken: p.next,
        });
      }
      return sendJson(200, {
        accessEntry: {
          clusterName: cluster.name,
          principalArn: arn,
          kubernetesGroups: entry.kubernetesGroups ?? [],
          username: entry.username,
          type: entry.type ?? 'STANDARD',
          createdAt: 1780000000,
        },
      });
    }
    const m = /^\/clusters\/([^/?]+)$/.exec(bare);
    if (req.method === 'GET' && m) {
      const name = decodeURIComponent(m[1] as string);
      const cluster = clusters[name];
      if (!cluster)
        return sendJson(404, { message: `No cluster found for name: ${name}.` }, 'ResourceNotFoundException');
      const { _accessEntries: _hidden, ...visible } = cluster;
      return sendJson(200, { cluster: visible });
    }
    const form = new URLSearchParams(body);
    if (req.method === 'POST' && form.get('Action') === 'GetCallerIdentity') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${callerArn}</Arn><UserId>AROAEXAMPLE:dana</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
      return;
    }
    const action = form.get('Action');
    if (req.method === 'POST' && (action === 'ListRoles' || action === 'ListUsers')) {
      res.writeHead(iam.deny ? 403 : 200, { 'content-type': 'text/xml' });
      res.end(
        iam.deny
          ? `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: iam:${action}</Message></Error><RequestId>00000000-0000-0000-0000-000000000002</RequestId></ErrorResponse>`
          : iamXml(action, action === 'ListRoles' ? iam.roles : iam.users, form.get('Marker')),
      );
      return;
    }
    sendJson(400, { message: `unexpected ${req.method} ${path}` }, 'BadRequestException');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; close them so the test process can exit.
        server.closeAllConnections();
      }),
  };
}

export const ACME_CLUSTER = {
  name: 'acme-prod',
  arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/acme-prod',
  version: '1.31',
  endpoint: 'https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
  status: 'ACTIVE',
  certificateAuthority: { data: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==' },
  resourcesVpcConfig: { endpointPublicAccess: true, endpointPrivateAccess: false, publicAccessCidrs: ['0.0.0.0/0'] },
  accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
};
