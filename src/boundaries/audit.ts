import { type AccessModel, accessRisks } from '../access/index.js';
import { lint } from '../config/index.js';
import {
  type Finding,
  type FindingStatus,
  type ImageInventory,
  type InputProblem,
  makeFinding,
  type Pillar,
  type ResourceRef,
  type ScanResult,
} from '../core/index.js';
import { inventoryImage, type RegistryOptions } from '../image/index.js';
import { allContainers, expandWorkloads, type LoadedObject, loadSnapshot, type Snapshot } from '../inputs/index.js';
import { lintNetwork } from '../network/index.js';
import { type AdvisoryDb, openExistingAdvisoryDb, scanInventory } from '../vuln/index.js';
import { type AccessContext, accessContextOf } from './access-context.js';
import { BUILTIN_ROLES_VERSION, withBuiltinRoles } from './builtin-roles.js';
import { detectPolicyEnforcement, networkCniOf } from './cni.js';
import {
  accessModelOf,
  EXTERNAL,
  failureText,
  isolationFromNetwork,
  networkOf,
  pssFromConfigEngine,
  rbacFromAccessEngine,
  reachabilityFromNetwork,
} from './engines.js';
import type { BoundaryProviders, NamespaceEdge, Provided, RbacOracle } from './providers.js';
import { analyzeBoundaries, type NamespaceBoundary } from './verdict.js';

export interface AuditOptions {
  /** `--aws-snapshot DIR`: access entries and cluster data for the access engine. */
  awsSnapshot?: string;
  /** `--images`: read the workloads' images too (image and vulnerability engines). */
  images?: boolean;
  /** Cache directory for the advisory DB and layer cache (`--cache-dir`). */
  cacheDir?: string;
  /**
   * `--image-source REF=SOURCE`: read the workload image REF from a local source of the images engine
   * (`oci:DIR[:tag]`, `docker-archive:FILE`, `oci-archive:FILE`, `dir:ROOTFS`) instead of its registry.
   */
  imageSources?: Record<string, string>;
  /** How registries are reached (loopback registries over plain HTTP, docker config, credentials). */
  registry?: RegistryOptions;
}

/** One engine's part in the audit: ran, or why not. */
export interface EngineRun {
  engine: string;
  pillar: Pillar;
  /** What the audit used it for. */
  purpose: string;
  status: 'ran' | 'unavailable' | 'failed' | 'skipped';
  reason?: string;
  findings: number;
}

export type StatusCounts = Record<FindingStatus, number>;

export interface AuditSummary {
  byPillar: Record<string, StatusCounts>;
  byNamespace: Record<string, StatusCounts>;
  verdicts: Record<'isolated' | 'partial' | 'open', number>;
  failBySeverity: Record<string, number>;
}

export interface AuditDetails {
  enforcement: { state: string; summary: string };
  namespaces: Array<Omit<NamespaceBoundary, 'findings'>>;
  /** Namespace-to-namespace edges; undefined when the network engine could not compute them (see `reachabilityUnknown`). */
  reachability?: NamespaceEdge[];
  reachabilityUnknown?: string;
  engines: EngineRun[];
  summary: AuditSummary;
  /** Built-in ClusterRoles bound in the snapshot but not defined there, whose default rules the RBAC checks assumed. */
  assumedRoles?: { version: string; roles: string[] };
}

/** The audit's result: a ScanResult every writer renders, plus what the HTML report and the summary need. */
export interface AuditResult extends ScanResult {
  audit: AuditDetails;
}

/**
 * What one audit run looked at completely: every object of the snapshot and every image it read. Kept beside the
 * result (not in it) so `-o json` stays the findings; the hub resolves the open findings of these resources that
 * a later run no longer reports.
 */
const coveredByResult = new WeakMap<AuditResult, ResourceRef[]>();

export function coveredOf(result: AuditResult): ResourceRef[] {
  return coveredByResult.get(result) ?? [];
}

/** The access model the audit judged with (built-in roles added), kept beside the result for `--push`. */
const accessModelByResult = new WeakMap<AuditResult, AccessModel>();

/**
 * The who-can answers of the hub's sensitive questions for the audit's namespaces; undefined when the access engine
 * could not build its model.
 */
export function accessContextOfAudit(result: AuditResult): AccessContext | undefined {
  const model = accessModelByResult.get(result);
  if (!model) return undefined;
  return accessContextOf(
    model,
    result.audit.namespaces.map((n) => n.namespace),
  );
}

