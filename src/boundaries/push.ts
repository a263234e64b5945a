import type { pushFindings } from '../hub/index.js';
import { type AuditResult, accessContextOfAudit, coveredOf } from './audit.js';

export interface AuditPushOptions {
  /** Hub API token; default `$RAMPART_HUB_TOKEN`. */
  token?: string;
  /** Cluster name the findings are stored under in the hub. */
  cluster?: string;
}

/** `rampart audit --push <hub>`: the audit's findings into the hub, as one scan covering what the audit read. */
export async function pushAudit(
  hubUrl: string,
  result: AuditResult,
  options: AuditPushOptions = {},
): Promise<Awaited<ReturnType<typeof pushFindings>>> {
  // Loaded on use: the hub client pulls in the hub's modules, which an audit without --push never needs.
  const { pushFindings } = await import('../hub/index.js');
  const { audit: details, ...scan } = result;
  // The namespace graph goes along so the hub's Reachability page can draw this cluster.
  const reachability = details?.reachability;
  // The who-can answers of a fixed list of sensitive questions per namespace feed its "Who can" page.
  const access = accessContextOfAudit(result);
  const context = { ...(reachability ? { reachability } : {}), ...(access ? { access } : {}) };
  return pushFindings(hubUrl, scan, {
    source: 'audit',
    covered: coveredOf(result),
    ...(reachability || access ? { context } : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
}
