import type { CvssScore, Distro, ImageInventory, InventoryPackage } from '../core/index.js';
import type { AdvisoryRecord, AffectedPackage } from './advisory.js';
import { type AdvisoryDb, type AffectedEntry, type AffectedRow, advisoryKey } from './db.js';
import { ECOSYSTEM_OF_TYPE, normalizePackageName } from './names.js';
import { evaluateAffected, schemeForEcosystem, type VersionScheme } from './versions/index.js';

/** Where a package's advisories are looked up and which version is compared. */
export interface MatchKey {
  /** OSV ecosystem with release, e.g. `Debian:12`; several when a distro is published under more than one name. */
  ecosystems: string[];
  /** Names to look up (OS packages: source package, and the binary name where the distro keys by binary). */
  names: string[];
  version: string;
}

/** One advisory that applies to one installed package. */
export interface VulnMatch {
  package: InventoryPackage;
  key: MatchKey;
  advisory: Omit<AdvisoryRecord, 'affected'>;
  affected: AffectedPackage;
  fixedIn: string[];
  /** CVE when the advisory names exactly one, else the advisory id. */
  vulnerabilityId: string;
  cvss: CvssScore[];
  vendorSeverity?: string;
}

/** A package whose advisories exist but could not be evaluated (GIT ranges, unknown scheme, odd versions). */
export interface UnevaluatedMatch {
  package: InventoryPackage;
  advisoryId: string;
  notes: string[];
}

export interface MatchOutcome {
  matches: VulnMatch[];
  unevaluated: UnevaluatedMatch[];
  /** OS release ecosystems with no advisory data at all: a coverage gap, not a clean result. */
  uncoveredEcosystems: string[];
  /** Packages Rampart has no matching rule for (e.g. unknown distro, `binary`). */
  unmatchable: InventoryPackage[];
  packagesChecked: number;
}

function majorMinor(v: string | undefined): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v ?? '');
  return m ? `${m[1]}.${m[2]}` : undefined;
}

function major(v: string | undefined): string | undefined {
  return /^(\d+)/.exec(v ?? '')?.[1];
}

/** The OSV ecosystem names of a distro release, as osv.dev spells them. */
export function distroEcosystems(distro: Distro | undefined): string[] {
  if (!distro) return [];
  const id = distro.id.toLowerCase();
  switch (id) {
    case 'debian': {
      const m = major(distro.versionId);
      return m ? [`Debian:${m}`] : [];
    }
    case 'ubuntu':
      return distro.versionId ? [`Ubuntu:${distro.versionId}`, `Ubuntu:${distro.versionId}:LTS`] : [];
    case 'alpine': {
      const mm = majorMinor(distro.versionId);
      return mm ? [`Alpine:v${mm}`] : [];
    }
    case 'almalinux': {
      const m = major(distro.versionId);
      return m ? [`AlmaLinux:${m}`] : [];
    }
    case 'rocky': {
      const m = major(distro.versionId);
      return m ? [`Rocky Linux:${m}`] : [];
    }
    default:
      return [];
  }
}

function rpmEvr(p: InventoryPackage): string {
  const epoch = p.epoch !== undefined && p.epoch !== 0 ? `${p.epoch}:` : '';
  const release = p.release && !p.version.endsWith(`-${p.release}`) ? `-${p.release}` : '';
  return `${epoch}${p.version}${release}`;
}

function purlType(purl: string | undefined): string | undefined {
  return /^pkg:([a-z0-9.+-]+)\//i.exec(purl ?? '')?.[1]?.toLowerCase();
}

/**
 * How a package is matched: OS packages only against their distro release's own advisories (Debian/Ubuntu and
 * Alpine by source package, RPM distros by binary and source name with the full EVR), language packages by
 * ecosystem and normalised name. Undefined when there is no rule (the package is listed as unmatchable).
 */
export function matchKeyOf(p: InventoryPackage, distro: Distro | undefined): MatchKey | undefined {
  switch (p.type) {
    case 'deb': {
      const ecosystems = distroEcosystems(distro).filter((e) => /^(Debian|Ubuntu):/.test(e));
      if (ecosystems.length === 0) return undefined;
      return { ecosystems, names: [p.sourceName ?? p.name], version: p.sourceVersion ?? p.version };
    }
    case 'apk': {
      const ecosystems = distroEcosystems(distro).filter((e) => e.startsWith('Alpine:'));
      if (ecosystems.length === 0) return undefined;
      return { ecosystems, names: [p.sourceName ?? p.name], version: p.version };
    }
    case 'rpm': {
      const ecosystems = distroEcosystems(distro).filter((e) => !/^(Debian|Ubuntu|Alpine):/.test(e));
      if (ecosystems.length === 0) return undefined;
      const names = [...new Set([p.name, ...(p.sourceName ? [p.sourceName] : [])])];
      return { ecosystems, names, version: rpmEvr(p) };
    }
    default: {
      const ecosystem = purlType(p.purl) === 'bitnami' ? 'Bitnami' : ECOSYSTEM_OF_TYPE[p.type];
      if (!ecosystem) return undefined;
      return { ecosystems: [ecosystem], names: [normalizePackageName(ecosystem, p.name)], version: p.version };
    }
  }
}

