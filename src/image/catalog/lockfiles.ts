import { parseAllDocuments } from 'yaml';
import type { InventoryPackage } from '../../core/index.js';
import { InputError } from '../../core/index.js';
import { parseComposer } from './lang.js';
import type { Cataloger } from './types.js';

/**
 * Lockfile parsers. In images Rampart reads installed metadata (like Trivy): lockfiles over-report (dev
 * dependencies, packages never installed). These are for source trees and are checked against the fixtures.
 */

type Lock = Record<string, unknown>;

function parseJson(data: Buffer, path: string): Lock {
  try {
    return JSON.parse(data.toString('utf8')) as Lock;
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file: `/${path}` });
  }
}

const pkg = (type: InventoryPackage['type'], name: string, version: string, path: string): InventoryPackage => ({
  type,
  name,
  version,
  locations: [`/${path}`],
});

/** package-lock.json v1 (nested `dependencies`) and v2/v3 (`packages` keyed by node_modules paths). */
export function parsePackageLock(data: Buffer, path: string): InventoryPackage[] {
  const lock = parseJson(data, path);
  const out: InventoryPackage[] = [];
  const packages = lock.packages as
    | Record<string, { name?: string; version?: string; dev?: boolean; link?: boolean }>
    | undefined;
  if (packages && typeof packages === 'object') {
    for (const [key, p] of Object.entries(packages)) {
      if (!p || p.link || !p.version) continue;
      // An alias (`"case-alias": "npm:case@1.6.3"`) has the real name in `name`; the key holds the alias.
      const name =
        p.name ?? (key === '' ? (lock.name as string | undefined) : key.slice(key.lastIndexOf('node_modules/') + 13));
      if (!name) continue;
      out.push(pkg('npm', name, p.version, path));
    }
    return out;
  }
  const walk = (deps: unknown) => {
    if (!deps || typeof deps !== 'object') return;
    for (const [name, d] of Object.entries(deps as Record<string, { version?: string; dependencies?: unknown }>)) {
      if (d?.version) {
        const alias = /^npm:(.+)@([^@]+)$/.exec(d.version);
        out.push(alias?.[1] && alias[2] ? pkg('npm', alias[1], alias[2], path) : pkg('npm', name, d.version, path));
      }
      walk(d?.dependencies);
    }
  };
  walk(lock.dependencies);
  return out;
}

