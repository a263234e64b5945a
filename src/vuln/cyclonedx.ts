import { type ImageInventory, type ScanResult, vulnerabilityOf } from '../core/index.js';
import { toCycloneDx } from '../image/index.js';

const RATING_METHOD: Record<string, string> = { '2.0': 'CVSSv2', '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

function cdxSeverity(severity: string): string {
  const s = severity.toLowerCase();
  return s === 'informational' ? 'info' : ['critical', 'high', 'medium', 'low', 'info'].includes(s) ? s : 'unknown';
}

function dateTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * CycloneDX 1.6 JSON of the scanned inventory (the images engine's SBOM, components `pkg-<n>`) with a
 * `vulnerabilities[]` entry per finding: ratings (CVSS vectors and the vendor's word), fixed versions as the
 * recommendation, `affects` pointing at every installed binary of the source package, and for VEX-suppressed
 * findings an `analysis` carrying the VEX status and justification.
 */
export function toCycloneDxWithVulnerabilities(
  inv: ImageInventory,
  result: ScanResult,
  ctx: { toolVersion: string; now: Date },
): string {
  const bom = JSON.parse(toCycloneDx(inv, ctx)) as Record<string, unknown>;
  const refsByName = new Map<string, string[]>();
  inv.packages.forEach((p, i) => {
    refsByName.set(`${p.type}\0${p.name}`, [...(refsByName.get(`${p.type}\0${p.name}`) ?? []), `pkg-${i}`]);
  });
  const vulnerabilities: Array<Record<string, unknown>> = [];
  for (const f of result.findings) {
    const v = vulnerabilityOf(f.details);
    if (!v || (f.status !== 'fail' && f.status !== 'skipped')) continue;
    const type = /^pkg:([a-z0-9.+-]+)\//i.exec(v.package.purl ?? '')?.[1]?.toLowerCase() ?? '';
    const binaries = String(f.evidence?.packages ?? v.package.name).split(', ');
    const refs = [...new Set(binaries.flatMap((b) => refsByName.get(`${type}\0${b}`) ?? []))];
    const ratings: Array<Record<string, unknown>> = (v.cvss ?? []).map((c) => ({
      score: c.score,
      method: RATING_METHOD[c.version] ?? 'other',
      vector: c.vector,
      ...(c.source ? { source: { name: c.source } } : {}),
    }));
    if (v.vendorSeverity) {
      ratings.push({
        severity: cdxSeverity(f.severity),
        method: 'other',
        justification: `vendor rating: ${v.vendorSeverity}`,
        ...(v.vendor ? { source: { name: v.vendor.name } } : {}),
      });
    } else if (ratings.length === 0) {
      ratings.push({ severity: cdxSeverity(f.severity), method: 'other' });
    }
    const published = dateTime(v.published);
    const updated = dateTime(v.modified);
    const suppressed = f.status === 'skipped' ? (f.suppression?.reason ?? f.reason ?? '') : undefined;
    const vexState = suppressed?.match(/VEX (not_affected|fixed)/)?.[1];
    vulnerabilities.push({
      'bom-ref': `vuln-${vulnerabilities.length}`,
      id: v.id,
      ...(v.vendor ? { source: { name: v.vendor.name, ...(v.vendor.url ? { url: v.vendor.url } : {}) } } : {}),
      ...(v.aliases?.length ? { references: v.aliases.map((a) => ({ id: a, source: { name: 'alias' } })) } : {}),
      ratings,
      description: f.description ?? f.title,
      ...(f.remediation ? { recommendation: f.remediation } : {}),
      ...(v.references?.length ? { advisories: v.references.slice(0, 10).map((url) => ({ url })) } : {}),
      ...(published ? { published } : {}),
      ...(updated ? { updated } : {}),
      ...(suppressed !== undefined
        ? { analysis: { state: vexState === 'fixed' ? 'resolved' : 'not_affected', detail: suppressed.slice(0, 1000) } }
        : {}),
      affects: (refs.length > 0 ? refs : ['image']).map((ref) => ({
        ref,
        versions: [{ version: v.package.version, status: 'affected' }],
      })),
    });
  }
  bom.vulnerabilities = vulnerabilities;
  return `${JSON.stringify(bom, null, 2)}\n`;
}
