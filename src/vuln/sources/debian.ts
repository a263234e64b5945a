import { InputError } from '../../core/index.js';
import type { AdvisoryRecord } from '../advisory.js';

/** Debian release codenames and the OSV ecosystem release numbers osv.dev uses for them. */
export const DEBIAN_RELEASES: Record<string, string> = {
  buzz: '1.1',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

function record(id: string, source: string, modified: string, cve: string): AdvisoryRecord {
  return { id, source, modified, aliases: [cve], cvss: [], references: [], affected: [] };
}

/**
 * Debian security tracker JSON (`https://security-tracker.debian.org/tracker/data/json`):
 * `{source package: {CVE: {description, releases: {codename: {status, fixed_version, urgency}}}}}`. `resolved`
 * with a version → fixed there; `fixed_version: "0"` → never affected; `open` → affected, no fix yet
 * (`no-dsa`/`ignored` sub-states become wont-fix when the tracker says so). Records are named `DEBIAN-CVE-…`.
 */
export function trackerToRecords(
  doc: unknown,
  file: string,
  modified: string,
): { records: AdvisoryRecord[]; problems: InputError[] } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new InputError('tracker JSON must be an object keyed by source package', { file });
  }
  const byId = new Map<string, AdvisoryRecord>();
  const problems: InputError[] = [];
  for (const [pkg, issues] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof issues !== 'object' || issues === null) {
      problems.push(new InputError('expected an object of issues', { file, field: pkg }));
      continue;
    }
    for (const [issue, body] of Object.entries(issues as Record<string, unknown>)) {
      const releases = (body as { releases?: unknown } | null)?.releases;
      if (typeof releases !== 'object' || releases === null) {
        problems.push(new InputError('missing releases', { file, field: `${pkg}.${issue}` }));
        continue;
      }
      const id = `DEBIAN-${issue}`;
      for (const [codename, rel] of Object.entries(releases as Record<string, unknown>)) {
        const release = DEBIAN_RELEASES[codename];
        const r = rel as { status?: unknown; fixed_version?: unknown; urgency?: unknown; nodsa?: unknown } | null;
        if (!release || !r || typeof r.status !== 'string') continue;
        if (r.status === 'resolved' && (r.fixed_version === '0' || typeof r.fixed_version !== 'string')) continue;
        if (r.status === 'undetermined') continue;
        let rec = byId.get(id);
        if (!rec) {
          rec = record(id, 'debian-tracker', modified, issue);
          const description = (body as { description?: unknown }).description;
          if (typeof description === 'string') rec.details = description;
          byId.set(id, rec);
        }
        const urgency = typeof r.urgency === 'string' ? r.urgency.replace(/\*+$/, '') : undefined;
        const fixed = r.status === 'resolved' ? (r.fixed_version as string) : undefined;
        rec.affected.push({
          ecosystem: `Debian:${release}`,
          name: pkg,
          ranges: [{ type: 'ECOSYSTEM', events: fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }] }],
          versions: [],
          ...(urgency && urgency !== 'not yet assigned' ? { vendorSeverity: urgency } : {}),
          ...(fixed ? {} : { fixState: typeof r.nodsa === 'string' ? 'wont-fix' : 'not-fixed' }),
        });
      }
    }
  }
  return { records: [...byId.values()], problems };
}

/**
 * The derived bookworm changelog index (`../shared/vulndb/Debian/bookworm-changelog-fixes.json`): each changelog
 * entry of a bookworm update names CVEs fixed in that version of the source package. For each (source, CVE) the
 * newest such version is the fix (a CVE named again later was fixed further there, as each row read as its own
 * `[0, version)` range would say); entries that are not bookworm updates are ignored.
 */
export function changelogFixesToRecords(
  doc: unknown,
  file: string,
  modified: string,
  compare: (a: string, b: string) => number,
): { records: AdvisoryRecord[]; problems: InputError[] } {
  if (!Array.isArray(doc)) throw new InputError('expected a list of changelog entries', { file });
  const fixes = new Map<string, { source: string; cve: string; version: string; urgency?: string }>();
  const problems: InputError[] = [];
  doc.forEach((entry, i) => {
    const e = entry as {
      source?: unknown;
      version?: unknown;
      cves?: unknown;
      bookworm_update?: unknown;
      urgency?: unknown;
    };
    if (typeof e?.source !== 'string' || typeof e.version !== 'string' || !Array.isArray(e.cves)) {
      problems.push(new InputError('expected {source, version, cves[]}', { file, field: `[${i}]` }));
      return;
    }
    if (e.bookworm_update !== true) return;
    for (const cve of e.cves) {
      if (typeof cve !== 'string') continue;
      const key = `${e.source}\0${cve}`;
      const prev = fixes.get(key);
      if (!prev || compare(e.version, prev.version) > 0) {
        fixes.set(key, {
          source: e.source,
          cve,
          version: e.version,
          urgency: typeof e.urgency === 'string' ? e.urgency : undefined,
        });
      }
    }
  });
  const byId = new Map<string, AdvisoryRecord>();
  for (const f of fixes.values()) {
    const id = `DEBIAN-${f.cve}`;
    let rec = byId.get(id);
    if (!rec) {
      rec = record(id, 'debian-changelogs', modified, f.cve);
      byId.set(id, rec);
    }
    rec.affected.push({
      ecosystem: 'Debian:12',
      name: f.source,
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: f.version }] }],
      versions: [],
    });
  }
  return { records: [...byId.values()], problems };
}