function objectRef(o: LoadedObject): ResourceRef {
  return {
    type: 'kubernetes',
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
  };
}

function emptyCounts(): StatusCounts {
  return { fail: 0, unknown: 0, skipped: 0, pass: 0 };
}

/** Where a finding belongs in the per-namespace grouping: its resource's namespace, `(images)`, else `(cluster)`. */
export function namespaceOfFinding(f: Finding): string {
  const r = f.resource;
  if (r.type === 'image') return '(images)';
  if (r.type !== 'kubernetes') return '(cluster)';
  if (r.kind === 'Namespace') return r.name;
  return r.namespace ?? '(cluster)';
}

export function summarizeAudit(findings: Finding[], namespaces: NamespaceBoundary[]): AuditSummary {
  const byPillar: Record<string, StatusCounts> = {};
  const byNamespace: Record<string, StatusCounts> = {};
  const failBySeverity: Record<string, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0 };
  for (const f of findings) {
    const p = f.pillar ?? 'other';
    byPillar[p] ??= emptyCounts();
    byPillar[p][f.status]++;
    const ns = namespaceOfFinding(f);
    byNamespace[ns] ??= emptyCounts();
    byNamespace[ns][f.status]++;
    if (f.status === 'fail') failBySeverity[f.severity] = (failBySeverity[f.severity] ?? 0) + 1;
  }
  const verdicts = { isolated: 0, partial: 0, open: 0 };
  for (const n of namespaces) if (n.verdict) verdicts[n.verdict]++;
  return { byPillar, byNamespace, verdicts, failBySeverity };
}

function engineFinding(run: EngineRun, target: ResourceRef): Finding {
  const status: FindingStatus = run.status === 'skipped' ? 'skipped' : 'unknown';
  return makeFinding({
    ruleId: `audit/engine-${run.engine}`,
    pillar: run.pillar,
    title: `${run.engine} engine did not run: ${run.purpose} not checked`,
    severity: status === 'skipped' ? 'INFO' : 'MEDIUM',
    status,
    reason: run.reason ?? 'not available',
    resource: target,
    discriminator: run.purpose,
  });
}

/**
 * A scanned tree holds more than Kubernetes manifests (CI workflows, compose files): a YAML document without
 * apiVersion/kind in a file that has no Kubernetes object at all is not a broken manifest, so it is kept as a
 * warning (the config engine reads those files) instead of an error that would make the whole audit exit 2.
 */
export function auditSnapshotProblems(snapshot: Snapshot): InputProblem[] {
  const kubeFiles = new Set(snapshot.objects.filter((o) => !o.synthesized).map((o) => o.source.file));
  return snapshot.problems.map((p) =>
    p.level === 'error' && p.file && !kubeFiles.has(p.file) && (p.field === 'kind' || p.field === 'apiVersion')
      ? { ...p, level: 'warning' as const, message: `${p.message} (not read as a manifest)` }
      : p,
  );
}

