import { InputError } from '../../core/index.js';
import type { AdvisoryRecord } from '../advisory.js';

/**
 * Alpine secdb (`{distroversion, reponame, packages: [{pkg: {name, secfixes: {"1.2-r0": ["CVE-…"]}}}]}`), as
 * served at secdb.alpinelinux.org. Keys are fixed versions of the origin package in that branch; `"0"` means the
 * branch was never affected. Ids are free text: split on whitespace and normalise `CVE_2019-…` / `CVE 2018-…`.
 * Records are named like osv.dev's Alpine records (`ALPINE-CVE-…`) so answers can be compared.
 */
export function secdbToRecords(
  doc: unknown,
  file: string,
  modified: string,
): { records: AdvisoryRecord[]; problems: InputError[] } {
  if (typeof doc !== 'object' || doc === null) throw new InputError('secdb must be an object', { file });
  const d = doc as { distroversion?: unknown; reponame?: unknown; packages?: unknown };
  if (typeof d.distroversion !== 'string' || !/^v\d+\.\d+|^edge$/.test(d.distroversion)) {
    throw new InputError('distroversion must look like v3.18', { file, field: 'distroversion' });
  }
  // An empty repository is published with `packages: null`.
  if (d.packages === null) d.packages = [];
  if (!Array.isArray(d.packages)) throw new InputError('expected a list', { file, field: 'packages' });
  const ecosystem = `Alpine:${d.distroversion}`;
  const source = `alpine-secdb:${d.distroversion}/${typeof d.reponame === 'string' ? d.reponame : 'main'}`;
  const byId = new Map<string, AdvisoryRecord>();
  const problems: InputError[] = [];
  d.packages.forEach((entry, i) => {
    const pkg = (entry as { pkg?: { name?: unknown; secfixes?: unknown } } | null)?.pkg;
    if (!pkg || typeof pkg.name !== 'string' || typeof pkg.secfixes !== 'object' || pkg.secfixes === null) {
      problems.push(new InputError('expected {pkg: {name, secfixes}}', { file, field: `packages[${i}]` }));
      return;
    }
    for (const [fixed, ids] of Object.entries(pkg.secfixes as Record<string, unknown>)) {
      if (!Array.isArray(ids)) {
        problems.push(new InputError('expected a list of ids', { file, field: `packages[${i}].secfixes.${fixed}` }));
        continue;
      }
      for (const raw of ids) {
        for (const vulnId of splitIds(raw)) {
          const id = `ALPINE-${vulnId}`;
          let rec = byId.get(id);
          if (!rec) {
            rec = { id, source, modified, aliases: [vulnId], cvss: [], references: [], affected: [] };
            byId.set(id, rec);
          }
          const events = fixed === '0' ? [] : [{ introduced: '0' }, { fixed }];
          if (events.length > 0) {
            rec.affected.push({ ecosystem, name: pkg.name, ranges: [{ type: 'ECOSYSTEM', events }], versions: [] });
          }
        }
      }
    }
  });
  return { records: [...byId.values()].filter((r) => r.affected.length > 0), problems };
}

function splitIds(raw: unknown): string[] {
  if (typeof raw !== 'string') return [];
  return raw
    .replace(/\bCVE[ _-]+(\d{4})[ _-]+(\d{4,})/gi, 'CVE-$1-$2')
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => s.replace(/^(CVE-\d{4}-\d{4,})-\d+$/, '$1'));
}
