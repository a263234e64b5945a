import {
  atLeast,
  type Finding,
  type ImageInventory,
  type ImageRef,
  makeFinding,
  type ScanResult,
  type Severity,
  type VulnerabilityDetails,
} from '../core/index.js';
import type { AdvisoryDb } from './db.js';
import { type MatchOutcome, matchInventory, type VulnMatch } from './match.js';
import { chooseSeverity } from './severity.js';
import { type VexStatement, vexDecision } from './vex.js';

export interface VulnScanOptions {
  /** Leave out vulnerabilities without a fixed version. */
  ignoreUnfixed?: boolean;
  /** Report only findings at or above this severity. */
  minSeverity?: Severity;
  vex?: VexStatement[];
}

const VENDOR_OF_SOURCE: Array<[RegExp, string, string?]> = [
  [/^alpine-secdb/, 'ALPINE_SECDB', 'https://secdb.alpinelinux.org/'],
  [/^debian-/, 'DEBIAN_CVE', 'https://security-tracker.debian.org/tracker/'],
];

function vendorOf(m: VulnMatch): { name: string; url?: string } {
  for (const [re, name, url] of VENDOR_OF_SOURCE) {
    if (re.test(m.advisory.source))
      return { name, ...(url ? { url: `${url}${url.endsWith('tracker/') ? m.vulnerabilityId : ''}` } : {}) };
  }
  const ecosystem = m.affected.ecosystem.split(':')[0] ?? 'OSV';
  return {
    name: ecosystem.toUpperCase().replace(/[^A-Z0-9]+/g, '_'),
    url: `https://osv.dev/vulnerability/${m.advisory.id}`,
  };
}

function packagePurl(m: VulnMatch): string {
  const p = m.package;
  return p.purl ?? `pkg:${p.type}/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}`;
}

function imagePurls(inv: ImageInventory): string[] {
  const name =
    inv.reference
      .replace(/^[a-z-]+:/, '')
      .split(/[:@]/)[0]
      ?.split('/')
      .pop() ?? inv.reference;
  const out = [`pkg:oci/${name}`];
  if (inv.digest) out.push(`pkg:oci/${name}@${encodeURIComponent(inv.digest)}`);
  return out;
}

