import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, type InputProblem, RampartError } from '../core/index.js';
import type { AdvisoryDb } from './db.js';
import { importPath } from './import.js';
import { parseOsvRecord } from './sources/osv.js';

/** Where the published data lives; every base URL can point at a mirror (tests use a local server). */
export interface UpdateOptions {
  /** OSV ecosystems to fetch, e.g. `Go`, `PyPI`, `Debian`, `Alpine`, `AlmaLinux`. */
  ecosystems?: string[];
  /** Alpine secdb branches (`v3.20`) and repos. */
  alpineBranches?: string[];
  /** Fetch the Debian security tracker JSON. */
  debianTracker?: boolean;
  osvBaseUrl?: string;
  alpineBaseUrl?: string;
  debianTrackerUrl?: string;
  /** Directory for downloads (`<cache>/vuln/downloads`). */
  downloadDir: string;
  now?: Date;
  onProgress?: (message: string) => void;
}

export const DEFAULT_OSV_BASE_URL = 'https://osv-vulnerabilities.storage.googleapis.com';
export const DEFAULT_ALPINE_BASE_URL = 'https://secdb.alpinelinux.org';
export const DEFAULT_DEBIAN_TRACKER_URL = 'https://security-tracker.debian.org/tracker/data/json';

export interface SourceUpdate {
  source: string;
  mode: 'full' | 'incremental' | 'unchanged';
  records: number;
  written: number;
  problems: InputProblem[];
}

export interface UpdateReport {
  sources: SourceUpdate[];
  errors: InputProblem[];
}

class HttpError extends RampartError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super('network', message);
  }
}

/** The MD5 a Google Cloud Storage object declares in `x-goog-hash: crc32c=…,md5=<base64>`. */
function declaredMd5(headers: Headers): string | undefined {
  const h = headers.get('x-goog-hash');
  const m = /(?:^|,)\s*md5=([^,\s]+)/.exec(h ?? '');
  return m ? Buffer.from(m[1] as string, 'base64').toString('hex') : undefined;
}

function md5File(path: string): string {
  return createHash('md5').update(readFileSync(path)).digest('hex');
}

/**
 * Downloads `url` to `dest`: into `dest.part` first, resuming a previous partial download with a Range request,
 * then checking the length and the MD5 the server declares before renaming into place. A server that ignores the
 * Range restarts the download.
 */
export async function download(url: string, dest: string, headers: Record<string, string> = {}): Promise<Response> {
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const res = await fetch(url, { headers: { ...headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) } });
  if (res.status === 304) return res;
  if (res.status === 416 && have > 0) {
    rmSync(part, { force: true });
    return download(url, dest, headers);
  }
  if (res.status !== 200 && res.status !== 206) throw new HttpError(`GET ${url}: HTTP ${res.status}`, res.status);
  if (!res.body) throw new HttpError(`GET ${url}: empty body`);
  const append = res.status === 206 && have > 0;
  const total =
    res.status === 206
      ? Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? Number.NaN)
      : Number(res.headers.get('content-length') ?? Number.NaN);
  try {
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(part, { flags: append ? 'a' : 'w' }));
  } catch (err) {
    // Keep the partial file: the next run resumes from it.
    throw new HttpError(
      `GET ${url}: interrupted after ${existsSync(part) ? statSync(part).size : 0} bytes (${(err as Error).message}); run again to resume`,
    );
  }
  const size = statSync(part).size;
  if (Number.isFinite(total) && size !== total) {
    throw new HttpError(`GET ${url}: got ${size} of ${total} bytes; run again to resume`);
  }
  const md5 = declaredMd5(res.headers);
  if (md5 && md5File(part) !== md5) {
    rmSync(part, { force: true });
    throw new HttpError(`GET ${url}: MD5 mismatch (declared ${md5}); the download was discarded`);
  }
  renameSync(part, dest);
  return res;
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new HttpError(`GET ${url}: HTTP ${res.status}`, res.status);
  return res.text();
}

function problem(err: unknown, where: string): InputProblem {
  return { message: err instanceof Error ? err.message : String(err), file: where, level: 'error' };
}

/**
 * OSV per ecosystem: the first time `<eco>/all.zip`; afterwards `<eco>/modified_id.csv` (newest first,
 * `<modified>,<id>`) and only the records modified since the last update, one `<eco>/<id>.json` each.
 */
