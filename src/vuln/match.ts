import type { CvssScore, Distro, ImageInventory, InventoryPackage } from '../core/index.js';
import type { AdvisoryRecord, AffectedPackage } from './advisory.js';
import type { AdvisoryDb, AffectedRow, AffectedRowCursor } from './db.js';
import { ECOSYSTEM_OF_TYPE, normalizePackageName } from './names.js';
import { evaluateAffected, type RangeVerdict, schemeForEcosystem, withParsedCache } from './versions/index.js';

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
      return {
        ecosystems: ecosystemList(ecosystem),
        names: [normalizePackageName(ecosystem, p.name)],
        version: p.version,
      };
    }
  }
}

/** One shared, read-only `[ecosystem]` per language ecosystem: keys only read it, as they do the distro lists. */
const ECOSYSTEM_LISTS = new Map<string, string[]>();
function ecosystemList(ecosystem: string): string[] {
  let list = ECOSYSTEM_LISTS.get(ecosystem);
  if (!list) ECOSYSTEM_LISTS.set(ecosystem, (list = Object.freeze([ecosystem]) as unknown as string[]));
  return list;
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
  // Pass 1: the key of every package, and per ecosystem and name the packages waiting for its advisories, as
  // `package index * KEY_SLOTS + key order` (key order = ecosystem position * NAME_SLOTS + name position).
  // Parallel arrays (package, key) rather than a pair object per package: one object less to keep per package.
  const keyedPackages: InventoryPackage[] = [];
  const keyedKeys: MatchKey[] = [];
  // One package per name is the common case: a plain number until a second one waits for the same name.
  const waiting = new Map<string, Map<string, number | number[]>>();
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
    if (key.ecosystems.length > KEY_SLOTS / NAME_SLOTS || key.names.length > NAME_SLOTS) {
      throw new Error(`internal: match key of ${p.name} has more ecosystems or names than its slots hold`);
    }
    const k = keyedPackages.length;
    keyedPackages.push(p);
    keyedKeys.push(key);
    for (let e = 0; e < key.ecosystems.length; e++) {
      const ecosystem = key.ecosystems[e] as string;
      if (!known.has(ecosystem)) continue;
      let byName = waiting.get(ecosystem);
      if (!byName) waiting.set(ecosystem, (byName = new Map()));
      for (let n = 0; n < key.names.length; n++) {
        const name = key.names[n] as string;
        const slot = k * KEY_SLOTS + e * NAME_SLOTS + n;
        const before = byName.get(name);
        if (before === undefined) byName.set(name, slot);
        else if (typeof before === 'number') byName.set(name, [before, slot]);
        else before.push(slot);
      }
    }
  }
  // Pass 2: every affected row of those names, a few queries per ecosystem, evaluated against each package waiting
  // for it as it is read. Only hits and non-evaluable entries are kept (in flat arrays: one entry per kept pair),
  // so the rows that affect nothing leave no objects behind.
  const keptSlot: number[] = [];
  const keptRowid: number[] = [];
  const keptAffected: AffectedPackage[] = [];
  const keptVerdict: RangeVerdict[] = [];
  const keep = (slot: number, row: AffectedRowCursor, verdict: RangeVerdict): void => {
    if (!verdict.affected && verdict.evaluable) return;
    keptSlot.push(slot);
    keptRowid.push(row.advisoryRowid);
    keptAffected.push(row.affected());
    keptVerdict.push(verdict);
  };
  for (const [ecosystem, byName] of waiting) {
    // Per match: each distinct version string is parsed once, not once per comparison.
    const plain = schemeForEcosystem(ecosystem);
    const scheme = plain ? withParsedCache(plain) : undefined;
    const versionOf = (slot: number): string => (keyedKeys[Math.floor(slot / KEY_SLOTS)] as MatchKey).version;
    // Names in index order: each chunk's lookups then walk neighbouring index and table pages.
    const names = [...byName.keys()].sort();
    const slotsOfName = names.map((name) => byName.get(name) as number | number[]);
    db.visitAffected(ecosystem, names, (row) => {
      const slots = slotsOfName[row.nameIndex] as number | number[];
      if (typeof slots === 'number') keep(slots, row, evaluateAffected(versionOf(slots), row, scheme));
      else for (const slot of slots) keep(slot, row, evaluateAffected(versionOf(slot), row, scheme));
    });
  }
  // Pass 3: per package in key order (ecosystem, name, stored order), each advisory decided once: one advisory may
  // list a package twice, or under both its binary and source name, and the first evaluable verdict stands. Rows
  // arrived grouped by ecosystem and name, so a stable counting sort by slot restores that order.
  const order = stableOrderBySlot(keptSlot, keyedPackages.length * KEY_SLOTS);
  const hits: number[] = [];
  const seen = new Set<number>();
  let current = -1;
  for (let i = 0; i < order.length; i++) {
    const at = order[i] as number;
    const k = Math.floor((keptSlot[at] as number) / KEY_SLOTS);
    if (k !== current) {
      current = k;
      if (seen.size > 0) seen.clear();
    }
    const rowid = keptRowid[at] as number;
    if (seen.has(rowid)) continue;
    seen.add(rowid);
    const verdict = keptVerdict[at] as RangeVerdict;
    if (verdict.affected) hits.push(at);
    else {
      outcome.unevaluated.push({
        package: keyedPackages[k] as InventoryPackage,
        advisoryId: db.advisoryIdOf(rowid) ?? String(rowid),
        notes: verdict.notes,
      });
    }
  }
  // Advisory texts only for what matched.
  const advisories = db.advisoriesByRowid(hits.map((at) => keptRowid[at] as number));
  for (const at of hits) {
    const advisory = advisories.get(keptRowid[at] as number);
    if (!advisory) continue;
    const k = Math.floor((keptSlot[at] as number) / KEY_SLOTS);
    const p = keyedPackages[k] as InventoryPackage;
    const key = keyedKeys[k] as MatchKey;
    const affected = keptAffected[at] as AffectedPackage;
    outcome.matches.push(toMatch(p, key, { advisory, affected }, (keptVerdict[at] as RangeVerdict).fixedIn));
  }
  outcome.uncoveredEcosystems = [...uncovered].sort();
  return outcome;
}

