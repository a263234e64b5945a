import type { Generated } from 'kysely';
import type { ResourceRef } from '../core/index.js';

/**
 * The hub's tables, written once for SQLite and PostgreSQL: timestamps are ISO-8601 text (sortable in both),
 * JSON documents are text, counters are integers. Nothing dialect-specific leaks into queries.
 */
export interface FindingsTable {
  /** Hash of cluster + finding id: the same rule on the same resource in two clusters is two rows. */
  uid: string;
  /** The engine's stable finding id (`makeFinding`). */
  id: string;
  cluster: string;
  rule_id: string;
  pillar: string;
  title: string;
  severity: string;
  /** 4 CRITICAL … 0 INFO, so sorting by severity is numeric. */
  severity_rank: number;
  /** The engine's verdict the last time the finding was seen: fail or unknown. */
  status: string;
  /** NEW / NOTIFIED / RESOLVED / SUPPRESSED, as Security Hub's Workflow.Status. */
  workflow: string;
  /** What a newer scan must cover for this finding to be resolved when absent (image digest, k8s object, …). */
  scope: string;
  resource_type: string;
  resource_label: string;
  /** The resource's own name (object name, image reference, ARN, path): the resource filter matches its prefix. */
  resource_name: string;
  namespace: string;
  image: string;
  image_digest: string;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
  /** Last change of anything Security Hub would see (severity, workflow, record state). */
  updated_at: string;
  /** When this version was exported to Security Hub; null = never or changed since. */
  synced_at: string | null;
  /** Workflow.Status Security Hub holds (set by import or BatchUpdateFindings); null = never exported. */
  securityhub_workflow: string | null;
  scan_id: string;
  suppression_id: string | null;
  /** The whole Finding as JSON. */
  data: string;
}

export interface ScansTable {
  id: string;
  /** `ingest` (pushed by a CLI), `image` (scan on push). */
  kind: string;
  command: string;
  source: string;
  cluster: string;
  targets: string;
  status: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  finding_count: number;
  new_count: number;
  resolved_count: number;
  errors: string;
  /** JSON `ScanContext` pushed with the scan (e.g. the audit's reachability graph); null when none. */
  context: string | null;
}

export interface ImagesTable {
  digest: string;
  reference: string;
  registry: string;
  repository: string;
  tags: string;
  media_type: string;
  platform: string;
  layers: string;
  /** The inventory (SBOM) as JSON, kept so a newer advisory database can be matched again without a pull. */
  inventory: string | null;
  first_seen: string;
  last_seen: string;
  last_scan_id: string | null;
}

export interface ClustersTable {
  name: string;
  first_seen: string;
  last_seen: string;
}

export interface SuppressionsTable {
  id: string;
  /** Match on the stable finding id, on a rule id, or both; empty string = any. */
  finding_id: string;
  rule_id: string;
  cluster: string;
  reason: string;
  expires_at: string | null;
  created_at: string;
  created_by: string;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** At most one queued or running job per key (e.g. an image digest): bursts of identical events scan once. */
  dedupe_key: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_until: string | null;
  lease_owner: string | null;
  last_error: string | null;
  scan_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** sha256 of the token: the token itself is shown once and never stored. */
  hash: string;
  created_at: string;
  last_used_at: string | null;
}

export interface HubDatabase {
  findings: FindingsTable;
  scans: ScansTable;
  images: ImagesTable;
  clusters: ClustersTable;
  suppressions: SuppressionsTable;
  jobs: JobsTable;
  api_tokens: ApiTokensTable;
}

/** The name a user types to find a resource: the object's name, the image reference, the ARN, the file path. */
export function resourceNameOf(r: ResourceRef): string {
  switch (r.type) {
    case 'kubernetes':
      return r.name;
    case 'image':
      return r.reference;
    case 'aws':
      return r.arn;
    case 'file':
      return r.path;
  }
}
