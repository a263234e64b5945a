import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type BatchImportFindingsCommandOutput,
  GetFindingsCommand,
  type GetFindingsCommandOutput,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { RampartError } from '../core/index.js';
import { ASFF_IMAGE_KEY_FIELD } from '../report/index.js';

/** AWS limits for BatchImportFindings: 1–100 findings and at most 6 MB per request, each finding at most 240 KB. */
export const SECURITY_HUB_MAX_BATCH = 100;
export const SECURITY_HUB_MAX_FINDING_BYTES = 240 * 1024;
const MAX_REQUEST_BYTES = 6 * 1024 * 1024 - 64 * 1024;

export interface SecurityHubSendOptions {
  region: string;
  /** Another endpoint than AWS's (tests use a local server speaking the Security Hub wire format). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Rounds of re-sending FailedFindings whose error looks transient (default 3). */
  retries?: number;
  /** First back-off delay in ms, doubled per round with jitter (default 500). */
  backoffMs?: number;
  /** At most this many requests per second (AWS: 10 rps sustained for BatchImportFindings). */
  requestsPerSecond?: number;
}

export interface SecurityHubSendReport {
  /** Findings Security Hub accepted (ACTIVE and ARCHIVED). */
  imported: number;
  archived: number;
  requests: number;
  /** FailedFindings re-sent in later rounds. */
  retried: number;
  /** Findings that still failed, with Security Hub's reason. */
  failed: Array<{ id: string; errorCode?: string; errorMessage?: string }>;
  /** What went short of the full job without failing it (e.g. Security Hub's current state could not be read). */
  warnings: string[];
}

/** One client per call: the SDK's standard retry strategy backs off on HTTP throttling and 5xx. */
function securityHubClient(options: SecurityHubSendOptions): SecurityHubClient {
  return new SecurityHubClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 6,
  });
}

/** An SDK error as a RampartError: access denied is an auth error, anything else a network one. */
function securityHubError(operation: string, err: unknown, suffix = ''): RampartError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return new RampartError(
    e.$metadata?.httpStatusCode === 403 || e.name === 'AccessDeniedException' ? 'auth' : 'network',
    `Security Hub ${operation}: ${e.name ?? 'error'}: ${e.message ?? String(err)}${suffix}`,
  );
}

/** Errors worth sending again: throttling and service-side trouble, never input errors. */
function transient(code: string | undefined): boolean {
  return !code || /Throttl|LimitExceeded|TooManyRequests|Internal|ServiceUnavailable|Timeout/i.test(code);
}

