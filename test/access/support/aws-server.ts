import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the EKS and STS endpoints on 127.0.0.1 (random port) that speaks their documented wire
 * formats: EKS REST-JSON (`GET /clusters/{name}` → `{"cluster": …}`, errors with `x-amzn-ErrorType`) and STS Query
 * (`Action=GetCallerIdentity` → XML). Records the requests it saw.
 */
export interface FakeAws {
  url: string;
  requests: Array<{ method: string; path: string; authorization?: string; body: string }>;
  close(): Promise<void>;
}

export async function startFakeAws(
  clusters: Record<string, Record<string, unknown>>,
  callerArn = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6071/dana',
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
    const bare = path.split('?')[0] ?? '';
    const entries = /^\/clusters\/([^/]+)\/access-entries(?:\/(.+))?$/.exec(bare);
    if (req.method === 'GET' && entries) {
      const list = (clusters[decodeURIComponent(entries[1] as string)]?._accessEntries as string[] | undefined) ?? [];
      res.writeHead(200, { 'content-type': 'application/json' });
      if (entries[2]) {
        const arn = decodeURIComponent(entries[2]);
        res.end(
          JSON.stringify({
            accessEntry: { principalArn: arn, username: 'from-entry:{{SessionName}}', type: 'STANDARD' },
          }),
        );
      } else res.end(JSON.stringify({ accessEntries: list }));
      return;
    }
    const m = /^\/clusters\/([^/?]+)$/.exec(bare);
    if (req.method === 'GET' && m) {
      const name = decodeURIComponent(m[1] as string);
      const cluster = clusters[name];
      if (!cluster) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ message: `No cluster found for name: ${name}.` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ cluster }));
      return;
    }
    if (req.method === 'POST' && body.includes('Action=GetCallerIdentity')) {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${callerArn}</Arn><UserId>AROAEXAMPLE:dana</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
      return;
    }
    res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' });
    res.end(JSON.stringify({ message: `unexpected ${req.method} ${path}` }));
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
