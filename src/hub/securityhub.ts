import { BatchUpdateFindingsCommand, SecurityHubClient, type WorkflowStatus } from '@aws-sdk/client-securityhub';
import { toAsffFindings, type WriterContext } from '../report/index.js';
import { sendToSecurityHub } from '../vuln/index.js';
import type { HubStore, StoredFinding } from './store.js';

export interface SecurityHubOptions {
  region: string;
  accountId: string;
  productArn?: string;
  partition?: string;
  /** Another endpoint than AWS's (tests use a local server speaking the Security Hub wire format). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Export every this many ms; 0 = only on demand (`POST /api/v1/securityhub:sync`). */
  intervalMs?: number;
  toolVersion: string;
  clock?: () => Date;
}

export interface SyncReport {
  exported: number;
  archived: number;
  batches: number;
  /** Findings whose Workflow.Status was changed with BatchUpdateFindings (NOTIFIED, SUPPRESSED, RESOLVED, NEW). */
  workflowUpdated: number;
  failed: Array<{ id: string; errorCode?: string; errorMessage?: string }>;
}

/** BatchUpdateFindings takes at most 100 finding identifiers per request. */
const MAX_BATCH = 100;
/** Findings taken per pass; the next pass (or interval) takes the rest. */
const PASS_LIMIT = 5000;

/**
 * Exports new and changed hub findings to Security Hub CSPM as ASFF through the report package's ASFF writer (the
 * same mapping as `-o asff`) and the vulnerability engine's exporter (`sendToSecurityHub`). Resolved findings are re-imported ARCHIVED with a newer
 * UpdatedAt so they close instead of lingering 90 days. A finding counts as exported only when its batch reported
 * it as a success (HTTP 200 can carry FailedCount > 0).
 */
export class SecurityHubSync {
  private readonly client: SecurityHubClient;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncReport> | undefined;

