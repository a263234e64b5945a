import {
  type Finding,
  type FindingStatus,
  makeFinding,
  type Reference,
  type ResourceRef,
  type Severity,
} from '../core/index.js';

export type RuleArea = 'dockerfile' | 'privileged' | 'pod-security' | 'workload' | 'user-consistency';

/** A config rule's metadata: what `rules list` prints and what every finding of the rule carries. */
export interface RuleMeta {
  id: string;
  title: string;
  severity: Severity;
  area: RuleArea;
  /** Controls checklist ids (IMG-01, POD-05…), CIS EKS, PSS check ids. */
  references: Reference[];
  remediation?: string;
}

export interface RuleHit {
  resource: ResourceRef;
  message: string;
  /** Distinguishes several findings of one rule on one resource (container name, line…). */
  discriminator?: string;
  evidence?: Record<string, unknown>;
  /** Overrides the rule's severity for this hit (e.g. a recommendation-only variant). */
  severity?: Severity;
  status?: FindingStatus;
  reason?: string;
}

/** Turns a rule hit into a finding with the rule's metadata. */
export function findingOf(rule: RuleMeta, hit: RuleHit): Finding {
  return makeFinding({
    ruleId: rule.id,
    pillar: 'config',
    title: rule.title,
    description: hit.message,
    severity: hit.severity ?? rule.severity,
    status: hit.status ?? 'fail',
    reason: hit.reason,
    resource: hit.resource,
    evidence: hit.evidence,
    remediation: rule.remediation,
    references: rule.references,
    discriminator: hit.discriminator,
  });
}

export function ref(id: string, url?: string): Reference {
  return url ? { id, url } : { id };
}

/** A metadata builder for one family of rules: `prefix/<id>` in one area. */
export function ruleFamily(
  prefix: string,
  area: RuleArea,
): (id: string, title: string, severity: Severity, refs: string[], remediation: string) => RuleMeta {
  return (id, title, severity, refs, remediation) => ({
    id: `${prefix}/${id}`,
    title,
    severity,
    area,
    references: refs.map((r) => ref(r)),
    remediation,
  });
}