function dedupeProblems(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file ?? ''}:${p.line ?? ''}:${p.field ?? ''}:${p.message.replace(/ \(not read as a manifest\)$/, '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every distinct container image of the snapshot's workloads, with the workloads that run it. */
function workloadImages(snapshot: Snapshot): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const w of expandWorkloads(snapshot))
    for (const { container } of allContainers(w.spec))
      if (typeof container.image === 'string' && container.image) {
        const list = users.get(container.image) ?? [];
        const label = `${w.namespace}/${w.ownerKind}/${w.name}`;
        if (!list.includes(label)) list.push(label);
        users.set(container.image, list);
      }
  return new Map([...users.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

interface ImageReading {
  /** Inventories of the images that could be read, under the reference the workloads use. */
  inventories: ImageInventory[];
  findings: Finding[];
  total: number;
}

function imageRef(image: string, inv?: ImageInventory): ResourceRef {
  return { type: 'image', reference: image, ...(inv?.digest ? { digest: inv.digest } : {}) };
}

/**
 * Reads every workload image with the images engine — from the local source `--image-source` names for it, else
 * from its registry — and matches the packages against the advisory DB with the vulnerability engine. What cannot
 * be read or checked is `unknown` with the reason, per image, on the workloads that run it; an image whose packages
 * were all checked and matched nothing gets one `pass`.
 */
async function readWorkloadImages(snapshot: Snapshot, options: AuditOptions): Promise<ImageReading> {
  const users = workloadImages(snapshot);
  const inventories: ImageInventory[] = [];
  const findings: Finding[] = [];
  for (const [image, workloads] of users) {
    const source = options.imageSources?.[image] ?? image;
    try {
      const inv = await inventoryImage(source, {
        ...options.registry,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      });
      // Keyed by the reference the pod specs use, so the config engine's USER checks find it.
      inventories.push({ ...inv, reference: image });
    } catch (err) {
      findings.push(
        makeFinding({
          ruleId: 'audit/image-unreadable',
          pillar: 'image',
          title: `Image not read: ${image}`,
          severity: 'MEDIUM',
          status: 'unknown',
          reason: `${failureText('image', err)}${source !== image ? ` (source ${source})` : ''}`,
          resource: imageRef(image),
          evidence: { workloads },
        }),
      );
    }
  }
  if (inventories.length === 0) return { inventories, findings, total: users.size };
  let db: AdvisoryDb | undefined;
  let noDb: string | undefined;
  try {
    db = openExistingAdvisoryDb(options.cacheDir);
  } catch (err) {
    noDb = err instanceof Error ? err.message : String(err);
  }
  try {
    for (const inv of inventories) {
      const workloads = users.get(inv.reference) ?? [];
      const summary = (status: 'pass' | 'unknown', title: string, reason?: string) =>
        makeFinding({
          ruleId: 'audit/image-vulnerabilities',
          pillar: 'vulnerability',
          title,
          severity: status === 'pass' ? 'INFO' : 'MEDIUM',
          status,
          reason,
          resource: imageRef(inv.reference, inv),
          evidence: { workloads, packages: inv.packages.length, distro: inv.distro?.prettyName ?? inv.distro?.id },
        });
      if (!db) {
        findings.push(summary('unknown', `Vulnerabilities of ${inv.reference} not checked`, noDb));
        continue;
      }
      if (inv.packages.length === 0) {
        findings.push(
          summary(
            'unknown',
            `No packages found in ${inv.reference}: nothing to match`,
            'the images engine found no OS or language package database in the image (static binaries are not inventoried)',
          ),
        );
        continue;
      }
      const r = scanInventory(inv, db);
      const own = r.findings.map((f) => ({ ...f, pillar: f.pillar ?? ('vulnerability' as const) }));
      findings.push(...own);
      if (own.every((f) => f.status === 'pass' || f.status === 'skipped'))
        findings.push(
          summary('pass', `No known vulnerabilities in the ${inv.packages.length} packages of ${inv.reference}`),
        );
    }
  } finally {
    db?.close();
  }
  return { inventories, findings, total: users.size };
}

/** `rampart audit`: every engine that is available, on one snapshot, into one result with a verdict per namespace. */
export async function runAudit(paths: string[], options: AuditOptions = {}): Promise<AuditResult> {
  const snapshot = loadSnapshot(paths);
  const target: ResourceRef = { type: 'file', path: paths.join(' ') };
  const engines: EngineRun[] = [];
  const extraFindings: Finding[] = [];
  const errors: InputProblem[] = auditSnapshotProblems(snapshot);

  const model = accessModelOf(snapshot, options.awsSnapshot);
  let pss: BoundaryProviders['pss'];
  try {
    pss = pssFromConfigEngine(model.available ? model.value.aws?.cluster?.version : undefined);
  } catch (err) {
    pss = { available: false, reason: failureText('config', err) };
  }
  const providerRun = (engine: string, pillar: Pillar, purpose: string, p: Provided<unknown>): EngineRun => ({
    engine,
    pillar,
    purpose,
    status: p.available ? 'ran' : 'failed',
    reason: p.available ? undefined : p.reason,
    findings: 0,
  });
  engines.push(providerRun('config', 'config', 'Pod Security Standards admission per namespace', pss));
  // Detected once: the CNI that enforces policy decides which policy kinds the network model applies.
  const enforcement = detectPolicyEnforcement(snapshot);
  const net = networkOf(snapshot, networkCniOf(enforcement));
  const reach: ReturnType<typeof reachabilityFromNetwork> = net.available ? reachabilityFromNetwork(net.value) : net;
  engines.push(providerRun('network', 'network', 'namespace reachability matrix', reach));

  const builtins = model.available ? withBuiltinRoles(model.value) : undefined;
  const rbac: Provided<RbacOracle> = model.available
    ? { available: true, value: rbacFromAccessEngine(model.value, builtins) }
    : model;
  engines.push(providerRun('access', 'access', 'RBAC reach into namespaces (who-can)', rbac));

  const notRun = (r: Omit<EngineRun, 'findings'>) => {
    const full: EngineRun = { ...r, findings: 0 };
    engines.push(full);
    extraFindings.push(engineFinding(full, target));
  };
  // The engines' own checks, next to the boundary verdicts. One engine failing never stops the others.
  const run = (engine: string, pillar: Pillar, purpose: string, fn: () => ScanResult) => {
    try {
      const r = fn();
      const own = r.findings.map((f) => (f.pillar ? f : { ...f, pillar }));
      extraFindings.push(...own);
      errors.push(...r.errors);
      engines.push({ engine, pillar, purpose, status: 'ran', findings: own.length });
    } catch (err) {
      notRun({ engine, pillar, purpose, status: 'failed', reason: failureText(engine, err) });
    }
  };
  // Images first: their config users feed the config engine's USER consistency checks.
  let images: ImageInventory[] = [];
  if (options.images) {
    const read = await readWorkloadImages(snapshot, options);
    images = read.inventories;
    extraFindings.push(...read.findings);
    const ok = images.length > 0 || read.total === 0;
    engines.push({
      engine: 'image',
      pillar: 'vulnerability',
      purpose: `image inventory and vulnerabilities (${images.length} of ${read.total} images read)`,
      status: ok ? 'ran' : 'failed',
      reason: ok ? undefined : 'no image could be read (see the per-image findings)',
      findings: read.findings.length,
    });
  } else {
    notRun({
      engine: 'image',
      pillar: 'image',
      purpose: 'image inventory and vulnerabilities',
      status: 'skipped',
      reason: 'images are read only with --images',
    });
  }
  run('config', 'config', 'workload, Pod Security, Dockerfile and script lint', () => lint(paths, { images }));
  if (model.available) {
    const m = model.value;
    run('access', 'access', 'risky grants, aws-auth and access entries', () =>
      accessRisks(m, options.awsSnapshot ? [...paths, options.awsSnapshot] : paths),
    );
  } else {
    notRun({
      engine: 'access',
      pillar: 'access',
      purpose: 'risky grants, aws-auth and access entries',
      status: 'failed',
      reason: model.reason,
    });
  }
  if (net.available) {
    const built = net.value;
    run('network', 'network', 'NetworkPolicy lint', () => ({
      command: 'netpol lint',
      targets: paths,
      findings: lintNetwork(built),
      errors: [],
    }));
  } else {
    notRun({
      engine: 'network',
      pillar: 'network',
      purpose: 'NetworkPolicy lint',
      status: 'failed',
      reason: net.reason,
    });
  }
  const isolation = net.available ? isolationFromNetwork(net.value) : net;
  const providers: BoundaryProviders = { pss, reachability: reach, rbac, isolation };
  const report = analyzeBoundaries(snapshot, { providers, enforcement });
  const findings = [...report.findings, ...extraFindings];
  const namespaces = report.namespaces.map(({ findings: _f, ...rest }) => rest);
  const details: AuditDetails = {
    enforcement: { state: report.enforcement.state, summary: report.enforcement.summary },
    namespaces,
    reachability: reach.available ? reach.value.edges : undefined,
    reachabilityUnknown: reach.available ? undefined : reach.reason,
    engines,
    summary: summarizeAudit(findings, report.namespaces),
    ...(builtins?.bound.length ? { assumedRoles: { version: BUILTIN_ROLES_VERSION, roles: builtins.bound } } : {}),
  };
  if (reach.problems?.length)
    for (const p of reach.problems) errors.push({ level: 'warning', message: `network: ${p} (not applied)` });
  const result: AuditResult = {
    command: 'audit',
    targets: paths,
    findings,
    errors: dedupeProblems(errors),
    audit: details,
  };
  if (model.available) accessModelByResult.set(result, builtins?.model ?? model.value);
  coveredByResult.set(result, [
    ...snapshot.objects.filter((o) => !o.synthesized).map((o) => objectRef(o)),
    ...images.map((inv) => ({
      type: 'image' as const,
      reference: inv.reference,
      ...(inv.digest ? { digest: inv.digest } : {}),
    })),
  ]);
  return result;
}

export { EXTERNAL };
