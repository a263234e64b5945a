import { type CvssScore, InputError } from '../../core/index.js';
import type { AdvisoryRecord, AffectedPackage } from '../advisory.js';
import { normalizePackageName } from '../names.js';
import { scoreVector } from '../severity.js';
import type { OsvRange } from '../versions/index.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringArray(v: unknown, file: string, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new InputError('expected a list of strings', { file, field });
  }
  return v as string[];
}

function optionalString(v: unknown, file: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError('expected a string', { file, field });
  return v;
}

function severities(v: unknown, file: string, field: string): CvssScore[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InputError('expected a list', { file, field });
  const out: CvssScore[] = [];
  v.forEach((s, i) => {
    if (!isObject(s) || typeof s.score !== 'string') {
      throw new InputError('expected {type, score}', { file, field: `${field}[${i}]` });
    }
    const scored = scoreVector(s.score);
    if (scored) out.push(scored);
  });
  return out;
}

function ranges(v: unknown, file: string, field: string): OsvRange[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InputError('expected a list', { file, field });
  return v.map((r, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(r) || typeof r.type !== 'string' || !Array.isArray(r.events)) {
      throw new InputError('expected {type, events[]}', { file, field: f });
    }
    const events = r.events.map((e, j) => {
      if (!isObject(e)) throw new InputError('expected an event object', { file, field: `${f}.events[${j}]` });
      const out: Record<string, string> = {};
      for (const [k, val] of Object.entries(e)) {
        if (typeof val !== 'string')
          throw new InputError('event value must be a string', { file, field: `${f}.events[${j}].${k}` });
        out[k] = val;
      }
      return out;
    });
    return { type: r.type, ...(typeof r.repo === 'string' ? { repo: r.repo } : {}), events };
  });
}

/** AlmaLinux puts its rating only in the summary: `Important: openssl security update`. */
function summaryRating(summary: string | undefined): string | undefined {
  const m = /^(Critical|Important|Moderate|Low):/.exec(summary ?? '');
  return m?.[1];
}

/**
 * Reads one OSV record, checking the fields matching relies on; throws InputError naming the file and field of
 * the first problem so the importer can report and skip it.
 */
export function parseOsvRecord(doc: unknown, file: string, source = 'osv'): AdvisoryRecord {
  if (!isObject(doc)) throw new InputError('OSV record must be a JSON object', { file });
  if (typeof doc.id !== 'string' || doc.id === '') throw new InputError('missing id', { file, field: 'id' });
  if (typeof doc.modified !== 'string') throw new InputError('missing modified', { file, field: 'modified' });
  const summary = optionalString(doc.summary, file, 'summary');
  const dbSpecific = isObject(doc.database_specific) ? doc.database_specific : {};
  const affectedRaw = doc.affected ?? [];
  if (!Array.isArray(affectedRaw)) throw new InputError('expected a list', { file, field: 'affected' });
  const affected: AffectedPackage[] = [];
  let informational: string | undefined;
  affectedRaw.forEach((a, i) => {
    const field = `affected[${i}]`;
    if (!isObject(a)) throw new InputError('expected an object', { file, field });
    if (!isObject(a.package)) return; // affects only commits (no package): nothing to match by name
    const ecosystem = a.package.ecosystem;
    const name = a.package.name;
    if (typeof ecosystem !== 'string' || typeof name !== 'string') {
      throw new InputError('package needs ecosystem and name', { file, field: `${field}.package` });
    }
    const aDb = isObject(a.database_specific) ? a.database_specific : {};
    if (typeof aDb.informational === 'string') informational = aDb.informational;
    affected.push({
      ecosystem,
      name: normalizePackageName(ecosystem, name),
      ranges: ranges(a.ranges, file, `${field}.ranges`),
      versions: stringArray(a.versions, file, `${field}.versions`),
      cvss: severities(a.severity, file, `${field}.severity`),
      ...(typeof aDb.severity === 'string' ? { vendorSeverity: aDb.severity } : {}),
    });
  });
  const references = Array.isArray(doc.references)
    ? doc.references.flatMap((r) => (isObject(r) && typeof r.url === 'string' ? [r.url] : []))
    : [];
  const aliases = [
    ...stringArray(doc.aliases, file, 'aliases'),
    ...stringArray(doc.upstream, file, 'upstream'),
    ...(source === 'osv' && /^AL[SBE]A-/.test(doc.id) ? stringArray(doc.related, file, 'related') : []),
  ];
  const vendorSeverity =
    (typeof dbSpecific.severity === 'string' ? dbSpecific.severity : undefined) ?? summaryRating(summary);
  return {
    id: doc.id,
    source,
    modified: doc.modified,
    published: optionalString(doc.published, file, 'published'),
    withdrawn: optionalString(doc.withdrawn, file, 'withdrawn'),
    summary,
    details: optionalString(doc.details, file, 'details'),
    aliases: [...new Set(aliases)].filter((x) => x !== doc.id),
    cvss: severities(doc.severity, file, 'severity'),
    vendorSeverity,
    informational,
    references,
    affected,
  };
}
