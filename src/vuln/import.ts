import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { InputError, type InputProblem, listZip, problemFromError } from '../core/index.js';
import type { AdvisoryRecord } from './advisory.js';
import type { AdvisoryDb } from './db.js';
import { secdbToRecords } from './sources/alpine.js';
import { changelogFixesToRecords, trackerToRecords } from './sources/debian.js';
import { parseOsvRecord } from './sources/osv.js';
import { compareDpkg } from './versions/index.js';

export interface ImportReport {
  location: string;
  /** Records read and valid. */
  records: number;
  /** Records written (new or changed). */
  written: number;
  withdrawn: number;
  /** Malformed records or files, each reported and skipped. */
  problems: InputProblem[];
  formats: string[];
}

export interface ImportOptions {
  /** Timestamp for sources without per-record `modified` (secdb, tracker). */
  now?: Date;
  /** Skip records whose stored `modified` is the same or newer (incremental updates). */
  onlyIfNewer?: boolean;
  /** Name under which the import is listed in `db status`. */
  sourceName?: string;
}

const BATCH = 1000;

class Importer {
  readonly report: ImportReport;
  private pending: AdvisoryRecord[] = [];
  private readonly formats = new Set<string>();

  constructor(
    private readonly db: AdvisoryDb,
    location: string,
    private readonly options: ImportOptions,
  ) {
    this.report = { location, records: 0, written: 0, withdrawn: 0, problems: [], formats: [] };
  }

  private get modified(): string {
    return (this.options.now ?? new Date()).toISOString();
  }

  problem(err: unknown, file: string): void {
    this.report.problems.push(problemFromError(err, { file }));
  }

  add(records: AdvisoryRecord[]): void {
    for (const r of records) {
      this.report.records++;
      if (r.withdrawn) this.report.withdrawn++;
      this.pending.push(r);
    }
    if (this.pending.length >= BATCH) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.report.written += this.db.upsert(this.pending, { onlyIfNewer: this.options.onlyIfNewer });
    this.pending = [];
  }

  /** Reads one document of any supported format; problems are recorded, never thrown. */
  document(text: string, file: string): void {
    let doc: unknown;
    try {
      doc = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
    } catch (err) {
      this.problem(
        new InputError(`not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`, { file }),
        file,
      );
      return;
    }
    try {
      const kind = classify(doc);
      this.formats.add(kind);
      switch (kind) {
        case 'osv':
          this.add([parseOsvRecord(doc, file)]);
          return;
        case 'alpine-secdb': {
          const { records, problems } = secdbToRecords(doc, file, this.modified);
          for (const p of problems) this.problem(p, file);
          this.add(records);
          return;
        }
        case 'debian-tracker': {
          const { records, problems } = trackerToRecords(doc, file, this.modified);
          for (const p of problems) this.problem(p, file);
          this.add(records);
          return;
        }
        case 'debian-changelog-fixes': {
          const { records, problems } = changelogFixesToRecords(doc, file, this.modified, compareDpkg);
          for (const p of problems) this.problem(p, file);
          this.add(records);
          return;
        }
        default:
          throw new InputError('not an OSV record, Alpine secdb, Debian tracker JSON or changelog-fixes index', {
            file,
          });
      }
    } catch (err) {
      this.problem(err, file);
    }
  }

  finish(): ImportReport {
    this.flush();
    this.report.formats = [...this.formats].sort();
    return this.report;
  }
}

function classify(doc: unknown): string {
  if (Array.isArray(doc)) {
    const first = doc[0] as Record<string, unknown> | undefined;
    return first && 'cves' in first && 'source' in first ? 'debian-changelog-fixes' : 'unknown';
  }
  if (typeof doc !== 'object' || doc === null) return 'unknown';
  const o = doc as Record<string, unknown>;
  if ('distroversion' in o && 'packages' in o) return 'alpine-secdb';
  if ('id' in o || 'modified' in o || 'affected' in o || 'schema_version' in o) return 'osv';
  const firstValue = Object.values(o)[0];
  if (typeof firstValue === 'object' && firstValue !== null) {
    const issue = Object.values(firstValue as Record<string, unknown>)[0];
    if (typeof issue === 'object' && issue !== null && 'releases' in issue) return 'debian-tracker';
  }
  return 'unknown';
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) yield* walk(full);
    else if (/\.(json|ya?ml|zip)$/i.test(name)) yield full;
  }
}

/**
 * Imports a directory (recursively), a `.zip` of OSV records, or one JSON/YAML file into the DB. One bad record
 * never aborts the import: it is reported in `problems` and skipped. Withdrawn records are stored but the matcher
 * never uses them.
 */
export function importPath(db: AdvisoryDb, path: string, options: ImportOptions = {}): ImportReport {
  const location = resolve(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(location);
  } catch {
    throw new InputError('no such file or directory', { file: path });
  }
  const importer = new Importer(db, location, options);
  const importFile = (file: string): void => {
    if (extname(file).toLowerCase() === '.zip') {
      try {
        for (const entry of listZip(readFileSync(file), file)) {
          if (!/\.(json|ya?ml)$/i.test(entry.name)) continue;
          const where = `${file}!${entry.name}`;
          try {
            importer.document(entry.read().toString('utf8'), where);
          } catch (err) {
            // One corrupt member is reported and skipped; the rest of the archive is still imported.
            importer.problem(
              err instanceof InputError
                ? err
                : new InputError(`corrupt zip entry: ${(err as Error).message}`, { file: where }),
              file,
            );
          }
        }
      } catch (err) {
        importer.problem(
          err instanceof InputError ? err : new InputError(`unreadable zip: ${(err as Error).message}`, { file }),
          file,
        );
      }
      return;
    }
    importer.document(readFileSync(file, 'utf8'), file);
  };
  if (st.isDirectory()) for (const file of walk(location)) importFile(file);
  else importFile(location);
  const report = importer.finish();
  db.recordProblems(
    location,
    report.problems.map((p) => ({ location: p.file ?? location, message: p.message })),
  );
  db.setSource({
    name: options.sourceName ?? `import:${basename(location)}`,
    kind: report.formats.join(',') || 'unknown',
    location,
    updatedAt: (options.now ?? new Date()).toISOString(),
    records: report.records,
    skipped: report.problems.length,
  });
  return report;
}
