import { accessRisks } from '../access/index.js';
import { lint } from '../config/index.js';
import {
  type Finding,
  type FindingStatus,
  type InputProblem,
  makeFinding,
  type Pillar,
  type ResourceRef,
  type ScanResult,
} from '../core/index.js';
import { allContainers, expandWorkloads, loadSnapshot, type Snapshot } from '../inputs/index.js';
import { lintNetwork } from '../network/index.js';
import { scanImage } from '../vuln/index.js';
import {
  accessModelOf,
  EXTERNAL,
  failureText,
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
}

/** The audit's result: a ScanResult every writer renders, plus what the HTML report and the summary need. */
export interface AuditResult extends ScanResult {
  audit: AuditDetails;
}

function emptyCounts(): StatusCounts {
  return { fail: 0, unknown: 0, skipped: 0, pass: 0 };
}

/** Where a finding belongs in the per-namespace grouping: its resource's namespace, else `(cluster)`. */
export function namespaceOfFinding(f: Finding): string {
  const r = f.resource;
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

/**
 * Every distinct image of the snapshot's workloads through the vulnerability engine's scan (which reads the image
 * with the images engine). An image that cannot be read (no registry access, no advisory DB) is one `unknown`
 * finding with the reason, on the workloads that run it.
 */
async function scanWorkloadImages(
  snapshot: Snapshot,
  cacheDir: string | undefined,
): Promise<{ findings: Finding[]; read: number; total: number }> {
  const users = new Map<string, string[]>();
  for (const w of expandWorkloads(snapshot))
    for (const { container } of allContainers(w.spec))
      if (typeof container.image === 'string' && container.image) {
        const list = users.get(container.image) ?? [];
        list.push(`${w.namespace}/${w.ownerKind}/${w.name}`);
        users.set(container.image, list);
      }
  const findings: Finding[] = [];
  let read = 0;
  for (const [image, workloads] of [...users.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    try {
      const r = await scanImage(image, cacheDir ? { cacheDir } : {});
      read++;
      findings.push(...r.findings.map((f) => ({ ...f, pillar: f.pillar ?? ('vulnerability' as const) })));
    } catch (err) {
      findings.push(
        makeFinding({
          ruleId: 'audit/image-unreadable',
          pillar: 'image',
          title: `Image not scanned: ${image}`,
          severity: 'MEDIUM',
          status: 'unknown',
          reason: failureText('image', err),
          resource: { type: 'image', reference: image },
          evidence: { workloads },
        }),
      );
    }
  }
  return { findings, read, total: users.size };
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
  const net = networkOf(snapshot);
  const reach: ReturnType<typeof reachabilityFromNetwork> = net.available ? reachabilityFromNetwork(net.value) : net;
  engines.push(providerRun('network', 'network', 'namespace reachability matrix', reach));

  const rbac: Provided<RbacOracle> = model.available
    ? { available: true, value: rbacFromAccessEngine(model.value) }
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
  run('config', 'config', 'workload, Pod Security, Dockerfile and script lint', () => lint(paths));
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
  if (options.images) {
    const scans = await scanWorkloadImages(snapshot, options.cacheDir);
    extraFindings.push(...scans.findings);
    engines.push({
      engine: 'image',
      pillar: 'vulnerability',
      purpose: `image inventory and vulnerabilities (${scans.read} of ${scans.total} images read)`,
      status: scans.read > 0 || scans.total === 0 ? 'ran' : 'failed',
      reason: scans.read > 0 || scans.total === 0 ? undefined : 'no image could be read (see the per-image findings)',
      findings: scans.findings.length,
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

  const providers: BoundaryProviders = { pss, reachability: reach, rbac };
  const report = analyzeBoundaries(snapshot, { providers });
  const findings = [...report.findings, ...extraFindings];
  const namespaces = report.namespaces.map(({ findings: _f, ...rest }) => rest);
  const details: AuditDetails = {
    enforcement: { state: report.enforcement.state, summary: report.enforcement.summary },
    namespaces,
    reachability: reach.available ? reach.value.edges : undefined,
    reachabilityUnknown: reach.available ? undefined : reach.reason,
    engines,
    summary: summarizeAudit(findings, report.namespaces),
  };
  if (reach.problems?.length)
    for (const p of reach.problems) errors.push({ level: 'warning', message: `network: ${p} (not applied)` });
  return { command: 'audit', targets: paths, findings, errors: dedupeProblems(errors), audit: details };
}

export { EXTERNAL };
