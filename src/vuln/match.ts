import type { CvssScore, Distro, ImageInventory, InventoryPackage } from '../core/index.js';
import type { AdvisoryRecord, AffectedPackage } from './advisory.js';
import type { AdvisoryDb, AffectedEntry, AffectedRow } from './db.js';
import { ECOSYSTEM_OF_TYPE, normalizePackageName } from './names.js';
import { evaluateAffected, schemeForEcosystem, type VersionScheme, withParsedCache } from './versions/index.js';

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

/** The distro release's ecosystems per OS package type: worked out once per inventory, not per package. */
interface OsEcosystems {
  deb: string[];
  apk: string[];
  rpm: string[];
}

function osEcosystemsOf(distro: Distro | undefined): OsEcosystems {
  const all = distroEcosystems(distro);
  return {
    deb: all.filter((e) => /^(Debian|Ubuntu):/.test(e)),
    apk: all.filter((e) => e.startsWith('Alpine:')),
    rpm: all.filter((e) => !/^(Debian|Ubuntu|Alpine):/.test(e)),
  };
}

/** `pkg:bitnami/…` (PURL types are case-insensitive). */
const BITNAMI_PURL = /^pkg:bitnami\//i;

/**
 * How a package is matched: OS packages only against their distro release's own advisories (Debian/Ubuntu and
 * Alpine by source package, RPM distros by binary and source name with the full EVR), language packages by
 * ecosystem and normalised name. Undefined when there is no rule (the package is listed as unmatchable).
 */
export function matchKeyOf(p: InventoryPackage, distro: Distro | undefined): MatchKey | undefined {
  return keyOf(p, osEcosystemsOf(distro));
}

/** `matchKeyOf` with the distro's ecosystems worked out already (keys of one inventory share those arrays). */
function keyOf(p: InventoryPackage, os: OsEcosystems): MatchKey | undefined {
  switch (p.type) {
    case 'deb':
      if (os.deb.length === 0) return undefined;
      return { ecosystems: os.deb, names: [p.sourceName ?? p.name], version: p.sourceVersion ?? p.version };
    case 'apk':
      if (os.apk.length === 0) return undefined;
      return { ecosystems: os.apk, names: [p.sourceName ?? p.name], version: p.version };
    case 'rpm': {
      if (os.rpm.length === 0) return undefined;
      const names = p.sourceName && p.sourceName !== p.name ? [p.name, p.sourceName] : [p.name];
      return { ecosystems: os.rpm, names, version: rpmEvr(p) };
    }
    default: {
      const ecosystem = p.purl && BITNAMI_PURL.test(p.purl) ? 'Bitnami' : ECOSYSTEM_OF_TYPE[p.type];
      if (!ecosystem) return undefined;
      return { ecosystems: [ecosystem], names: [normalizePackageName(ecosystem, p.name)], version: p.version };
    }
  }
}

const CVE = /^CVE-\d{4}-\d{4,}$/;

/** The advisory's CVE: its id, else its one distinct CVE alias; the advisory id when there are none or several. */
function primaryId(advisory: Omit<AdvisoryRecord, 'affected'>): string {
  if (CVE.test(advisory.id)) return advisory.id;
  let cve: string | undefined;
  for (const alias of advisory.aliases) {
    if (alias === cve || !CVE.test(alias)) continue;
    if (cve !== undefined) return advisory.id;
    cve = alias;
  }
  return cve ?? advisory.id;
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
  const os = osEcosystemsOf(inventory.distro);
  for (const p of inventory.packages) {
    const key = keyOf(p, os);
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
  // Advisories already decided for the package at hand (one advisory may list a package twice, or under both its
  // binary and source name): one set, emptied per package.
  const seen = new Set<number>();
  // Index loops: this runs once per installed package and advisory entry, and an iterator (or an empty array for
  // the many names without advisories) per step showed up in allocation profiles.
  for (let k = 0; k < keyed.length; k++) {
    const { p, key } = keyed[k] as (typeof keyed)[number];
    if (seen.size > 0) seen.clear();
    for (let e = 0; e < key.ecosystems.length; e++) {
      const ecosystem = key.ecosystems[e] as string;
      const byName = entries.get(ecosystem);
      if (!byName) continue;
      let scheme = schemes.get(ecosystem);
      if (scheme === undefined && !schemes.has(ecosystem)) {
        // Per match: each distinct version string is parsed once, not once per comparison.
        const plain = schemeForEcosystem(ecosystem);
        scheme = plain ? withParsedCache(plain) : undefined;
        schemes.set(ecosystem, scheme);
      }
      for (let n = 0; n < key.names.length; n++) {
        const list = byName.get(key.names[n] as string);
        if (!list) continue;
        for (let i = 0; i < list.length; i++) {
          const entry = list[i] as AffectedEntry;
          if (seen.has(entry.advisoryRowid)) continue;
          const verdict = evaluateAffected(key.version, entry.affected, scheme);
          if (!verdict.affected) {
            if (!verdict.evaluable) {
              outcome.unevaluated.push({
                package: p,
                advisoryId: db.advisoryIdOf(entry.advisoryRowid) ?? String(entry.advisoryRowid),
                notes: verdict.notes,
              });
              seen.add(entry.advisoryRowid);
            }
            continue;
          }
          seen.add(entry.advisoryRowid);
          hits.push({ p, key, entry, fixedIn: verdict.fixedIn });
        }
      }
    }
  }
  const advisories = db.advisoriesByRowid(hits.map((h) => h.entry.advisoryRowid));
  for (const h of hits) {
    const advisory = advisories.get(h.entry.advisoryRowid);
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
