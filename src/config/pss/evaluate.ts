import { type CheckPod, implementationAt, type PodMeta, PSS_CHECKS } from './checks.js';
import { formatPssVersion, type PssLevel, type PssVersion } from './version.js';

export interface PssViolation {
  checkId: string;
  forbiddenReason: string;
  forbiddenDetail?: string;
}

export interface PssEvaluation {
  level: PssLevel;
  version: PssVersion;
  allowed: boolean;
  /** In upstream's order: baseline check ids sorted, then restricted check ids sorted. */
  violations: PssViolation[];
}

interface ActiveCheck {
  id: string;
  check: CheckPod;
}

const plans = new Map<string, ActiveCheck[]>();

/**
 * The checks in force for a level at a version: baseline checks for baseline; restricted checks plus the baseline
 * checks no restricted implementation in force overrides, for restricted; nothing for privileged.
 */
export function checksFor(level: PssLevel, version: PssVersion): ActiveCheck[] {
  const key = `${level}@${version.minor}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const active: ActiveCheck[] = [];
  if (level !== 'privileged') {
    const overridden = new Set<string>();
    if (level === 'restricted') {
      for (const c of PSS_CHECKS) {
        if (c.level !== 'restricted') continue;
        for (const id of implementationAt(c, version)?.overrides ?? []) overridden.add(id);
      }
    }
    for (const c of PSS_CHECKS) {
      if (c.level === 'restricted' && level !== 'restricted') continue;
      if (overridden.has(c.id)) continue;
      const impl = implementationAt(c, version);
      if (impl) active.push({ id: c.id, check: impl.check });
    }
  }
  plans.set(key, active);
  return active;
}

/** Evaluates one pod (metadata + spec, as JSON) the way Pod Security admission does. */
export function evaluatePod(meta: PodMeta, spec: unknown, level: PssLevel, version: PssVersion): PssEvaluation {
  const podSpec =
    spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
  const violations: PssViolation[] = [];
  for (const { id, check } of checksFor(level, version)) {
    const r = check(meta, podSpec);
    if (!r.allowed) {
      violations.push({ checkId: id, forbiddenReason: r.forbiddenReason ?? id, forbiddenDetail: r.forbiddenDetail });
    }
  }
  return { level, version, allowed: violations.length === 0, violations };
}

/** `reason1 (detail1), reason2 (detail2)`, as upstream aggregates failed checks. */
export function aggregateMessage(violations: readonly PssViolation[]): string {
  return violations
    .map((v) => (v.forbiddenDetail ? `${v.forbiddenReason} (${v.forbiddenDetail})` : v.forbiddenReason))
    .join(', ');
}

/** The admission text: `violates PodSecurity "restricted:v1.30": …` (enforce) or `would violate …` (warn, audit). */
export function admissionMessage(e: PssEvaluation, mode: 'enforce' | 'warn' | 'audit'): string {
  const prefix = mode === 'enforce' ? 'violates' : 'would violate';
  return `${prefix} PodSecurity "${e.level}:${formatPssVersion(e.version)}": ${aggregateMessage(e.violations)}`;
}