  constructor(
    private readonly store: HubStore,
    private readonly options: SecurityHubOptions,
  ) {
    this.client = new SecurityHubClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 5,
    });
  }

  start(): void {
    const every = this.options.intervalMs ?? 0;
    if (every > 0 && !this.timer) {
      this.timer = setInterval(() => {
        this.syncOnce().catch(() => {});
      }, every);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.client.destroy();
  }

  /** One export pass; concurrent calls share the pass in progress. */
  syncOnce(): Promise<SyncReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<SyncReport> {
    const report: SyncReport = { exported: 0, archived: 0, batches: 0, workflowUpdated: 0, failed: [] };
    const clock = this.options.clock ?? (() => new Date());
    const asOf = this.store.now();
    const pending = await this.store.unsyncedFindings(PASS_LIMIT);
    const items = pending.flatMap((f) => {
      const asff = this.toAsff(f, clock());
      return asff ? [{ f, asff }] : [];
    });
    if (items.length === 0) return report;
    // The vulnerability engine's exporter (the one `image scan --securityhub` uses): batches of ≤ 100 and < 6 MB,
    // findings over 240 KB refused, FailedCount honoured, transient failures re-sent with back-off.
    const sent = await sendToSecurityHub(
      items.map((i) => i.asff),
      {
        region: this.options.region,
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      },
    );
    report.batches = sent.requests;
    report.failed.push(...sent.failed);
    const failedIds = new Set(sent.failed.map((x) => x.id));
    const imported = items.filter((i) => !failedIds.has(String(i.asff.Id)));
    await this.store.markSynced(
      imported.map((i) => i.f.uid),
      asOf,
    );
    for (const i of imported) {
      if (i.asff.RecordState === 'ARCHIVED') report.archived++;
      else report.exported++;
    }
    await this.updateWorkflows(imported, report);
    return report;
  }

  /**
   * The hub's workflow changes (NOTIFIED by a user, SUPPRESSED by a suppression, back to NEW when it lapses, RESOLVED)
   * go to Security Hub with BatchUpdateFindings — an import cannot change Workflow on an existing finding. Grouped by
   * status and note (the suppression's reason), ≤ 100 identifiers per call; unprocessed ones are retried next pass.
   */
  private async updateWorkflows(
    imported: Array<{ f: StoredFinding; asff: Record<string, unknown> }>,
    report: SyncReport,
  ): Promise<void> {
    const reasons = new Map((await this.store.listSuppressions()).map((s) => [s.id, s.reason]));
    const groups = new Map<string, { status: string; note?: string; items: typeof imported }>();
    const firstImports = new Map<string, string[]>();
    for (const item of imported) {
      const atImport = (item.asff.Workflow as { Status?: string } | undefined)?.Status ?? 'NEW';
      const held = item.f.securityHubWorkflow ?? atImport;
      if (held === item.f.workflow) {
        if (item.f.securityHubWorkflow === null)
          firstImports.set(held, [...(firstImports.get(held) ?? []), item.f.uid]);
        continue;
      }
      const note =
        item.f.workflow === 'SUPPRESSED' && item.f.suppressionId
          ? `Suppressed in the Rampart hub: ${reasons.get(item.f.suppressionId) ?? 'suppression'}`.slice(0, 512)
          : undefined;
      const key = `${item.f.workflow}\0${note ?? ''}`;
      const group = groups.get(key) ?? { status: item.f.workflow, ...(note ? { note } : {}), items: [] };
      group.items.push(item);
      groups.set(key, group);
    }
    for (const [workflow, uids] of firstImports) await this.store.markSecurityHubWorkflow(uids, workflow);
    for (const group of groups.values()) {
      for (let i = 0; i < group.items.length; i += MAX_BATCH) {
        const part = group.items.slice(i, i + MAX_BATCH);
        const out = await this.client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: part.map((p) => ({ Id: String(p.asff.Id), ProductArn: String(p.asff.ProductArn) })),
            Workflow: { Status: group.status as WorkflowStatus },
            ...(group.note ? { Note: { Text: group.note, UpdatedBy: 'rampart-hub' } } : {}),
          }),
        );
        const unprocessed = new Set((out.UnprocessedFindings ?? []).map((u) => u.FindingIdentifier?.Id));
        for (const u of out.UnprocessedFindings ?? []) {
          report.failed.push({
            id: u.FindingIdentifier?.Id ?? '',
            errorCode: u.ErrorCode,
            errorMessage: u.ErrorMessage,
          });
        }
        const done = part.filter((p) => !unprocessed.has(String(p.asff.Id)));
        await this.store.markSecurityHubWorkflow(
          done.map((p) => p.f.uid),
          group.status,
        );
        report.workflowUpdated += done.length;
        if (unprocessed.size > 0) {
          // Not in Security Hub's hands yet: export again next pass, which retries the update.
          await this.store.markUnsynced(part.filter((p) => unprocessed.has(String(p.asff.Id))).map((p) => p.f.uid));
        }
      }
    }
  }

  /** The ASFF of one stored finding: ids unique per cluster, observation times from the hub's history. */
  toAsff(f: StoredFinding, now: Date): Record<string, unknown> | undefined {
    const ctx: WriterContext = {
      toolVersion: this.options.toolVersion,
      now,
      color: false,
      showPassed: false,
      aws: {
        accountId: this.options.accountId,
        region: this.options.region,
        partition: this.options.partition,
        productArn: this.options.productArn,
      },
      ...(f.cluster ? { cluster: f.cluster } : {}),
    };
    const [asff] = toAsffFindings({ command: 'hub', targets: [], findings: [f.finding], errors: [] }, ctx);
    if (!asff) return undefined;
    asff.Id = f.cluster ? `rampart/${f.cluster}/${f.id}` : `rampart/${f.id}`;
    asff.CreatedAt = f.firstSeen;
    asff.FirstObservedAt = f.firstSeen;
    asff.LastObservedAt = f.lastSeen;
    // Security Hub ignores an update whose UpdatedAt is not strictly newer than the stored one.
    asff.UpdatedAt = now.toISOString();
    asff.RecordState = f.workflow === 'RESOLVED' ? 'ARCHIVED' : 'ACTIVE';
    // Only honoured when the finding is created; later workflow changes belong to BatchUpdateFindings.
    if (f.workflow === 'SUPPRESSED') asff.Workflow = { Status: 'SUPPRESSED' };
    return asff;
  }
}
