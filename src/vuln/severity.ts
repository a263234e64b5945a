import cvssCalculator from 'ae-cvss-calculator';
import { type CvssScore, parseSeverity, type Severity, severityFromCvss } from '../core/index.js';

// A CommonJS package: its classes are properties of the default export under Node's ESM loader.
const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

/** Scores a CVSS v2, v3.0, v3.1 or v4.0 vector; undefined when the vector does not parse. */
export function scoreVector(vector: string, source?: string): CvssScore | undefined {
  const v = vector.trim();
  try {
    let version: string;
    let score: number | undefined;
    if (v.startsWith('CVSS:4.0/')) {
      version = '4.0';
      score = new Cvss4P0(v).calculateScores().base;
    } else if (v.startsWith('CVSS:3.1/')) {
      version = '3.1';
      score = new Cvss3P1(v).calculateScores().base;
    } else if (v.startsWith('CVSS:3.0/')) {
      version = '3.0';
      score = new Cvss3P0(v).calculateScores().base;
    } else if (/^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]/.test(v)) {
      version = '2.0';
      score = new Cvss2(v.replace(/^\(|\)$/g, '')).calculateScores().base;
    } else {
      return undefined;
    }
    if (typeof score !== 'number' || Number.isNaN(score)) return undefined;
    return { version, score, vector: v, ...(source ? { source } : {}) };
  } catch {
    return undefined;
  }
}

/** Vendor words Rampart understands beyond core's parseSeverity (Debian urgencies, Red Hat words). */
export function vendorSeverityLevel(text: string | undefined): Severity | undefined {
  if (!text) return undefined;
  const t = text.trim().toLowerCase().replace(/\*+$/, '');
  if (t === 'unimportant' || t === 'end-of-life' || t === 'not yet assigned')
    return t === 'unimportant' ? 'LOW' : undefined;
  if (t === 'low' || t === 'low**') return 'LOW';
  if (t === 'medium' || t === 'moderate') return 'MEDIUM';
  if (t === 'high' || t === 'important') return 'HIGH';
  if (t === 'critical') return 'CRITICAL';
  return parseSeverity(t);
}

/**
 * The severity of a match: the vendor's rating first (the distro knows its backports and build options), else
 * the highest CVSS base score (newest CVSS version wins ties), else MEDIUM-less `INFO`. Returns where it came from.
 */
export function chooseSeverity(
  vendorSeverity: string | undefined,
  cvss: CvssScore[],
): { severity: Severity; source: 'vendor' | 'cvss' | 'none' } {
  const vendor = vendorSeverityLevel(vendorSeverity);
  if (vendor) return { severity: vendor, source: 'vendor' };
  const best = [...cvss].sort((a, b) => Number(b.version) - Number(a.version) || b.score - a.score)[0];
  if (best) return { severity: severityFromCvss(best.score), source: 'cvss' };
  return { severity: 'INFO', source: 'none' };
}