/** Turns match results into findings: one per (image, source package, vulnerability id). */
export function findingsFromMatches(
  inv: ImageInventory,
  outcome: MatchOutcome,
  options: VulnScanOptions = {},
): Finding[] {
  const grouped = new Map<string, VulnMatch[]>();
  for (const m of outcome.matches) {
    const sourcePackage = m.package.sourceName ?? m.package.name;
    const key = `${m.package.type}\0${sourcePackage}\0${m.vulnerabilityId}`;
    const list = grouped.get(key) ?? [];
    list.push(m);
    grouped.set(key, list);
  }
  const findings: Finding[] = [];
  const images = imagePurls(inv);
  const inventoryPurls = inv.packages.flatMap((p) => (p.purl ? [p.purl] : [`pkg:${p.type}/${p.name}@${p.version}`]));
  for (const group of grouped.values()) {
    const m = group[0] as VulnMatch;
    const fixedIn = [...new Set(group.flatMap((g) => g.fixedIn))];
    const notFixed = group.find((g) => g.affected.fixState)?.affected.fixState;
    if (options.ignoreUnfixed && fixedIn.length === 0) continue;
    const cvss = dedupeCvss(group.flatMap((g) => g.cvss));
    const vendorSeverity = group.find((g) => g.vendorSeverity)?.vendorSeverity;
    const informational = m.advisory.informational;
    const chosen = informational
      ? { severity: 'INFO' as Severity, source: 'none' as const }
      : chooseSeverity(vendorSeverity, cvss);
    if (options.minSeverity && !atLeast(chosen.severity, options.minSeverity)) continue;
    const aliases = [...new Set(group.flatMap((g) => [g.advisory.id, ...g.advisory.aliases]))].filter(
      (a) => a !== m.vulnerabilityId,
    );
    const binaries = [...new Set(group.map((g) => g.package.name))];
    const sourcePackage = m.package.sourceName ?? m.package.name;
    const details: VulnerabilityDetails = {
      id: m.vulnerabilityId,
      aliases,
      advisoryId: m.advisory.id,
      package: {
        name: m.package.name,
        version: m.package.version,
        ecosystem: m.affected.ecosystem,
        purl: packagePurl(m),
        ...(m.package.locations[0] ? { path: m.package.locations[0] } : {}),
        ...(m.package.epoch !== undefined ? { epoch: String(m.package.epoch) } : {}),
        ...(m.package.release ? { release: m.package.release } : {}),
        ...(m.package.arch ? { arch: m.package.arch } : {}),
        ...(fixedIn.length > 0 ? { fixedVersion: fixedIn.join(', ') } : {}),
        ...(m.package.sourceName ? { sourceName: m.package.sourceName } : {}),
      },
      cvss,
      ...(vendorSeverity ? { vendorSeverity } : {}),
      vendor: vendorOf(m),
      ...(m.advisory.published ? { published: m.advisory.published } : {}),
      modified: m.advisory.modified,
      references: m.advisory.references.slice(0, 20),
      fixState: fixedIn.length > 0 ? 'fixed' : notFixed === 'wont-fix' ? 'wont-fix' : 'not-fixed',
    };
    const resource: ImageRef = {
      type: 'image',
      reference: inv.reference,
      ...(inv.digest ? { digest: inv.digest } : {}),
      ...(m.package.layerDigest ? { layer: m.package.layerDigest } : {}),
      package: {
        name: sourcePackage,
        version: m.key.version,
        purl: packagePurl(m),
        ...(details.package.path ? { path: details.package.path } : {}),
      },
    };
    const vex = options.vex
      ? vexDecision(options.vex, [m.vulnerabilityId, ...aliases], packagePurl(m), images, inventoryPurls)
      : undefined;
    const suppressed = vex && (vex.status === 'not_affected' || vex.status === 'fixed');
    const vexReason = vex
      ? `VEX ${vex.status}${vex.justification ? ` (${vex.justification})` : ''}${vex.impactStatement ? `: ${vex.impactStatement}` : ''} [${vex.origin}]`
      : undefined;
    findings.push(
      makeFinding({
        ruleId: m.vulnerabilityId,
        pillar: 'vulnerability',
        title: `${m.vulnerabilityId} in ${binaries.join(', ')} ${m.package.version}`,
        description:
          m.advisory.summary ?? m.advisory.details?.slice(0, 500) ?? `${m.vulnerabilityId} affects ${sourcePackage}`,
        severity: chosen.severity,
        status: suppressed ? 'skipped' : 'fail',
        ...(suppressed ? { reason: vexReason, suppression: { reason: vexReason as string, by: 'vex' } } : {}),
        resource,
        evidence: {
          installed: m.key.version,
          fixedIn: fixedIn.length > 0 ? fixedIn.join(', ') : informational ? `n/a (${informational})` : 'no fix yet',
          packages: binaries.join(', '),
          severitySource: chosen.source,
          ...(vendorSeverity ? { vendorSeverity } : {}),
          ...(cvss[0] ? { cvss: cvss.map((c) => `${c.version}:${c.score}`).join(' ') } : {}),
          ...(informational ? { informational } : {}),
          ...(vex && !suppressed ? { vex: vexReason } : {}),
        },
        remediation: fixedIn.length > 0 ? `Upgrade ${sourcePackage} to ${fixedIn.join(' or ')}` : undefined,
        references: [{ id: m.advisory.id, url: vendorOf(m).url }],
        details: { vulnerability: details },
        discriminator: `${m.package.type}/${sourcePackage}/${m.vulnerabilityId}`,
      }),
    );
  }
  for (const e of outcome.uncoveredEcosystems) {
    findings.push(
      makeFinding({
        ruleId: 'vuln/no-advisory-data',
        pillar: 'vulnerability',
        title: `No advisory data for ${e}`,
        severity: 'MEDIUM',
        status: 'unknown',
        reason: `the advisory DB has no records for ${e}: OS packages were not checked (run rampart db update or import that distro's data)`,
        resource: { type: 'image', reference: inv.reference, ...(inv.digest ? { digest: inv.digest } : {}) },
        discriminator: e,
      }),
    );
  }
  const unevaluated = new Map<string, string[]>();
  for (const u of outcome.unevaluated) {
    const key = `${u.package.name}@${u.package.version}`;
    unevaluated.set(key, [...(unevaluated.get(key) ?? []), `${u.advisoryId}: ${u.notes.join('; ')}`]);
  }
  for (const [pkg, notes] of unevaluated) {
    findings.push(
      makeFinding({
        ruleId: 'vuln/not-evaluable',
        pillar: 'vulnerability',
        title: `Advisories for ${pkg} could not be evaluated`,
        severity: 'LOW',
        status: 'unknown',
        reason: notes.slice(0, 5).join(' | '),
        resource: { type: 'image', reference: inv.reference, ...(inv.digest ? { digest: inv.digest } : {}) },
        discriminator: pkg,
      }),
    );
  }
  return findings;
}

function dedupeCvss<T extends { vector: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    if (seen.has(c.vector)) return false;
    seen.add(c.vector);
    return true;
  });
}

/** Scans an inventory (from an image or a stored SBOM) against the DB. */
export function scanInventory(inv: ImageInventory, db: AdvisoryDb, options: VulnScanOptions = {}): ScanResult {
  const outcome = matchInventory(inv, db);
  return {
    command: 'image scan',
    // With its digest: a saved result then says which image it was, even when nothing was found in it.
    targets: [
      inv.digest && !inv.reference.endsWith(`@${inv.digest}`) ? `${inv.reference}@${inv.digest}` : inv.reference,
    ],
    findings: findingsFromMatches(inv, outcome, options),
    errors: inv.problems.map((p) => ({
      message: p.message,
      level: 'warning' as const,
      ...(p.path ? { file: p.path } : {}),
    })),
  };
}