/** Groups findings into requests of ≤ 100 findings and ≤ 6 MB; findings over 240 KB are rejected up front. */
export function batchFindings(findings: Array<Record<string, unknown>>): {
  batches: Array<Array<Record<string, unknown>>>;
  oversized: Array<{ id: string; bytes: number }>;
} {
  const batches: Array<Array<Record<string, unknown>>> = [];
  const oversized: Array<{ id: string; bytes: number }> = [];
  let batch: Array<Record<string, unknown>> = [];
  let bytes = 0;
  for (const f of findings) {
    const size = Buffer.byteLength(JSON.stringify(f));
    if (size > SECURITY_HUB_MAX_FINDING_BYTES) {
      oversized.push({ id: String(f.Id), bytes: size });
      continue;
    }
    if (batch.length >= SECURITY_HUB_MAX_BATCH || bytes + size > MAX_REQUEST_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(f);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return { batches, oversized };
}

/**
 * Sends ASFF findings to Security Hub CSPM with BatchImportFindings (AWS SDK v3). HTTP-level throttling (429,
 * LimitExceededException) and 5xx are retried by the SDK's standard retry strategy with exponential back-off;
 * findings the service lists in FailedFindings with a transient error are sent again in later rounds with
 * jittered back-off; the rest are reported per Id. Requests are paced to `requestsPerSecond`.
 */
export async function sendToSecurityHub(
  findings: Array<Record<string, unknown>>,
  options: SecurityHubSendOptions,
): Promise<SecurityHubSendReport> {
  const report: SecurityHubSendReport = {
    imported: 0,
    archived: 0,
    requests: 0,
    retried: 0,
    failed: [],
    warnings: [],
  };
  const client = securityHubClient(options);
  const minGapMs = 1000 / (options.requestsPerSecond ?? 10);
  let lastRequest = 0;
  const byId = new Map(findings.map((f) => [String(f.Id), f]));
  try {
    const { batches, oversized } = batchFindings(findings);
    for (const o of oversized) {
      report.failed.push({
        id: o.id,
        errorCode: 'FindingSizeExceeded',
        errorMessage: `${o.bytes} bytes, Security Hub accepts at most ${SECURITY_HUB_MAX_FINDING_BYTES}`,
      });
    }
    let pending = batches;
    const rounds = options.retries ?? 3;
    for (let round = 0; round <= rounds && pending.length > 0; round++) {
      if (round > 0) {
        const base = (options.backoffMs ?? 500) * 2 ** (round - 1);
        await sleep(base / 2 + Math.random() * base);
      }
      const again: Array<Record<string, unknown>> = [];
      for (const batch of pending) {
        const wait = lastRequest + minGapMs - Date.now();
        if (wait > 0) await sleep(wait);
        lastRequest = Date.now();
        report.requests++;
        let out: BatchImportFindingsCommandOutput;
        try {
          out = await client.send(
            new BatchImportFindingsCommand({ Findings: batch as unknown as AwsSecurityFinding[] }),
          );
        } catch (err) {
          throw securityHubError('BatchImportFindings', err, ` (${report.imported} findings imported before this)`);
        }
        const failed = out.FailedFindings ?? [];
        if ((out.FailedCount ?? 0) > 0 && failed.length === 0) {
          // A count without ids: nothing in this batch can be trusted as imported.
          for (const f of batch) report.failed.push({ id: String(f.Id), errorCode: 'Unknown' });
          continue;
        }
        const failedIds = new Set(failed.map((x) => x.Id));
        for (const f of batch) {
          if (failedIds.has(String(f.Id))) continue;
          if (f.RecordState === 'ARCHIVED') report.archived++;
          report.imported++;
        }
        for (const x of failed) {
          const finding = byId.get(x.Id ?? '');
          if (finding && round < rounds && transient(x.ErrorCode)) {
            again.push(finding);
            report.retried++;
          } else {
            report.failed.push({
              id: x.Id ?? '',
              ...(x.ErrorCode ? { errorCode: x.ErrorCode } : {}),
              ...(x.ErrorMessage ? { errorMessage: x.ErrorMessage } : {}),
            });
          }
        }
      }
      pending = batchFindings(again).batches;
    }
    return report;
  } finally {
    client.destroy();
  }
}

/** AWS: GetFindings is limited to 3 requests per second, burst 6, per account and Region. */
const GET_FINDINGS_PER_SECOND = 3;
const GET_FINDINGS_BURST = 6;

/**
 * The findings Security Hub holds ACTIVE under `productArn` for each image (by the `rampart/ImageKey` product field
 * the ASFF mapping writes: digest, else reference), with GetFindings (paged; ≤ 3 requests per second after a burst
 * of 6). What a scan on another machine imported, so a scan whose cache dir is new (an ephemeral CI runner) still
 * archives what vanished and keeps CreatedAt. Throws a RampartError when Security Hub cannot be read; the caller
 * decides what that means.
 */
export async function activeImageFindings(
  productArn: string,
  imageKeys: string[],
  options: SecurityHubSendOptions,
): Promise<Map<string, Map<string, Record<string, unknown>>>> {
  const client = securityHubClient(options);
  const out = new Map<string, Map<string, Record<string, unknown>>>();
  // A token bucket: the burst at once, then the sustained rate (the SDK still backs off if throttled anyway).
  let tokens = GET_FINDINGS_BURST;
  let refilledAt = Date.now();
  try {
    for (const key of imageKeys) {
      const found = new Map<string, Record<string, unknown>>();
      let nextToken: string | undefined;
      do {
        const now = Date.now();
        tokens = Math.min(GET_FINDINGS_BURST, tokens + ((now - refilledAt) / 1000) * GET_FINDINGS_PER_SECOND);
        refilledAt = now;
        if (tokens < 1) {
          await sleep(((1 - tokens) / GET_FINDINGS_PER_SECOND) * 1000);
          tokens = 1;
          refilledAt = Date.now();
        }
        tokens--;
        let page: GetFindingsCommandOutput;
        try {
          page = await client.send(
            new GetFindingsCommand({
              Filters: {
                ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }],
                RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
                ProductFields: [{ Key: ASFF_IMAGE_KEY_FIELD, Value: key, Comparison: 'EQUALS' }],
              },
              MaxResults: 100,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
        } catch (err) {
          throw securityHubError('GetFindings', err);
        }
        for (const f of page.Findings ?? []) if (f.Id) found.set(f.Id, f as unknown as Record<string, unknown>);
        nextToken = page.NextToken || undefined;
      } while (nextToken);
      out.set(key, found);
    }
    return out;
  } finally {
    client.destroy();
  }
}