const CVE = /^CVE-\d{4}-\d{4,}$/;

function primaryId(advisory: Omit<AdvisoryRecord, 'affected'>): string {
  if (CVE.test(advisory.id)) return advisory.id;
  const cves = [...new Set(advisory.aliases.filter((a) => CVE.test(a)))];
  return cves.length === 1 ? (cves[0] as string) : advisory.id;
}

/** Matches every package of an inventory against the DB. Pure lookup: no network, no image access. */
export function matchInventory(inventory: ImageInventory, db: AdvisoryDb): MatchOutcome {
  return db.reading(() => matchAll(inventory, db));
}

function matchAll(inventory: ImageInventory, db: AdvisoryDb): MatchOutcome {
  const known = db.ecosystems();
  const outcome: MatchOutcome = {
    matches: [],
    unevaluated: [],
    uncoveredEcosystems: [],
    unmatchable: [],
    packagesChecked: 0,
  };
  const uncovered = new Set<string>();
  // Pass 1: the key of every package, and per ecosystem the names that have any advisory at all.
  const keyed: Array<{ p: InventoryPackage; key: MatchKey }> = [];
  const wanted = new Map<string, Set<string>>();
  for (const p of inventory.packages) {
    const key = matchKeyOf(p, inventory.distro);
    if (!key) {
      outcome.unmatchable.push(p);
      continue;
    }
    outcome.packagesChecked++;
    const isOs = p.type === 'deb' || p.type === 'apk' || p.type === 'rpm';
    if (isOs && !key.ecosystems.some((e) => known.has(e))) {
      for (const e of key.ecosystems) uncovered.add(e);
      continue;
    }
    keyed.push({ p, key });
    for (const ecosystem of key.ecosystems) {
      const withAdvisories = db.packagesWithAdvisories(ecosystem);
      for (const name of key.names) {
        if (!withAdvisories.has(name)) continue;
        const names = wanted.get(ecosystem) ?? new Set<string>();
        names.add(name);
        wanted.set(ecosystem, names);
      }
    }
  }
  // Pass 2: the affected entries of all those names, a few queries per ecosystem.
  const entries = new Map<string, Map<string, AffectedEntry[]>>();
  // Names in index order: each chunk's lookups then walk neighbouring index and table pages.
  for (const [ecosystem, names] of wanted) entries.set(ecosystem, db.affectedForNames(ecosystem, [...names].sort()));
  // Pass 3: version evaluation; advisory texts are fetched only for what matched.
  const hits: Array<{ p: InventoryPackage; key: MatchKey; entry: AffectedEntry; fixedIn: string[] }> = [];
  const schemes = new Map<string, VersionScheme | undefined>();
  for (const { p, key } of keyed) {
    const seen = new Set<string>();
    for (const ecosystem of key.ecosystems) {
      const byName = entries.get(ecosystem);
      if (!byName) continue;
      let scheme = schemes.get(ecosystem);
      if (scheme === undefined && !schemes.has(ecosystem)) {
        scheme = schemeForEcosystem(ecosystem);
        schemes.set(ecosystem, scheme);
      }
      for (const name of key.names) {
        for (const entry of byName.get(name) ?? []) {
          const entryKey = advisoryKey(entry.source, entry.advisoryId);
          if (seen.has(entryKey)) continue;
          const verdict = evaluateAffected(key.version, entry.affected, scheme);
          if (!verdict.affected) {
            if (!verdict.evaluable) {
              outcome.unevaluated.push({ package: p, advisoryId: entry.advisoryId, notes: verdict.notes });
              seen.add(entryKey);
            }
            continue;
          }
          seen.add(entryKey);
          hits.push({ p, key, entry, fixedIn: verdict.fixedIn });
        }
      }
    }
  }
  const advisories = db.advisoriesByKey(hits.map((h) => [h.entry.source, h.entry.advisoryId]));
  for (const h of hits) {
    const advisory = advisories.get(advisoryKey(h.entry.source, h.entry.advisoryId));
    if (advisory) outcome.matches.push(toMatch(h.p, h.key, { advisory, affected: h.entry.affected }, h.fixedIn));
  }
  outcome.uncoveredEcosystems = [...uncovered].sort();
  return outcome;
}

function toMatch(p: InventoryPackage, key: MatchKey, row: AffectedRow, fixedIn: string[]): VulnMatch {
  const cvss = [...(row.affected.cvss ?? []), ...row.advisory.cvss];
  const vendorSeverity = row.affected.vendorSeverity ?? row.advisory.vendorSeverity;
  return {
    package: p,
    key,
    advisory: row.advisory,
    affected: row.affected,
    fixedIn,
    vulnerabilityId: primaryId(row.advisory),
    cvss,
    ...(vendorSeverity ? { vendorSeverity } : {}),
  };
}