async function updateOsvEcosystem(db: AdvisoryDb, ecosystem: string, o: UpdateOptions): Promise<SourceUpdate> {
  const base = `${(o.osvBaseUrl ?? DEFAULT_OSV_BASE_URL).replace(/\/$/, '')}/${encodeURIComponent(ecosystem)}`;
  const name = `osv:${ecosystem}`;
  const previous = db.getSource(name);
  const since = typeof previous?.state?.lastModified === 'string' ? previous.state.lastModified : undefined;
  const now = (o.now ?? new Date()).toISOString();
  if (!since) {
    o.onProgress?.(`OSV ${ecosystem}: downloading all.zip`);
    const zip = join(o.downloadDir, 'osv', ecosystem, 'all.zip');
    await download(`${base}/all.zip`, zip);
    const report = importPath(db, zip, { onlyIfNewer: true, sourceName: name, now: o.now });
    const newest = newestModified(db, ecosystem);
    db.setSource({
      name,
      kind: 'osv',
      location: `${base}/all.zip`,
      updatedAt: now,
      records: report.records,
      skipped: report.problems.length,
      state: { lastModified: newest ?? now },
    });
    rmSync(zip, { force: true });
    return { source: name, mode: 'full', records: report.records, written: report.written, problems: report.problems };
  }
  o.onProgress?.(`OSV ${ecosystem}: checking modified_id.csv`);
  const csv = await fetchText(`${base}/modified_id.csv`);
  const changed: Array<{ modified: string; id: string }> = [];
  for (const line of csv.split('\n')) {
    const [modified, id] = line.trim().split(',');
    if (!modified || !id) continue;
    if (modified <= since) break; // newest first: the rest is older
    changed.push({ modified, id });
  }
  const problems: InputProblem[] = [];
  let written = 0;
  for (const c of changed) {
    const url = `${base}/${encodeURIComponent(c.id)}.json`;
    try {
      const record = parseOsvRecord(JSON.parse(await fetchText(url)), url);
      written += db.upsert([record], { onlyIfNewer: true });
    } catch (err) {
      problems.push(problem(err, url));
    }
  }
  const newest = changed[0]?.modified ?? since;
  db.setSource({
    name,
    kind: 'osv',
    location: `${base}/modified_id.csv`,
    updatedAt: now,
    records: (previous?.records ?? 0) + written,
    skipped: problems.length,
    state: { lastModified: newest },
  });
  return {
    source: name,
    mode: changed.length ? 'incremental' : 'unchanged',
    records: changed.length,
    written,
    problems,
  };
}

function newestModified(db: AdvisoryDb, ecosystem: string): string | undefined {
  const row = db.db
    .prepare(
      `SELECT max(a.modified) AS m FROM advisories a JOIN affected f ON f.source = a.source AND f.advisory_id = a.id
       WHERE f.ecosystem = ? OR f.ecosystem LIKE ?`,
    )
    .get(ecosystem, `${ecosystem}:%`) as { m: string | null };
  return row.m ?? undefined;
}

/** A whole-document source (Alpine secdb, Debian tracker): conditional GET by ETag, then a full re-import. */
async function updateDocument(
  db: AdvisoryDb,
  name: string,
  url: string,
  file: string,
  o: UpdateOptions,
): Promise<SourceUpdate> {
  const previous = db.getSource(name);
  const etag = typeof previous?.state?.etag === 'string' ? previous.state.etag : undefined;
  o.onProgress?.(`${name}: GET ${url}`);
  const dest = join(o.downloadDir, file);
  const res = await download(url, dest, etag ? { 'if-none-match': etag } : {});
  if (res.status === 304) {
    return { source: name, mode: 'unchanged', records: 0, written: 0, problems: [] };
  }
  const report = importPath(db, dest, { sourceName: name, now: o.now });
  db.setSource({
    name,
    kind: report.formats.join(','),
    location: url,
    updatedAt: (o.now ?? new Date()).toISOString(),
    records: report.records,
    skipped: report.problems.length,
    state: { ...(res.headers.get('etag') ? { etag: res.headers.get('etag') } : {}) },
  });
  rmSync(dest, { force: true });
  return { source: name, mode: 'full', records: report.records, written: report.written, problems: report.problems };
}

/** Brings the DB up to date from every configured source; one failing source does not stop the others. */
export async function updateDb(db: AdvisoryDb, o: UpdateOptions): Promise<UpdateReport> {
  const report: UpdateReport = { sources: [], errors: [] };
  const run = async (label: string, step: () => Promise<SourceUpdate>): Promise<void> => {
    try {
      report.sources.push(await step());
    } catch (err) {
      report.errors.push(problem(err instanceof InputError || err instanceof RampartError ? err : err, label));
    }
  };
  for (const ecosystem of o.ecosystems ?? []) await run(`osv:${ecosystem}`, () => updateOsvEcosystem(db, ecosystem, o));
  for (const branchRepo of o.alpineBranches ?? []) {
    const [branch, repo = 'main'] = branchRepo.split('/');
    const url = `${(o.alpineBaseUrl ?? DEFAULT_ALPINE_BASE_URL).replace(/\/$/, '')}/${branch}/${repo}.json`;
    await run(`alpine:${branchRepo}`, () =>
      updateDocument(db, `alpine-secdb:${branch}/${repo}`, url, `alpine-${branch}-${repo}.json`, o),
    );
  }
  if (o.debianTracker) {
    const url = o.debianTrackerUrl ?? DEFAULT_DEBIAN_TRACKER_URL;
    await run('debian-tracker', () => updateDocument(db, 'debian-tracker', url, 'debian-tracker.json', o));
  }
  return report;
}
