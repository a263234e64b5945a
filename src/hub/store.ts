import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CompiledQuery, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import {
  FINDING_STATUSES,
  type Finding,
  InputError,
  type ResourceRef,
  resourceLabel,
  type ScanResult,
  SEVERITIES,
  type Severity,
  severityRank,
  vulnerabilityOf,
} from '../core/index.js';
import { type AccessContext, type ClusterAccess, selectAccess, validateAccessContext } from './access.js';
import type { DialectName, HubDb } from './db.js';
import { type FindingsTable, type HubDatabase, type ImagesTable, resourceNameOf } from './schema.js';

export const WORKFLOWS = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] as const;
export type Workflow = (typeof WORKFLOWS)[number];

export interface IngestRequest {
  result: ScanResult;
  /** Cluster the findings came from; '' for cluster-less scans (an image on its own). */
  cluster?: string;
  /** Who pushed it, e.g. `rampart image scan` or `scan-on-push`. */
  source?: string;
  /**
   * Resources the scan looked at completely, beyond those its findings name: an image with no vulnerability left
   * must still resolve its old findings.
   */
  covered?: ResourceRef[];
  kind?: 'ingest' | 'image';
  /** What the scan saw besides findings, kept with the scan for the dashboard (latest per cluster is shown). */
  context?: ScanContext;
}

/** Namespace-to-namespace reachability as `rampart audit` computes it (`external` for outside the cluster). */
export interface ReachabilityEdge {
  from: string;
  to: string;
  /** What is allowed, e.g. `TCP 8080`, `All Connections`. */
  connections: string;
  ranges?: string[];
}

export interface ScanContext {
  reachability?: ReachabilityEdge[];
  /** Who-can answers of sensitive questions per namespace (`rampart audit --push`). */
  access?: AccessContext;
}

export interface ClusterReachability {
  cluster: string;
  /** The scan the graph came from; null when no scan of this cluster carried one. */
  scanId: string | null;
  createdAt: string | null;
  namespaces: string[];
  edges: ReachabilityEdge[] | null;
  reason?: string;
}

export interface IngestSummary {
  scanId: string;
  received: number;
  stored: number;
  new: number;
  reopened: number;
  resolved: number;
}

export interface FindingQuery {
  severity?: string[];
  /** Workflow (NEW, NOTIFIED, RESOLVED, SUPPRESSED) or verdict (fail, unknown). */
  status?: string[];
  pillar?: string[];
  cluster?: string;
  namespace?: string;
  /** Prefix of the resource name (object name, image reference, ARN, path) or of its label (`Kind ns/name`). */
  resource?: string;
  /** Image reference or digest (prefix). */
  image?: string;
  rule?: string;
  sort?: string;
  page?: number;
  perPage?: number;
  /** Keyset paging: the `next` of the previous page (same filters and sort). */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
  /** Cursor of the following page, when there may be one (findings only). */
  next?: string;
}

export interface StoredFinding {
  uid: string;
  id: string;
  cluster: string;
  ruleId: string;
  pillar: string;
  title: string;
  severity: Severity;
  status: string;
  workflow: Workflow;
  resource: string;
  resourceType: string;
  namespace: string;
  image: string;
  imageDigest: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  updatedAt: string;
  scanId: string;
  suppressionId: string | null;
  /** Workflow.Status Security Hub holds; null = never exported. */
  securityHubWorkflow: string | null;
  finding: Finding;
}

export interface SuppressionInput {
  findingId?: string;
  ruleId?: string;
  cluster?: string;
  reason: string;
  expiresAt?: string;
  createdBy?: string;
}

const SORTABLE: Record<string, keyof FindingsTable> = {
  severity: 'severity_rank',
  last_seen: 'last_seen',
  first_seen: 'first_seen',
  title: 'title',
  rule: 'rule_id',
  resource: 'resource_label',
  namespace: 'namespace',
  workflow: 'workflow',
};
export const FINDING_SORT_KEYS = Object.keys(SORTABLE);
const CHUNK = 400;
/** How long a cached list total may be reused (writes by other hub processes on the same database). */
const COUNT_TTL_MS = 5_000;
/** Suppressions added or deleted by another hub process on the same database apply within this time. */
const SUPPRESSION_RECHECK_MS = 60_000;
/** SQLite rows per upsert statement: 27 columns × 1,000 rows stays under its 32,766 bound parameters. */
const UPSERT_CHUNK = 1_000;
const PRIOR_COLUMNS = [
  'uid',
  'workflow',
  'severity',
  'title',
  'status',
  'first_seen',
  'suppression_id',
  'resolved_at',
  'updated_at',
  'synced_at',
  'securityhub_workflow',
] as const;
type PriorState = Pick<FindingsTable, (typeof PRIOR_COLUMNS)[number]>;
/** Everything but the key is rewritten on conflict; the row already carries the kept values. */
const UPSERT_COLUMNS = [
  'id',
  'cluster',
  'rule_id',
  'pillar',
  'title',
  'severity',
  'severity_rank',
  'status',
  'workflow',
  'scope',
  'resource_type',
  'resource_label',
  'resource_name',
  'namespace',
  'image',
  'image_digest',
  'first_seen',
  'last_seen',
  'resolved_at',
  'updated_at',
  'synced_at',
  'securityhub_workflow',
  'scan_id',
  'suppression_id',
  'data',
] as const satisfies ReadonlyArray<keyof FindingsTable>;

/**
 * The hub's findings store: ingest with dedupe and lifecycle, suppressions, and the read models behind the API.
 * Every method works the same on SQLite and PostgreSQL.
 */
export class HubStore {
  readonly db: Kysely<HubDatabase>;
  private writeVersion = 0;
  private newSinceAnalyze = 0;
  private analyzedRows = 0;
  private readonly counts = new Map<string, { n: number; at: number; version: number }>();
  /** When a suppression next expires (or another process may have changed them): the workflow is refreshed then. */
  private nextSuppressionChange = 0;

