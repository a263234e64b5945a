import picomatch from 'picomatch';
import { atLeast, type Finding, parseSeverity, type ScanResult, type Severity, UsageError } from '../core/index.js';

/** `--rules <glob,…>`: keeps findings whose rule id matches any glob (case-sensitive, `*` within a segment too). */
export function filterByRules(findings: Finding[], globs: string[] | undefined): Finding[] {
  const patterns = (globs ?? [])
    .flatMap((g) => g.split(','))
    .map((g) => g.trim())
    .filter(Boolean);
  if (patterns.length === 0) return findings;
  const match = picomatch(patterns, { nocase: false, dot: true });
  return findings.filter((f) => match(f.ruleId));
}

export type FailOn = Severity | 'never';

export function parseFailOn(text: string | undefined): FailOn {
  if (text === undefined) return 'LOW';
  if (text.toLowerCase() === 'never' || text.toLowerCase() === 'none') return 'never';
  const s = parseSeverity(text);
  if (!s) throw new UsageError(`--fail-on: expected CRITICAL, HIGH, MEDIUM, LOW, INFO or never, got "${text}"`);
  return s;
}

/**
 * 2 when any input could not be read (the result is partial) or on usage errors, 1 when a failing, unsuppressed
 * finding is at or above `failOn`, else 0.
 */
export function exitCodeFor(result: ScanResult, failOn: FailOn): 0 | 1 | 2 {
  if (result.errors.some((e) => e.level === 'error')) return 2;
  if (failOn === 'never') return 0;
  const failing = result.findings.some((f) => f.status === 'fail' && !f.suppression && atLeast(f.severity, failOn));
  return failing ? 1 : 0;
}

/** Most severe first, then rule, then resource, so every output is deterministic. */
export function sortFindings(findings: Finding[]): Finding[] {
  const statusRank = { fail: 0, unknown: 1, skipped: 2, pass: 3 } as const;
  const sevRank = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, INFO: 4 } as const;
  return [...findings].sort(
    (a, b) =>
      statusRank[a.status] - statusRank[b.status] ||
      sevRank[a.severity] - sevRank[b.severity] ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.id.localeCompare(b.id),
  );
}
