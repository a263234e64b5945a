import { atLeast, type Finding, makeFinding, type Severity } from '../core/index.js';
import type { Snapshot } from '../inputs/index.js';
import { BOUNDARY_RULES, checkNamespaces, enforcementFinding, namespaceRef } from './checks.js';
import { detectPolicyEnforcement, type EnforcementDetection } from './cni.js';
import { type NamespaceRole, namespaceRole, podSecurityLabels } from './facts.js';
import type { BoundaryProviders } from './providers.js';

export type Verdict = 'isolated' | 'partial' | 'open';

export interface NamespaceBoundary {
  namespace: string;
  role: NamespaceRole;
  /** Undefined for system namespaces (kube-system, …) and an empty default namespace: not judged. */
  verdict?: Verdict;
  /** Why, one line each: failing checks first (most severe first), then checks that could not be decided. */
  reasons: string[];
  podSecurity: { enforce: string; audit: string; warn: string };
  workloads: number;
  /** Findings of this namespace, the verdict finding included. */
  findings: Finding[];
}

export interface BoundaryReport {
  enforcement: EnforcementDetection;
  namespaces: NamespaceBoundary[];
  /** Every finding: the cluster-wide enforcement finding and all namespaces' findings. */
  findings: Finding[];
}

const SEVERITY_ORDER: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];

/**
 * The rule: a HIGH or CRITICAL failure opens the boundary (a fence that is missing outright: no Pod Security
 * enforcement, no default-deny ingress or nothing enforcing it, privileged or host-network pods, outsiders with
 * access). Anything less, or any check that could not be decided, makes it partial — unknown is never isolated.
 */
export function verdictOf(findings: Finding[]): { verdict: Verdict; reasons: string[] } {
  const failing = findings
    .filter((f) => f.status === 'fail' && !f.suppression)
    .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  const unknown = findings.filter((f) => f.status === 'unknown');
  const reasons = [
    ...failing.map((f) => `${f.severity}: ${f.title}`),
    ...unknown.map((f) => `not verified: ${f.title} (${f.reason ?? 'no reason given'})`),
  ];
  if (failing.some((f) => atLeast(f.severity, 'HIGH'))) return { verdict: 'open', reasons };
  if (failing.length > 0 || unknown.length > 0) return { verdict: 'partial', reasons };
  return { verdict: 'isolated', reasons: ['every fence checked holds'] };
}

const VERDICT_SEVERITY: Record<Verdict, Severity> = { open: 'HIGH', partial: 'MEDIUM', isolated: 'INFO' };

export interface AnalyzeBoundariesOptions {
  providers: BoundaryProviders;
  /** Policy enforcement as already detected by the caller (the audit detects it once for every engine). */
  enforcement?: EnforcementDetection;
}

/** The boundary verdict of every namespace of a snapshot, with the facts behind it. */
export function analyzeBoundaries(snapshot: Snapshot, options: AnalyzeBoundariesOptions): BoundaryReport {
  const enforcement = options.enforcement ?? detectPolicyEnforcement(snapshot);
  const checked = checkNamespaces({ snapshot, enforcement, providers: options.providers });
  const namespaces: NamespaceBoundary[] = checked.map((c) => {
    const psa = podSecurityLabels(c.object);
    const podSecurity = {
      enforce: psa.enforce.level ? `${psa.enforce.level}:${psa.enforce.version}` : 'unset',
      audit: psa.audit.level ? `${psa.audit.level}:${psa.audit.version}` : 'unset',
      warn: psa.warn.level ? `${psa.warn.level}:${psa.warn.version}` : 'unset',
    };
    if (c.system) {
      return {
        namespace: c.namespace,
        role: namespaceRole(c.object),
        reasons: [
          c.namespace === 'default' ? 'default namespace without workloads' : 'system namespace: cluster add-ons',
        ],
        podSecurity,
        workloads: c.workloads,
        findings: c.findings,
      };
    }
    const { verdict, reasons } = verdictOf(c.findings);
    const verdictFinding = makeFinding({
      ruleId: BOUNDARY_RULES.verdict,
      pillar: 'boundary',
      title: `Namespace boundary: ${verdict}`,
      description: reasons.join('\n'),
      severity: VERDICT_SEVERITY[verdict],
      status: verdict === 'isolated' ? 'pass' : 'fail',
      resource: namespaceRef(c.object),
      evidence: { verdict, reasons },
      details: { boundary: { verdict, reasons, podSecurity, workloads: c.workloads } },
      references: [{ id: 'TEN' }],
    });
    return {
      namespace: c.namespace,
      role: namespaceRole(c.object),
      verdict,
      reasons,
      podSecurity,
      workloads: c.workloads,
      findings: [verdictFinding, ...c.findings],
    };
  });
  return {
    enforcement,
    namespaces,
    findings: [enforcementFinding(enforcement), ...namespaces.flatMap((n) => n.findings)],
  };
}