  constructor(
    readonly hub: HubDb,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.db = hub.db;
  }

  now(): string {
    return this.clock().toISOString();
  }

  /**
   * Stores one scan's findings. Dedupe is by (cluster, stable finding id): a finding seen again keeps its first-seen
   * time and workflow; one seen again after it was resolved reopens as NEW. Findings of a resource this scan covered
   * that the scan no longer reports (or now reports as pass) are RESOLVED.
   */
  async ingest(request: IngestRequest): Promise<IngestSummary> {
    const findings = validateFindings(request.result);
    const context = validateContext(request.context);
    const cluster = request.cluster ?? '';
    const now = this.now();
    const scanId = randomUUID();
    const open = findings.filter((f) => f.status === 'fail' || f.status === 'unknown');
    const closed = findings.filter((f) => f.status === 'pass' || f.status === 'skipped');
    const scopes = new Set<string>([
      ...findings.map((f) => scopeOf(f.resource)),
      ...(request.covered ?? []).map(scopeOf),
    ]);
    const summary: IngestSummary = { scanId, received: findings.length, stored: 0, new: 0, reopened: 0, resolved: 0 };

    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('scans')
        .values({
          id: scanId,
          kind: request.kind ?? 'ingest',
          command: request.result.command ?? '',
          source: request.source ?? '',
          cluster,
          targets: JSON.stringify(request.result.targets ?? []),
          status: 'done',
          created_at: now,
          started_at: now,
          finished_at: now,
          finding_count: open.length,
          new_count: 0,
          resolved_count: 0,
          errors: JSON.stringify(request.result.errors ?? []),
          context: context ? JSON.stringify(context) : null,
        })
        .execute();
      if (cluster) {
        await trx
          .insertInto('clusters')
          .values({ name: cluster, first_seen: now, last_seen: now })
          .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen: now }))
          .execute();
      }
      const suppressions = await activeSuppressions(trx, now);
      // Later duplicates of one id in a batch win, as if they were the newest report.
      const byUid = new Map<string, Finding>();
      for (const f of open) byUid.set(uidOf(cluster, f.id), f);
      const existing = new Map<string, PriorState>();
      for (const r of await priorStates(trx, this.hub.dialect, [...byUid.keys()])) existing.set(r.uid, r);
      // One upsert for new and seen-again findings: the row is computed here from the stored state, so both
      // dialects run the same multi-row statement instead of one UPDATE per finding.
      const rows: FindingsTable[] = [];
      for (const [uid, f] of byUid) {
        const row = rowOf(uid, cluster, f, scanId, now);
        const prior = existing.get(uid);
        const suppression = suppressionFor(suppressions, f, cluster);
        if (!prior) {
          summary.new++;
          row.workflow = suppression || f.suppression ? 'SUPPRESSED' : 'NEW';
          row.suppression_id = suppression?.id ?? null;
          rows.push(row);
          continue;
        }
        const reopened = prior.workflow === 'RESOLVED';
        if (reopened) summary.reopened++;
        const changed =
          reopened || prior.severity !== row.severity || prior.title !== row.title || prior.status !== row.status;
        // Kept from the stored row: first sighting, workflow (unless reopened), export state (unless changed).
        row.first_seen = prior.first_seen;
        row.workflow = reopened ? (suppression ? 'SUPPRESSED' : 'NEW') : prior.workflow;
        row.suppression_id = reopened ? (suppression?.id ?? null) : prior.suppression_id;
        row.resolved_at = reopened ? null : prior.resolved_at;
        row.updated_at = changed ? now : prior.updated_at;
        row.synced_at = changed ? null : prior.synced_at;
        row.securityhub_workflow = prior.securityhub_workflow;
        rows.push(row);
      }
      await upsertFindings(trx, this.hub.dialect, rows);
      summary.stored = byUid.size;

      // Resolution: findings of a covered resource not seen in this scan, and ids now reported as pass/skipped.
      const resolve = { workflow: 'RESOLVED', resolved_at: now, updated_at: now, synced_at: null };
      for (const scopeChunk of chunks([...scopes])) {
        const r = await trx
          .updateTable('findings')
          .set(resolve)
          .where('cluster', '=', cluster)
          .where('scope', 'in', scopeChunk)
          .where('workflow', '!=', 'RESOLVED')
          .where('scan_id', '!=', scanId)
          .executeTakeFirst();
        summary.resolved += Number(r.numUpdatedRows);
      }
      const passed = [...new Set(closed.map((f) => uidOf(cluster, f.id)))].filter((u) => !byUid.has(u));
      for (const uids of chunks(passed)) {
        const r = await trx
          .updateTable('findings')
          .set(resolve)
          .where('uid', 'in', uids)
          .where('workflow', '!=', 'RESOLVED')
          .executeTakeFirst();
        summary.resolved += Number(r.numUpdatedRows);
      }
      await this.recordImages(trx, open, now, scanId);
      await trx
        .updateTable('scans')
        .set({ new_count: summary.new + summary.reopened, resolved_count: summary.resolved })
        .where('id', '=', scanId)
        .execute();
    });
    this.changed();
    // Statistics follow the table's growth: re-analysed each time it has doubled (cost ≈ twice one ANALYZE of the
    // final table), so the planner walks the sort index for few-valued filters instead of sorting 100k rows.
    this.newSinceAnalyze += summary.new;
    if (this.newSinceAnalyze >= Math.max(1000, this.analyzedRows)) {
      this.analyzedRows += this.newSinceAnalyze;
      this.newSinceAnalyze = 0;
      await this.hub.optimize();
    }
    return summary;
  }

  /** Any write through this store: cached list totals are stale. */
  private changed(): void {
    this.writeVersion++;
  }

  /** Images named by digest in findings get a row so the image list shows them even without a pull by the hub. */
  private async recordImages(trx: Kysely<HubDatabase>, findings: Finding[], now: string, scanId: string) {
    const seen = new Map<string, string>();
    for (const f of findings) {
      if (f.resource.type === 'image' && f.resource.digest) seen.set(f.resource.digest, f.resource.reference);
    }
    for (const [digest, reference] of seen) {
      await upsertImage(trx, { digest, reference, lastScanId: scanId }, now);
    }
  }

  /** Records what the hub learnt about an image from its registry (manifest, layers, inventory). */
  async recordImage(image: ImageRecord): Promise<void> {
    await upsertImage(this.db, image, this.now());
  }

  /**
   * A page of findings. `cursor` (the `next` of the previous page) pages by keyset — the cost does not grow with the
   * depth — while `page` keeps offset paging for the dashboard's numbered pages. `total` is cached per filter for a
   * few seconds (writes through this store clear it), so paging through a large result counts once.
   */
  async listFindings(q: FindingQuery): Promise<Page<StoredFinding>> {
    if (this.clock().getTime() >= this.nextSuppressionChange) await this.refreshSuppressions();
    const page = Math.max(1, q.page ?? 1);
    const perPage = Math.min(500, Math.max(1, q.perPage ?? 50));
    const order = parseSort(q.sort);
    const filtered = this.filteredFindings(q);
    const total = await this.cachedCount(filtered, q);
    // The uid tie-break runs in the direction of the last sort key, so an all-descending order is one index walked
    // backwards (the indexes end in uid).
    const keys: Array<[keyof FindingsTable, 'asc' | 'desc']> = [
      ...order,
      ['uid', order[order.length - 1]?.[1] ?? 'asc'],
    ];
    let query = filtered.selectAll();
    for (const [column, dir] of keys) query = query.orderBy(column, dir);
    if (q.cursor) {
      const after = decodeCursor(q.cursor, order.length);
      query = query.where((eb) =>
        eb.or(
          keys.map(([column, dir], i) =>
            eb.and([
              ...order.slice(0, i).map(([c], j) => eb(c, '=', after[j] as string | number)),
              eb(column, dir === 'desc' ? '<' : '>', after[i] as string | number),
            ]),
          ),
        ),
      );
    } else if (page > 1) query = query.offset((page - 1) * perPage);
    const rows = await query.limit(perPage).execute();
    const last = rows[rows.length - 1];
    const next =
      rows.length === perPage && last
        ? encodeCursor([...order.map(([c]) => last[c] as string | number), last.uid])
        : undefined;
    return { items: rows.map(toStoredFinding), page, perPage, total, ...(next ? { next } : {}) };
  }

  private async cachedCount(
    filtered: SelectQueryBuilder<HubDatabase, 'findings', object>,
    q: FindingQuery,
  ): Promise<number> {
    const { sort: _s, page: _p, perPage: _pp, cursor: _c, ...filters } = q;
    const key = JSON.stringify(filters);
    const now = Date.now();
    const hit = this.counts.get(key);
    if (hit && hit.version === this.writeVersion && now - hit.at < COUNT_TTL_MS) return hit.n;
    const r = await filtered.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    if (this.counts.size > 1000) this.counts.clear();
    this.counts.set(key, { n: Number(r.n), at: now, version: this.writeVersion });
    return Number(r.n);
  }

  private filteredFindings(q: FindingQuery): SelectQueryBuilder<HubDatabase, 'findings', object> {
    let query = this.db.selectFrom('findings');
    if (q.severity?.length) {
      // By rank: the (severity_rank, last_seen) index serves both this filter and the default order.
      const ranks = q.severity.map((s) => s.toUpperCase()).filter((s): s is Severity => isSeverity(s));
      query = query.where('severity_rank', 'in', ranks.length ? ranks.map(severityRank) : [-1]);
    }
    if (q.status?.length) {
      const workflows = q.status
        .map((s) => s.toUpperCase())
        .filter((s) => (WORKFLOWS as readonly string[]).includes(s));
      const verdicts = q.status.map((s) => s.toLowerCase()).filter((s) => s === 'fail' || s === 'unknown');
      if (workflows.length) query = query.where('workflow', 'in', workflows);
      if (verdicts.length) query = query.where('status', 'in', verdicts);
    }
    if (q.pillar?.length) query = query.where('pillar', 'in', q.pillar);
    if (q.cluster !== undefined) query = query.where('cluster', '=', q.cluster);
    if (q.namespace !== undefined) query = query.where('namespace', '=', q.namespace);
    if (q.rule) query = query.where('rule_id', '=', q.rule);
    if (q.resource) {
      // Prefix of the resource's name or of its label, as ranges so an index serves them in both dialects.
      const from = q.resource;
      const to = `${from}\u{10ffff}`;
      query = query.where((eb) =>
        eb.or([
          eb.and([eb('resource_name', '>=', from), eb('resource_name', '<', to)]),
          eb.and([eb('resource_label', '>=', from), eb('resource_label', '<', to)]),
        ]),
      );
    }
    if (q.image) {
      const image = q.image;
      query = query.where((eb) =>
        eb.or([
          eb.and([eb('image_digest', '>=', image), eb('image_digest', '<', `${image}\u{10ffff}`)]),
          eb('image', '=', image),
        ]),
      );
    }
    return query;
  }

  async getFinding(uid: string): Promise<StoredFinding | undefined> {
    const row = await this.db.selectFrom('findings').selectAll().where('uid', '=', uid).executeTakeFirst();
    return row ? toStoredFinding(row) : undefined;
  }

  /** The customer side of the workflow: mark NOTIFIED or back to NEW (RESOLVED and SUPPRESSED are derived). */
  async setWorkflow(uid: string, workflow: 'NEW' | 'NOTIFIED'): Promise<StoredFinding | undefined> {
    const now = this.now();
    await this.db
      .updateTable('findings')
      .set({ workflow, updated_at: now, synced_at: null })
      .where('uid', '=', uid)
      .where('workflow', 'in', ['NEW', 'NOTIFIED'])
      .execute();
    this.changed();
    return this.getFinding(uid);
  }

  async addSuppression(input: SuppressionInput): Promise<SuppressionRow> {
    if (!input.reason?.trim()) throw new InputError('a suppression needs a reason', { field: 'reason' });
    if (!input.findingId && !input.ruleId) {
      throw new InputError('a suppression needs findingId or ruleId', { field: 'findingId' });
    }
    if (input.expiresAt !== undefined && Number.isNaN(Date.parse(input.expiresAt))) {
      throw new InputError(`not a date: ${input.expiresAt}`, { field: 'expiresAt' });
    }
    const row = {
      id: randomUUID(),
      finding_id: input.findingId ?? '',
      rule_id: input.ruleId ?? '',
      cluster: input.cluster ?? '',
      reason: input.reason.trim(),
      expires_at: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      created_at: this.now(),
      created_by: input.createdBy ?? '',
    };
    await this.db.insertInto('suppressions').values(row).execute();
    await this.refreshSuppressions();
    return toSuppression(row);
  }

  async listSuppressions(): Promise<SuppressionRow[]> {
    const rows = await this.db.selectFrom('suppressions').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(toSuppression);
  }

  async deleteSuppression(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('suppressions').where('id', '=', id).executeTakeFirst();
    await this.refreshSuppressions();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Applies suppressions to open findings and lifts expired or deleted ones (the finding goes back to NEW), so the
   * stored workflow is always current when it is filtered on.
   */
  async refreshSuppressions(): Promise<void> {
    const now = this.now();
    const active = await activeSuppressions(this.db, now);
    const expiries = active.flatMap((a) => (a.expires_at ? [Date.parse(a.expires_at)] : []));
    this.nextSuppressionChange = Math.min(this.clock().getTime() + SUPPRESSION_RECHECK_MS, ...expiries);
    const activeIds = active.map((s) => s.id);
    let lift = this.db
      .updateTable('findings')
      .set({ workflow: 'NEW', suppression_id: null, updated_at: now, synced_at: null })
      .where('workflow', '=', 'SUPPRESSED')
      .where('suppression_id', 'is not', null);
    if (activeIds.length) lift = lift.where('suppression_id', 'not in', activeIds);
    await lift.execute();
    for (const s of active) {
      let apply = this.db
        .updateTable('findings')
        .set({ workflow: 'SUPPRESSED', suppression_id: s.id, updated_at: now, synced_at: null })
        .where('workflow', 'in', ['NEW', 'NOTIFIED']);
      if (s.finding_id) apply = apply.where('id', '=', s.finding_id);
      if (s.rule_id) apply = apply.where('rule_id', '=', s.rule_id);
      if (s.cluster) apply = apply.where('cluster', '=', s.cluster);
      await apply.execute();
    }
    this.changed();
  }

  async listImages(page = 1, perPage = 50): Promise<Page<ImageSummary>> {
    const total = await this.db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('images')
      .selectAll()
      .orderBy('last_seen', 'desc')
      .orderBy('digest')
      .limit(perPage)
      .offset((page - 1) * perPage)
      .execute();
    const counts = await this.openCountsBy(
      'image_digest',
      rows.map((r) => r.digest),
    );
    return {
      items: rows.map((r) => ({ ...imageOf(r), findings: counts.get(r.digest) ?? emptyCounts() })),
      page,
      perPage,
      total: Number(total.n),
    };
  }

  async getImage(digest: string): Promise<ImageDetail | undefined> {
    const row = await this.db.selectFrom('images').selectAll().where('digest', '=', digest).executeTakeFirst();
    if (!row) return undefined;
    const rows = await this.db
      .selectFrom('findings')
      .selectAll()
      .where('image_digest', '=', digest)
      .where('workflow', '!=', 'RESOLVED')
      .orderBy('severity_rank', 'desc')
      .orderBy('rule_id')
      .execute();
    const findings = rows.map(toStoredFinding);
    const vulnerabilities = findings.flatMap((f) => {
      const v = vulnerabilityOf(f.finding.details);
      if (!v) return [];
      return [
        {
          id: v.id,
          severity: f.severity,
          package: v.package.name,
          version: v.package.version,
          fixedVersion: v.package.fixedVersion ?? null,
          workflow: f.workflow,
          findingUid: f.uid,
        },
      ];
    });
    const fixes = new Map<string, { package: string; installed: string; fixedVersion: string; fixes: number }>();
    for (const v of vulnerabilities) {
      if (!v.fixedVersion) continue;
      const key = `${v.package}\0${v.version}`;
      const prior = fixes.get(key);
      // The version that fixes every listed vulnerability of a package is the highest one named; compare as text
      // only within one package stream, where the vulnerability engine already gave comparable versions.
      if (!prior) fixes.set(key, { package: v.package, installed: v.version, fixedVersion: v.fixedVersion, fixes: 1 });
      else {
        prior.fixes++;
        if (v.fixedVersion.localeCompare(prior.fixedVersion, undefined, { numeric: true }) > 0)
          prior.fixedVersion = v.fixedVersion;
      }
    }
    return {
      ...imageOf(row),
      inventory: row.inventory ? JSON.parse(row.inventory) : null,
      findings,
      vulnerabilities,
      fixes: [...fixes.values()],
    };
  }

  async listClusters(): Promise<
    Array<{ name: string; firstSeen: string; lastSeen: string; findings: SeverityCounts }>
  > {
    const rows = await this.db.selectFrom('clusters').selectAll().orderBy('name').execute();
    const counts = await this.openCountsBy(
      'cluster',
      rows.map((r) => r.name),
    );
    return rows.map((r) => ({
      name: r.name,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      findings: counts.get(r.name) ?? emptyCounts(),
    }));
  }

  /**
   * Namespaces seen in open findings, with counts by pillar and the boundary verdict: `fail` when a boundary check
   * fails there, `unknown` when one could not decide, `no-findings` otherwise (absence of findings is not a pass).
   */
  async listNamespaces(cluster?: string): Promise<NamespaceSummary[]> {
    let q = this.db
      .selectFrom('findings')
      .select(['cluster', 'namespace', 'pillar', 'status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('namespace', '!=', '')
      .where('workflow', 'in', ['NEW', 'NOTIFIED']);
    if (cluster !== undefined) q = q.where('cluster', '=', cluster);
    const rows = await q.groupBy(['cluster', 'namespace', 'pillar', 'status']).execute();
    const out = new Map<string, NamespaceSummary>();
    for (const r of rows) {
      const key = `${r.cluster}\0${r.namespace}`;
      let ns = out.get(key);
      if (!ns) {
        ns = { cluster: r.cluster, namespace: r.namespace, open: 0, byPillar: {}, boundary: 'no-findings' };
        out.set(key, ns);
      }
      const n = Number(r.n);
      ns.open += n;
      ns.byPillar[r.pillar] = (ns.byPillar[r.pillar] ?? 0) + n;
      if (r.pillar === 'boundary') {
        if (r.status === 'fail') ns.boundary = 'fail';
        else if (ns.boundary !== 'fail') ns.boundary = 'unknown';
      }
    }
    return [...out.values()].sort(
      (a, b) => a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace),
    );
  }

  /** Counts of open findings by severity and pillar, and new/resolved per day for the trend chart. */
  async overview(days = 30): Promise<Overview> {
    const bySeverity = await this.db
      .selectFrom('findings')
      .select(['severity', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('workflow', 'in', ['NEW', 'NOTIFIED'])
      .groupBy('severity')
      .execute();
    const byPillar = await this.db
      .selectFrom('findings')
      .select(['pillar', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('workflow', 'in', ['NEW', 'NOTIFIED'])
      .groupBy('pillar')
      .execute();
    const since = new Date(this.clock().getTime() - days * 86_400_000).toISOString();
    const scans = await this.db
      .selectFrom('scans')
      .select(['created_at', 'new_count', 'resolved_count'])
      .where('created_at', '>=', since)
      .execute();
    const trend = new Map<string, { day: string; opened: number; resolved: number }>();
    for (const s of scans) {
      const day = s.created_at.slice(0, 10);
      const t = trend.get(day) ?? { day, opened: 0, resolved: 0 };
      t.opened += Number(s.new_count);
      t.resolved += Number(s.resolved_count);
      trend.set(day, t);
    }
    return {
      bySeverity: Object.fromEntries(
        SEVERITIES.map((s) => [s, Number(bySeverity.find((r) => r.severity === s)?.n ?? 0)]),
      ),
      byPillar: Object.fromEntries(byPillar.map((r) => [r.pillar, Number(r.n)])),
      trend: [...trend.values()].sort((a, b) => a.day.localeCompare(b.day)),
    };
  }

  async listScans(page = 1, perPage = 50): Promise<Page<ScanRow>> {
    const total = await this.db
      .selectFrom('scans')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('scans')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(perPage)
      .offset((page - 1) * perPage)
      .execute();
    return { items: rows.map(toScan), page, perPage, total: Number(total.n) };
  }

  /** The namespace reachability graph of the latest scan of `cluster` that carried one. */
  async reachability(cluster: string): Promise<ClusterReachability> {
    const row = await this.db
      .selectFrom('scans')
      .select(['id', 'created_at', 'context'])
      .where('cluster', '=', cluster)
      .where('context', 'like', '%"reachability"%')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const edges = row?.context ? (JSON.parse(row.context) as ScanContext).reachability : undefined;
    if (!row || !edges) {
      return {
        cluster,
        scanId: null,
        createdAt: null,
        namespaces: [],
        edges: null,
        reason: 'no scan of this cluster carried a reachability graph (push an audit: rampart audit --push)',
      };
    }
    const namespaces = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
    return { cluster, scanId: row.id, createdAt: row.created_at, namespaces, edges };
  }

  /** The who-can answers of the latest scan of `cluster` that carried them, narrowed by namespace/question/text. */
  async access(
    cluster: string,
    query: { namespace?: string; question?: string; filter?: string } = {},
  ): Promise<ClusterAccess> {
    const row = await this.db
      .selectFrom('scans')
      .select(['id', 'created_at', 'context'])
      .where('cluster', '=', cluster)
      .where('context', 'like', '%"access":{%')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const access = row?.context ? (JSON.parse(row.context) as ScanContext).access : undefined;
    if (!row || !access) {
      return {
        cluster,
        scanId: null,
        createdAt: null,
        questions: [],
        namespaces: [],
        subjectCap: null,
        answers: [],
        reason: 'no scan of this cluster carried who-can answers (push an audit: rampart audit --push)',
      };
    }
    return selectAccess({ cluster, scanId: row.id, createdAt: row.created_at }, access, query);
  }

  async getScan(id: string): Promise<ScanRow | undefined> {
    const row = await this.db.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toScan(row) : undefined;
  }

  /** Images whose inventory (SBOM) the hub keeps, for re-matching. */
  async storedInventories(): Promise<Array<{ digest: string; reference: string; inventory: unknown }>> {
    const rows = await this.db
      .selectFrom('images')
      .select(['digest', 'reference', 'inventory'])
      .where('inventory', 'is not', null)
      .orderBy('digest')
      .execute();
    return rows.map((r) => ({
      digest: r.digest,
      reference: r.reference,
      inventory: JSON.parse(r.inventory ?? 'null'),
    }));
  }

  /** Findings changed since their last export (or never exported), for Security Hub. */
  async unsyncedFindings(limit: number): Promise<StoredFinding[]> {
    const rows = await this.db
      .selectFrom('findings')
      .selectAll()
      .where('synced_at', 'is', null)
      .orderBy('updated_at')
      .orderBy('uid')
      .limit(limit)
      .execute();
    return rows.map(toStoredFinding);
  }

  /** Marks exported versions; a finding changed after `asOf` stays unsynced. */
  async markSynced(uids: string[], asOf: string): Promise<void> {
    for (const part of chunks(uids)) {
      await this.db
        .updateTable('findings')
        .set({ synced_at: asOf })
        .where('uid', 'in', part)
        .where('updated_at', '<=', asOf)
        .execute();
    }
  }

  /** Makes findings due for export again (a workflow update Security Hub did not process). */
  async markUnsynced(uids: string[]): Promise<void> {
    for (const part of chunks(uids)) {
      await this.db.updateTable('findings').set({ synced_at: null }).where('uid', 'in', part).execute();
    }
  }

  /** Records the Workflow.Status Security Hub now holds for these findings. */
  async markSecurityHubWorkflow(uids: string[], workflow: string): Promise<void> {
    for (const part of chunks(uids)) {
      await this.db.updateTable('findings').set({ securityhub_workflow: workflow }).where('uid', 'in', part).execute();
    }
  }

  // API tokens: the token is returned once; only its sha256 is kept.

  async tokenCount(): Promise<number> {
    const r = await this.db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async createToken(name: string): Promise<string> {
    const token = `rmp_${randomBytes(32).toString('base64url')}`;
    await this.db
      .insertInto('api_tokens')
      .values({ id: randomUUID(), name, hash: hashToken(token), created_at: this.now(), last_used_at: null })
      .execute();
    return token;
  }

  async verifyToken(token: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('api_tokens')
      .select('id')
      .where('hash', '=', hashToken(token))
      .executeTakeFirst();
    return row !== undefined;
  }

  private async openCountsBy(column: 'image_digest' | 'cluster', keys: string[]): Promise<Map<string, SeverityCounts>> {
    const out = new Map<string, SeverityCounts>();
    for (const part of chunks(keys)) {
      const rows = await this.db
        .selectFrom('findings')
        .select([column, 'severity', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where(column, 'in', part)
        .where('workflow', 'in', ['NEW', 'NOTIFIED'])
        .groupBy([column, 'severity'])
        .execute();
      for (const r of rows) {
        const key = (r as Record<string, unknown>)[column] as string;
        const c = out.get(key) ?? emptyCounts();
        c[r.severity as Severity] = Number(r.n);
        out.set(key, c);
      }
    }
    return out;
  }
}

export type SeverityCounts = Record<Severity, number>;

export interface ImageRecord {
  digest: string;
  reference: string;
  tags?: string[];
  mediaType?: string;
  platform?: string;
  layers?: Array<{ digest: string; size?: number; mediaType?: string }>;
  inventory?: unknown;
  lastScanId?: string;
}

export interface ImageSummary {
  digest: string;
  reference: string;
  registry: string;
  repository: string;
  tags: string[];
  mediaType: string;
  platform: string;
  layers: Array<{ digest: string; size?: number; mediaType?: string }>;
  firstSeen: string;
  lastSeen: string;
  lastScanId: string | null;
  findings?: SeverityCounts;
}

export interface ImageDetail extends Omit<ImageSummary, 'findings'> {
  inventory: unknown;
  findings: StoredFinding[];
  vulnerabilities: Array<{
    id: string;
    severity: Severity;
    package: string;
    version: string;
    fixedVersion: string | null;
    workflow: Workflow;
    findingUid: string;
  }>;
  fixes: Array<{ package: string; installed: string; fixedVersion: string; fixes: number }>;
}

export interface NamespaceSummary {
  cluster: string;
  namespace: string;
  open: number;
  byPillar: Record<string, number>;
  boundary: 'fail' | 'unknown' | 'no-findings';
}

export interface Overview {
  bySeverity: Record<string, number>;
  byPillar: Record<string, number>;
  trend: Array<{ day: string; opened: number; resolved: number }>;
}

export interface ScanRow {
  id: string;
  kind: string;
  command: string;
  source: string;
  cluster: string;
  targets: string[];
  status: string;
  createdAt: string;
  findingCount: number;
  newCount: number;
  resolvedCount: number;
  errors: unknown[];
}

export interface SuppressionRow {
  id: string;
  findingId: string;
  ruleId: string;
  cluster: string;
  reason: string;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function uidOf(cluster: string, findingId: string): string {
  return createHash('sha256').update(cluster).update('\0').update(findingId).digest('hex').slice(0, 24);
}

/**
 * The unit a scan covers: for an image its digest (a rescan covers all its packages), for a Kubernetes object the
 * object, for AWS resources the ARN, for files the path.
 */
export function scopeOf(r: ResourceRef): string {
  switch (r.type) {
    case 'image':
      return `image|${r.digest ?? r.reference}`;
    case 'kubernetes':
      return `k8s|${r.kind}|${r.namespace ?? ''}|${r.name}`;
    case 'aws':
      return `aws|${r.arn}`;
    case 'file':
      return `file|${r.path}`;
  }
}

/** The stored state of the given findings: one `= any($1)` on PostgreSQL, IN lists of CHUNK on SQLite. */
async function priorStates(trx: Kysely<HubDatabase>, dialect: DialectName, uids: string[]): Promise<PriorState[]> {
  const select = trx.selectFrom('findings').select(PRIOR_COLUMNS);
  if (dialect === 'postgres') {
    return uids.length ? select.where(sql<boolean>`uid = any(${uids}::text[])`).execute() : [];
  }
  const out: PriorState[] = [];
  for (const part of chunks(uids)) out.push(...(await select.where('uid', 'in', part).execute()));
  return out;
}

/**
 * Inserts or rewrites whole finding rows. PostgreSQL gets the batch as one array per column through `unnest` — one
 * statement with 27 parameters however many rows; SQLite gets multi-row statements of UPSERT_CHUNK rows, all but the
 * last one the same SQL so the prepared statement is reused.
 */
async function upsertFindings(trx: Kysely<HubDatabase>, dialect: DialectName, rows: FindingsTable[]): Promise<void> {
  if (rows.length === 0) return;
  if (dialect === 'postgres') {
    const onConflict = sql.join(UPSERT_COLUMNS.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`));
    const columns = ['uid', ...UPSERT_COLUMNS] as const;
    const arrays = columns.map((c) => {
      const values = rows.map((r) => r[c]);
      return c === 'severity_rank' ? sql`${values}::integer[]` : sql`${values}::text[]`;
    });
    await sql`insert into findings (${sql.join(columns.map((c) => sql.ref(c)))})
      select * from unnest(${sql.join(arrays)})
      on conflict (uid) do update set ${onConflict}`.execute(trx);
    return;
  }
  const columns = ['uid', ...UPSERT_COLUMNS] as const;
  for (const part of chunks(rows, UPSERT_CHUNK)) {
    const params: unknown[] = [];
    for (const row of part) for (const c of columns) params.push(row[c]);
    await trx.executeQuery(CompiledQuery.raw(sqliteUpsertSql(part.length), params));
  }
}

const sqliteUpsertTexts = new Map<number, string>();

/** The SQLite upsert of `n` rows as SQL text, built once per row count (and so prepared once, see db.ts). */
function sqliteUpsertSql(n: number): string {
  let text = sqliteUpsertTexts.get(n);
  if (!text) {
    const columns = ['uid', ...UPSERT_COLUMNS];
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text =
      `insert into findings (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array(n).fill(tuple).join(', ')} ` +
      `on conflict (uid) do update set ${UPSERT_COLUMNS.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`;
    sqliteUpsertTexts.set(n, text);
  }
  return text;
}

function rowOf(uid: string, cluster: string, f: Finding, scanId: string, now: string): FindingsTable {
  const r = f.resource;
  return {
    uid,
    id: f.id,
    cluster,
    rule_id: f.ruleId,
    pillar: f.pillar ?? (vulnerabilityOf(f.details) ? 'vulnerability' : 'config'),
    title: f.title,
    severity: f.severity,
    severity_rank: severityRank(f.severity),
    status: f.status,
    workflow: 'NEW',
    scope: scopeOf(r),
    resource_type: r.type === 'kubernetes' ? r.kind : r.type === 'aws' ? (r.resourceType ?? 'aws') : r.type,
    resource_label: resourceLabel(r),
    resource_name: resourceNameOf(r),
    namespace: r.type === 'kubernetes' ? (r.namespace ?? '') : '',
    image: r.type === 'image' ? r.reference : '',
    image_digest: r.type === 'image' ? (r.digest ?? '') : '',
    first_seen: now,
    last_seen: now,
    resolved_at: null,
    updated_at: now,
    synced_at: null,
    securityhub_workflow: null,
    scan_id: scanId,
    suppression_id: null,
    data: JSON.stringify(f),
  };
}

function toStoredFinding(r: FindingsTable): StoredFinding {
  return {
    uid: r.uid,
    id: r.id,
    cluster: r.cluster,
    ruleId: r.rule_id,
    pillar: r.pillar,
    title: r.title,
    severity: r.severity as Severity,
    status: r.status,
    workflow: r.workflow as Workflow,
    resource: r.resource_label,
    resourceType: r.resource_type,
    namespace: r.namespace,
    image: r.image,
    imageDigest: r.image_digest,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    resolvedAt: r.resolved_at,
    updatedAt: r.updated_at,
    scanId: r.scan_id,
    suppressionId: r.suppression_id,
    securityHubWorkflow: r.securityhub_workflow,
    finding: JSON.parse(r.data) as Finding,
  };
}

function toScan(r: HubDatabase['scans']): ScanRow {
  return {
    id: r.id,
    kind: r.kind,
    command: r.command,
    source: r.source,
    cluster: r.cluster,
    targets: JSON.parse(r.targets),
    status: r.status,
    createdAt: r.created_at,
    findingCount: Number(r.finding_count),
    newCount: Number(r.new_count),
    resolvedCount: Number(r.resolved_count),
    errors: JSON.parse(r.errors),
  };
}

function toSuppression(r: HubDatabase['suppressions']): SuppressionRow {
  return {
    id: r.id,
    findingId: r.finding_id,
    ruleId: r.rule_id,
    cluster: r.cluster,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

function imageOf(r: ImagesTable): ImageSummary {
  return {
    digest: r.digest,
    reference: r.reference,
    registry: r.registry,
    repository: r.repository,
    tags: JSON.parse(r.tags),
    mediaType: r.media_type,
    platform: r.platform,
    layers: JSON.parse(r.layers),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    lastScanId: r.last_scan_id,
  };
}

async function upsertImage(db: Kysely<HubDatabase>, image: ImageRecord, now: string): Promise<void> {
  const { registry, repository, tag } = splitReference(image.reference);
  const prior = await db.selectFrom('images').select(['tags']).where('digest', '=', image.digest).executeTakeFirst();
  const tags = new Set<string>(prior ? (JSON.parse(prior.tags) as string[]) : []);
  for (const t of [...(image.tags ?? []), ...(tag ? [tag] : [])]) tags.add(t);
  const values = {
    reference: image.reference,
    registry,
    repository,
    tags: JSON.stringify([...tags].sort()),
    last_seen: now,
    ...(image.mediaType !== undefined ? { media_type: image.mediaType } : {}),
    ...(image.platform !== undefined ? { platform: image.platform } : {}),
    ...(image.layers !== undefined ? { layers: JSON.stringify(image.layers) } : {}),
    ...(image.inventory !== undefined ? { inventory: JSON.stringify(image.inventory) } : {}),
    ...(image.lastScanId !== undefined ? { last_scan_id: image.lastScanId } : {}),
  };
  if (prior) {
    await db.updateTable('images').set(values).where('digest', '=', image.digest).execute();
  } else {
    await db
      .insertInto('images')
      .values({
        digest: image.digest,
        media_type: '',
        platform: '',
        layers: '[]',
        inventory: null,
        last_scan_id: null,
        first_seen: now,
        ...values,
      })
      .onConflict((oc) => oc.column('digest').doUpdateSet(values))
      .execute();
  }
}

/** `registry/repo:tag@digest` → parts; a first segment without a dot, colon or `localhost` is Docker Hub's. */
export function splitReference(reference: string): { registry: string; repository: string; tag?: string } {
  const noDigest = reference.split('@')[0] ?? reference;
  const slash = noDigest.indexOf('/');
  let registry = 'docker.io';
  let rest = noDigest;
  if (slash > 0) {
    const first = noDigest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = noDigest.slice(slash + 1);
    }
  }
  const colon = rest.lastIndexOf(':');
  if (colon > 0) return { registry, repository: rest.slice(0, colon), tag: rest.slice(colon + 1) };
  return { registry, repository: rest };
}

async function activeSuppressions(db: Kysely<HubDatabase>, now: string) {
  return db
    .selectFrom('suppressions')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at')
    .execute();
}

function suppressionFor(
  suppressions: Array<HubDatabase['suppressions']>,
  f: Finding,
  cluster: string,
): HubDatabase['suppressions'] | undefined {
  return suppressions.find(
    (s) =>
      (!s.finding_id || s.finding_id === f.id) &&
      (!s.rule_id || s.rule_id === f.ruleId) &&
      (!s.cluster || s.cluster === cluster),
  );
}

function parseSort(sort: string | undefined): Array<[keyof FindingsTable, 'asc' | 'desc']> {
  const spec = sort?.trim() ? sort : '-severity,-last_seen';
  return spec.split(',').map((part) => {
    const desc = part.startsWith('-');
    const key = part.replace(/^[-+]/, '').trim();
    const column = SORTABLE[key];
    if (!column) {
      throw new InputError(`unknown sort key ${key}; expected one of ${FINDING_SORT_KEYS.join(', ')}`, {
        field: 'sort',
      });
    }
    return [column, desc ? 'desc' : 'asc'];
  });
}

/** Checks the shape of pushed findings and names the first bad field, e.g. `findings[3].severity`. */
export function validateFindings(result: ScanResult): Finding[] {
  if (!result || typeof result !== 'object' || !Array.isArray(result.findings)) {
    throw new InputError('expected a ScanResult with a findings array', { field: 'findings' });
  }
  result.findings.forEach((f, i) => {
    const at = (field: string) => ({ field: `findings[${i}].${field}` });
    if (!f || typeof f !== 'object') throw new InputError('not an object', { field: `findings[${i}]` });
    if (typeof f.id !== 'string' || !f.id) throw new InputError('missing stable id', at('id'));
    if (typeof f.ruleId !== 'string' || !f.ruleId) throw new InputError('missing rule id', at('ruleId'));
    if (typeof f.title !== 'string') throw new InputError('missing title', at('title'));
    if (!(SEVERITIES as readonly string[]).includes(f.severity)) {
      throw new InputError(
        `severity ${JSON.stringify(f.severity)} is not one of ${SEVERITIES.join(', ')}`,
        at('severity'),
      );
    }
    if (!(FINDING_STATUSES as readonly string[]).includes(f.status)) {
      throw new InputError(
        `status ${JSON.stringify(f.status)} is not one of ${FINDING_STATUSES.join(', ')}`,
        at('status'),
      );
    }
    const r = f.resource as ResourceRef | undefined;
    if (!r || !['kubernetes', 'image', 'aws', 'file'].includes(r.type)) {
      throw new InputError('resource.type must be kubernetes, image, aws or file', at('resource.type'));
    }
  });
  return result.findings;
}

/** Checks a pushed scan context and names the first bad field, e.g. `context.reachability[2].to`. */
function validateContext(context: unknown): ScanContext | undefined {
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw new InputError('expected an object', { field: 'context' });
  }
  const raw = context as Record<string, unknown>;
  const access = raw.access === undefined ? undefined : validateAccessContext(raw.access);
  const reachability = (context as ScanContext).reachability;
  if (reachability === undefined) return access ? { access } : {};
  if (!Array.isArray(reachability)) throw new InputError('expected an array', { field: 'context.reachability' });
  reachability.forEach((e, i) => {
    for (const key of ['from', 'to', 'connections'] as const) {
      if (typeof e?.[key] !== 'string') {
        throw new InputError('expected a string', { field: `context.reachability[${i}].${key}` });
      }
    }
  });
  return {
    reachability: reachability.map((e) => ({
      from: e.from,
      to: e.to,
      connections: e.connections,
      ...(Array.isArray(e.ranges) ? { ranges: e.ranges.map(String) } : {}),
    })),
    ...(access ? { access } : {}),
  };
}

function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0 };
}

function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

function encodeCursor(values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string, sortKeys: number): Array<string | number> {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (
    !Array.isArray(values) ||
    values.length !== sortKeys + 1 ||
    !values.every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new InputError('not a cursor of this listing (use the `next` of the previous page with the same sort)', {
      field: 'cursor',
    });
  }
  return values as Array<string | number>;
}

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
