import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileSchemaFile, schemaErrors } from './schemas.js';
import { sharedPath } from './shared.js';

export interface SecurityHubCall {
  findings: Array<Record<string, unknown>>;
  bytes: number;
}

export interface SecurityHubStandIn {
  url: string;
  calls: SecurityHubCall[];
  /** Accepted findings by Id, the latest UpdatedAt winning as in Security Hub. */
  stored: Map<string, Record<string, unknown>>;
  /** Findings the ASFF schema rejected (they come back in FailedFindings as InvalidInput). */
  invalid: Array<{ id: string; errors: string }>;
  /** GetFindings request bodies, in order. */
  getFindingsRequests: GetFindingsRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP server on 127.0.0.1 speaking the AWS Security Hub REST/JSON wire format for BatchImportFindings
 * (`POST /findings/import`, SigV4-signed with the test key AKIDTEST): every finding is validated against the ASFF
 * schema in ../shared/schemas; the first request is throttled (HTTP 429 LimitExceededException) and one finding of
 * the first accepted batch comes back once in FailedFindings with a transient error, so both retry paths run.
 * GetFindings (`POST /findings`) answers from the accepted findings: EQUALS string filters on top-level fields and
 * EQUALS map filters on ProductFields, paged by `MaxResults` (capped at `pageSize`) with an opaque NextToken.
 */
export async function startSecurityHubStandIn(
  options: { denyGetFindings?: boolean; pageSize?: number } = {},
): Promise<SecurityHubStandIn> {
  const validate = compileSchemaFile(
    sharedPath('schemas', 'aws', 'asff-AwsSecurityFinding.derived.schema.json') as string,
  );
  const calls: SecurityHubCall[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  const invalid: Array<{ id: string; errors: string }> = [];
  const getFindingsRequests: GetFindingsRequest[] = [];
  let requests = 0;
  let failedOnce = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || (req.url !== '/findings/import' && req.url !== '/findings')) {
        reply(404, { Message: `no route ${req.method} ${req.url}` });
        return;
      }
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=AKIDTEST/')) {
        reply(403, { Message: 'unsigned request' }, { 'x-amzn-errortype': 'AccessDeniedException' });
        return;
      }
      if (requests === 1) {
        reply(429, { Message: 'Rate exceeded' }, { 'x-amzn-errortype': 'LimitExceededException' });
        return;
      }
      const body = Buffer.concat(chunks);
      if (req.url === '/findings') {
        if (options.denyGetFindings) {
          reply(
            403,
            { Message: 'not authorized to perform securityhub:GetFindings' },
            { 'x-amzn-errortype': 'AccessDeniedException' },
          );
          return;
        }
        const query = JSON.parse(body.toString('utf8')) as GetFindingsRequest;
        getFindingsRequests.push(query);
        reply(200, getFindings([...stored.values()], query, options.pageSize ?? 100));
        return;
      }
      const findings = (JSON.parse(body.toString('utf8')) as { Findings: Array<Record<string, unknown>> }).Findings;
      calls.push({ findings, bytes: body.length });
      const failed: Array<{ Id: string; ErrorCode: string; ErrorMessage: string }> = [];
      for (const f of findings) {
        const id = String(f.Id);
        if (!validate(f)) {
          const errors = schemaErrors(validate, 2);
          invalid.push({ id, errors });
          failed.push({ Id: id, ErrorCode: 'InvalidInput', ErrorMessage: errors });
          continue;
        }
        if (!failedOnce) {
          failedOnce = true;
          failed.push({ Id: id, ErrorCode: 'LimitExceeded', ErrorMessage: 'try again' });
          continue;
        }
        const before = stored.get(id);
        if (!before || String(f.UpdatedAt) > String(before.UpdatedAt)) stored.set(id, f);
      }
      reply(200, { FailedCount: failed.length, SuccessCount: findings.length - failed.length, FailedFindings: failed });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stored,
    invalid,
    getFindingsRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface GetFindingsRequest {
  Filters?: Record<string, Array<{ Key?: string; Value?: string; Comparison?: string }>>;
  MaxResults?: number;
  NextToken?: string;
}

function getFindings(
  all: Array<Record<string, unknown>>,
  query: GetFindingsRequest,
  pageSize: number,
): { Findings: Array<Record<string, unknown>>; NextToken?: string } {
  const matches = all.filter((f) =>
    Object.entries(query.Filters ?? {}).every(([field, filters]) =>
      // Positive comparisons on one field are ORed, fields are ANDed (as the service documents).
      filters.some((filter) => {
        if (filter.Comparison !== 'EQUALS') throw new Error(`stand-in: comparison ${filter.Comparison} not served`);
        if (field === 'ProductFields') {
          return (f.ProductFields as Record<string, string> | undefined)?.[filter.Key ?? ''] === filter.Value;
        }
        return f[field] === filter.Value;
      }),
    ),
  );
  const start = query.NextToken ? Number(Buffer.from(query.NextToken, 'base64').toString('utf8')) : 0;
  const end = start + Math.min(query.MaxResults ?? 100, pageSize);
  return {
    Findings: matches.slice(start, end),
    ...(end < matches.length ? { NextToken: Buffer.from(String(end)).toString('base64') } : {}),
  };
}