/** Indices of `slots` ordered by slot value, equal slots in their original order (counting sort: slots are small). */
function stableOrderBySlot(slots: number[], slotCount: number): Uint32Array {
  const starts = new Uint32Array(slotCount + 1);
  for (const slot of slots) starts[slot + 1] = (starts[slot + 1] as number) + 1;
  for (let i = 1; i <= slotCount; i++) starts[i] = (starts[i] as number) + (starts[i - 1] as number);
  const order = new Uint32Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as number;
    order[starts[slot] as number] = i;
    starts[slot] = (starts[slot] as number) + 1;
  }
  return order;
}

/** Packed slot layout of pass 1: a key has at most 2 ecosystems (Ubuntu) and 2 names (RPM binary + source). */
const NAME_SLOTS = 4;
const KEY_SLOTS = 16;

function toMatch(p: InventoryPackage, key: MatchKey, row: AffectedRow, fixedIn: string[]): VulnMatch {
  // The advisory's own array when the entry adds no scores (the usual case): matches only read it.
  const cvss = row.affected.cvss?.length ? [...row.affected.cvss, ...row.advisory.cvss] : row.advisory.cvss;
  const vendorSeverity = row.affected.vendorSeverity ?? row.advisory.vendorSeverity;
  const match: VulnMatch = {
    package: p,
    key,
    advisory: row.advisory,
    affected: row.affected,
    fixedIn,
    vulnerabilityId: primaryId(row.advisory),
    cvss,
  };
  // Assigned last, so the property order (and the JSON output) is as before, without a spread per match.
  if (vendorSeverity) match.vendorSeverity = vendorSeverity;
  return match;
}
