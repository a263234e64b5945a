import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { InputError, parseSeverity, type Severity } from '../core/index.js';

/** The `lint:` section of `.rampart.yaml`. */
export interface LintSettings {
  /** Rule ids or globs switched off. */
  disable: string[];
  /** Severity overrides by rule id. */
  severity: Record<string, Severity>;
  allowedRegistries: string[];
  hostPathAllowList: string[];
  /** Which Dockerfile builds which image repository (USER consistency). */
  dockerfiles: Array<{ path: string; image: string }>;
  /** Known image config users by image reference or repository (when no image inventory is given). */
  imageUsers: Record<string, string>;
  /**
   * Where to read an image (by reference or repository) through the images engine: `oci:dir`, `oci-archive:file`,
   * `docker-archive:file`, or a registry reference. Relative paths are resolved against the settings file.
   */
  imageSources: Record<string, string>;
  /** Where the settings file is, for resolving relative Dockerfile paths. */
  baseDir: string;
}

export function emptySettings(baseDir = process.cwd()): LintSettings {
  return {
    disable: [],
    severity: {},
    allowedRegistries: [],
    hostPathAllowList: [],
    dockerfiles: [],
    imageUsers: {},
    imageSources: {},
    baseDir,
  };
}

const KEYS = new Set([
  'disable',
  'severity',
  'allowedRegistries',
  'hostPathAllowList',
  'dockerfiles',
  'imageUsers',
  'imageSources',
]);

const LOCAL_SOURCE_RE = /^(oci|oci-archive|docker-archive|dir):(.+)$/s;

/** A local image source's path made absolute (relative to `baseDir`); registry references stay as they are. */
export function resolveImageSource(source: string, baseDir: string): string {
  const m = LOCAL_SOURCE_RE.exec(source);
  if (!m) return source;
  const [path, tag] = splitSourceTag(m[2] as string);
  return `${m[1]}:${resolve(baseDir, path)}${tag}`;
}

/** `dir/layout:tag` → [`dir/layout`, `:tag`] (a tag never contains a slash). */
function splitSourceTag(rest: string): [string, string] {
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && !rest.slice(colon).includes('/')) return [rest.slice(0, colon), rest.slice(colon)];
  return [rest, ''];
}

function stringList(v: unknown, file: string, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new InputError('expected a list of strings', { file, field });
  return v as string[];
}

/** Reads `.rampart.yaml` (explicit path, else the first found in the working directory or the scanned paths). */
export function loadSettings(explicit: string | undefined, scanned: string[]): LintSettings {
  let file = explicit;
  if (!file) {
    const candidates = [process.cwd(), ...scanned.map((p) => (existsSync(join(p, '.rampart.yaml')) ? p : dirname(p)))];
    file = candidates.map((d) => join(d, '.rampart.yaml')).find((f) => existsSync(f));
  }
  if (!file) return emptySettings();
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as { message?: string; linePos?: Array<{ line: number }> };
    throw new InputError(`cannot read settings: ${(e.message ?? String(err)).split('\n')[0]}`, {
      file,
      line: e.linePos?.[0]?.line,
    });
  }
  const settings = emptySettings(dirname(resolve(file)));
  const section = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).lint : undefined;
  if (section === undefined || section === null) return settings;
  if (typeof section !== 'object' || Array.isArray(section))
    throw new InputError('expected a map', { file, field: 'lint' });
  const s = section as Record<string, unknown>;
  for (const k of Object.keys(s))
    if (!KEYS.has(k))
      throw new InputError(`unknown setting (expected one of ${[...KEYS].join(', ')})`, { file, field: `lint.${k}` });
  settings.disable = stringList(s.disable, file, 'lint.disable');
  settings.allowedRegistries = stringList(s.allowedRegistries, file, 'lint.allowedRegistries');
  settings.hostPathAllowList = stringList(s.hostPathAllowList, file, 'lint.hostPathAllowList');
  if (s.severity !== undefined) {
    if (!s.severity || typeof s.severity !== 'object')
      throw new InputError('expected a map of rule id to severity', { file, field: 'lint.severity' });
    for (const [rule, sev] of Object.entries(s.severity)) {
      const parsed = typeof sev === 'string' ? parseSeverity(sev) : undefined;
      if (!parsed) throw new InputError(`"${String(sev)}" is not a severity`, { file, field: `lint.severity.${rule}` });
      settings.severity[rule] = parsed;
    }
  }
  if (s.dockerfiles !== undefined) {
    if (!Array.isArray(s.dockerfiles))
      throw new InputError('expected a list of {path, image}', { file, field: 'lint.dockerfiles' });
    s.dockerfiles.forEach((d, i) => {
      const o = d as Record<string, unknown>;
      if (!o || typeof o.path !== 'string' || typeof o.image !== 'string')
        throw new InputError('expected {path, image}', { file, field: `lint.dockerfiles[${i}]` });
      settings.dockerfiles.push({ path: resolve(settings.baseDir, o.path), image: o.image });
    });
  }
  if (s.imageUsers !== undefined) {
    if (!s.imageUsers || typeof s.imageUsers !== 'object')
      throw new InputError('expected a map of image to user', { file, field: 'lint.imageUsers' });
    for (const [img, user] of Object.entries(s.imageUsers)) settings.imageUsers[img] = String(user ?? '');
  }
  if (s.imageSources !== undefined) {
    if (!s.imageSources || typeof s.imageSources !== 'object' || Array.isArray(s.imageSources))
      throw new InputError('expected a map of image to source', { file, field: 'lint.imageSources' });
    for (const [img, source] of Object.entries(s.imageSources)) {
      if (typeof source !== 'string' || source === '')
        throw new InputError(
          'expected an image source (oci:dir, oci-archive:file, docker-archive:file or a reference)',
          {
            file,
            field: `lint.imageSources.${img}`,
          },
        );
      settings.imageSources[img] = resolveImageSource(source, settings.baseDir);
    }
  }
  return settings;
}
