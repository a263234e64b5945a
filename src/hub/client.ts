import { RampartError, type ResourceRef, type ScanResult, UsageError } from '../core/index.js';
import type { IngestSummary, ScanContext } from './store.js';

export interface PushOptions {
  /** Hub API token; default `$RAMPART_HUB_TOKEN`. */
  token?: string;
  cluster?: string;
  source?: string;
  covered?: ResourceRef[];
  /** Kept with the scan for the dashboard, e.g. `{reachability: auditResult.audit.reachability}`. */
  context?: ScanContext;
  timeoutMs?: number;
}

/**
 * What `--push <hub url>` does for `image scan` and `audit`: sends one ScanResult to
 * `POST <hub>/api/v1/findings:batch`. Plain HTTP is accepted only for loopback hubs so a token never crosses the
 * network in clear text.
 */
export async function pushFindings(hubUrl: string, result: ScanResult, o: PushOptions = {}): Promise<IngestSummary> {
  let base: URL;
  try {
    base = new URL(hubUrl);
  } catch {
    throw new UsageError(`--push ${hubUrl}: not a URL (expected e.g. https://hub.example:8080)`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname) || base.hostname.startsWith('127.');
  if (base.protocol !== 'https:' && !(base.protocol === 'http:' && loopback)) {
    throw new UsageError(`--push ${hubUrl}: use https:// (plain http only for a hub on loopback)`);
  }
  const token = o.token ?? process.env.RAMPART_HUB_TOKEN;
  const url = new URL('api/v1/findings:batch', base.href.endsWith('/') ? base.href : `${base.href}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({
        result,
        cluster: o.cluster ?? '',
        source: o.source ?? result.command,
        covered: o.covered,
        ...(o.context ? { context: o.context } : {}),
      }),
      signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
    });
  } catch (err) {
    throw new RampartError('network', `--push ${base.origin}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body = (await res.json().catch(() => ({}))) as IngestSummary & { error?: string; field?: string };
  if (res.status === 401) {
    throw new RampartError('auth', `--push ${base.origin}: the hub wants its API token (set RAMPART_HUB_TOKEN)`);
  }
  if (!res.ok) {
    const field = body.field ? `${body.field}: ` : '';
    throw new RampartError(
      'network',
      `--push ${base.origin}: HTTP ${res.status}: ${field}${body.error ?? 'no detail'}`,
    );
  }
  return body;
}
