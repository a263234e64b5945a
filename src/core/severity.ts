export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, INFO: 0 };

/** Higher is more severe. */
export function severityRank(s: Severity): number {
  return RANK[s];
}

/** Sort comparator: most severe first. */
export function bySeverityDesc(a: Severity, b: Severity): number {
  return RANK[b] - RANK[a];
}

export function atLeast(s: Severity, threshold: Severity): boolean {
  return RANK[s] >= RANK[threshold];
}

/** Accepts any case and the common synonyms other tools print (INFORMATIONAL, NONE, UNKNOWN → INFO). */
export function parseSeverity(text: string): Severity | undefined {
  const t = text.trim().toUpperCase();
  if ((SEVERITIES as readonly string[]).includes(t)) return t as Severity;
  if (t === 'INFORMATIONAL' || t === 'NONE' || t === 'UNKNOWN' || t === 'NEGLIGIBLE') return 'INFO';
  if (t === 'MODERATE' || t === 'MEDIUM_HIGH') return 'MEDIUM';
  if (t === 'IMPORTANT') return 'HIGH';
  return undefined;
}

/** CVSS base score banding (FIRST CVSS v3.x/v4 qualitative scale). */
export function severityFromCvss(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFO';
}