/** yarn.lock v1 (`"name@range":` blocks with `version "x"`) and berry (`resolution: "name@npm:x"`). */
export function parseYarnLock(data: Buffer, path: string): InventoryPackage[] {
  const text = data.toString('utf8');
  const out: InventoryPackage[] = [];
  const seen = new Set<string>();
  const blocks = text.split(/\n(?=\S)/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const head = lines[0] ?? '';
    if (!head.endsWith(':') || head.startsWith('#') || head.startsWith('__metadata')) continue;
    const first = head.slice(0, -1).split(',')[0]?.trim().replace(/^"|"$/g, '') ?? '';
    const at = first.lastIndexOf('@');
    let name = at > 0 ? first.slice(0, at) : first;
    let version: string | undefined;
    for (const l of lines.slice(1)) {
      const v = /^\s+version:?\s+"?([^"\s]+)"?/.exec(l);
      if (v?.[1]) version = v[1];
      const r = /^\s+resolution:\s+"?(.+?)@(?:npm:)?([^@"]+)"?$/.exec(l);
      if (r?.[1] && r[2] && !r[2].startsWith('workspace:')) name = r[1];
      if (/^\s+resolution:.*@workspace:/.test(l)) version = undefined;
    }
    if (/@workspace:|@patch:|@link:|@portal:/.test(first)) continue;
    if (!name || !version) continue;
    const key = `${name}@${version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(pkg('npm', name, version, path));
  }
  return out;
}

/** Minimal TOML reading for lockfiles: `[[package]]` tables with `name = "…"` and `version = "…"`. */
function tomlPackages(text: string, table = 'package'): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  let current: Record<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\[([^\]]+)\]\]\s*$/.exec(line);
    if (header) {
      current = header[1] === table ? {} : undefined;
      if (current) out.push(current);
      continue;
    }
    if (/^\s*\[/.test(line)) {
      current = undefined;
      continue;
    }
    const kv = /^\s*([A-Za-z0-9_-]+)\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(line);
    if (current && kv?.[1] && current[kv[1]] === undefined) current[kv[1]] = kv[2] ?? '';
  }
  return out;
}

export function parseCargoLock(data: Buffer, path: string): InventoryPackage[] {
  return tomlPackages(data.toString('utf8'))
    .filter((p) => p.name && p.version)
    .map((p) => pkg('cargo', p.name as string, p.version as string, path));
}

export function parsePoetryOrUvLock(data: Buffer, path: string): InventoryPackage[] {
  return tomlPackages(data.toString('utf8'))
    .filter((p) => p.name && p.version)
    .map((p) => pkg('pypi', p.name as string, p.version as string, path));
}

export function parsePipfileLock(data: Buffer, path: string): InventoryPackage[] {
  const lock = parseJson(data, path);
  const out: InventoryPackage[] = [];
  for (const section of ['default', 'develop']) {
    for (const [name, d] of Object.entries((lock[section] ?? {}) as Record<string, { version?: string }>)) {
      if (d?.version) out.push(pkg('pypi', name, d.version.replace(/^==/, ''), path));
    }
  }
  return out;
}

/** Pinned `name==version` lines of requirements*.txt (ranges are not versions and are skipped). */
export function parseRequirements(data: Buffer, path: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  for (const raw of data.toString('utf8').split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)/.exec(line);
    if (m?.[1] && m[2]) out.push(pkg('pypi', m[1], m[2], path));
  }
  return out;
}

/** Gemfile.lock `specs:` entries (four-space indent: `name (version)`). */
export function parseGemfileLock(data: Buffer, path: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  let inSpecs = false;
  for (const line of data.toString('utf8').split(/\r?\n/)) {
    if (/^\S/.test(line)) inSpecs = false;
    if (/^ {2}specs:$/.test(line)) {
      inSpecs = true;
      continue;
    }
    if (!inSpecs) continue;
    const m = /^ {4}([^\s(]+) \(([^)]+)\)$/.exec(line);
    if (m?.[1] && m[2]) out.push(pkg('gem', m[1], m[2].split('-')[0] ?? m[2], path));
  }
  return out;
}

/** go.mod `require` lines (single and block), with `replace` applied. */
export function parseGoMod(data: Buffer, path: string): InventoryPackage[] {
  const text = data.toString('utf8').replace(/\/\/.*$/gm, '');
  const reqs = new Map<string, string>();
  const replaces = new Map<string, [string, string]>();
  let block: 'require' | 'replace' | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line === ')') {
      block = undefined;
      continue;
    }
    const open = /^(require|replace)\s*\($/.exec(line);
    if (open) {
      block = open[1] as 'require' | 'replace';
      continue;
    }
    const single = /^(require|replace)\s+(.+)$/.exec(line);
    const kind = single ? single[1] : block;
    const body = single ? (single[2] ?? '') : line;
    if (kind === 'require') {
      const [mod, version] = body.split(/\s+/);
      if (mod && version) reqs.set(mod, version);
    } else if (kind === 'replace') {
      const m = /^(\S+)(?:\s+\S+)?\s+=>\s+(\S+)(?:\s+(\S+))?$/.exec(body);
      if (m?.[1] && m[2] && m[3]) replaces.set(m[1], [m[2], m[3]]);
    }
  }
  const out: InventoryPackage[] = [];
  for (const [mod, version] of reqs) {
    const r = replaces.get(mod);
    out.push(r ? pkg('golang', r[0], r[1], path) : pkg('golang', mod, version, path));
  }
  return out;
}

/** pnpm-lock.yaml v5 (`/name/version`), v6 (`/name@version`), v9 (`name@version`), multi-document locks. */
export function parsePnpmLock(data: Buffer, path: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  const seen = new Set<string>();
  for (const doc of parseAllDocuments(data.toString('utf8'))) {
    const lock = doc.toJS() as { lockfileVersion?: unknown; packages?: Record<string, unknown> } | null;
    if (!lock?.packages) continue;
    const v5 = Number.parseFloat(String(lock.lockfileVersion ?? '0')) < 6;
    for (const rawKey of Object.keys(lock.packages)) {
      // Peer-dependency suffixes: `(react@18.2.0)` (v6+) or `_react@18.2.0` (v5).
      const key = rawKey.replace(/^\//, '').replace(/\(.*$/, '');
      let name: string | undefined;
      let version: string | undefined;
      if (v5) {
        const i = key.lastIndexOf('/');
        name = key.slice(0, i);
        version = key.slice(i + 1).split('_')[0];
      } else {
        const i = key.lastIndexOf('@');
        if (i <= 0) continue;
        name = key.slice(0, i);
        version = key.slice(i + 1);
      }
      if (!name || !version || seen.has(`${name}@${version}`)) continue;
      seen.add(`${name}@${version}`);
      out.push(pkg('npm', name, version, path));
    }
  }
  return out;
}

/** NuGet packages.lock.json: `dependencies.<framework>.<name>.resolved`. */
export function parseNugetLock(data: Buffer, path: string): InventoryPackage[] {
  const lock = parseJson(data, path);
  const out: InventoryPackage[] = [];
  const seen = new Set<string>();
  for (const deps of Object.values(
    (lock.dependencies ?? {}) as Record<string, Record<string, { resolved?: string; type?: string }>>,
  )) {
    for (const [name, d] of Object.entries(deps)) {
      if (!d.resolved || d.type === 'Project' || seen.has(`${name}@${d.resolved}`)) continue;
      seen.add(`${name}@${d.resolved}`);
      out.push(pkg('nuget', name, d.resolved, path));
    }
  }
  return out;
}

function lockCataloger(name: string, test: RegExp, parse: (d: Buffer, p: string) => InventoryPackage[]): Cataloger {
  return { name, wants: (path) => test.test(path), catalog: (file) => ({ packages: parse(file.data, file.path) }) };
}

/** Lockfile catalogers for source trees (`fs` use), not run on images by default. */
export const LOCKFILE_CATALOGERS: Cataloger[] = [
  lockCataloger('package-lock', /(^|\/)(package-lock|npm-shrinkwrap)\.json$/, parsePackageLock),
  lockCataloger('yarn-lock', /(^|\/)yarn\.lock$/, parseYarnLock),
  lockCataloger('cargo-lock', /(^|\/)Cargo\.lock$/, parseCargoLock),
  lockCataloger('poetry-lock', /(^|\/)(poetry|uv|pdm)\.lock$/, parsePoetryOrUvLock),
  lockCataloger('pnpm-lock', /(^|\/)pnpm-lock\.yaml$/, parsePnpmLock),
  lockCataloger('nuget-lock', /(^|\/)packages\.lock\.json$/, parseNugetLock),
  lockCataloger('composer-lock', /(^|\/)composer\.lock$/, (d, p) => parseComposer(d, p, true)),
  lockCataloger('pipfile-lock', /(^|\/)Pipfile\.lock$/, parsePipfileLock),
  lockCataloger('requirements', /(^|\/)requirements[^/]*\.txt$/, parseRequirements),
  lockCataloger('gemfile-lock', /(^|\/)Gemfile\.lock$/, parseGemfileLock),
  lockCataloger('go-mod', /(^|\/)go\.mod$/, parseGoMod),
];
