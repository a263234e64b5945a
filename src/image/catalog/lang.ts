import type { InventoryPackage } from '../../core/index.js';
import { InputError } from '../../core/index.js';
import type { Cataloger } from './types.js';

function json<T>(data: Buffer, where: string): T {
  try {
    return JSON.parse(data.toString('utf8').replace(/^\uFEFF/, '')) as T;
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file: where });
  }
}

function licenseList(value: unknown): string[] | undefined {
  if (typeof value === 'string' && value) return [value];
  if (value && typeof value === 'object' && 'type' in value && typeof value.type === 'string') return [value.type];
  if (Array.isArray(value)) {
    const out = value.flatMap((v) => licenseList(v) ?? []);
    return out.length ? out : undefined;
  }
  return undefined;
}

/** package.json files: installed npm packages (what is in the image, not what a lockfile wishes). */
export const npmPackageJsonCataloger: Cataloger = {
  name: 'npm',
  // Like Trivy's image analyzer: every package.json with a name and a version, not only under node_modules.
  wants: (path) => /(^|\/)package\.json$/.test(path),
  catalog(file) {
    const pkg = json<{ name?: unknown; version?: unknown; license?: unknown; licenses?: unknown }>(
      file.data,
      `/${file.path}`,
    );
    if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string' || !pkg.name || !pkg.version) return {};
    const licenses = licenseList(pkg.license ?? pkg.licenses);
    return {
      packages: [
        {
          type: 'npm',
          name: pkg.name,
          version: pkg.version,
          ...(licenses ? { licenses } : {}),
          locations: [`/${file.path}`],
        },
      ],
    };
  },
};

/** RFC 822 style headers of Python METADATA / PKG-INFO (stops at the first blank line: the body is the readme). */
export function parsePythonMetadata(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^\s/.test(line) && last) continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).toLowerCase();
    (out[last] ??= []).push(line.slice(i + 1).trim());
  }
  return out;
}

const PY_METADATA = /(^|[/.])(dist-info|DIST-INFO)\/METADATA$|(^|[/.])(egg-info|EGG-INFO)\/PKG-INFO$|\.egg-info$/;

export const pythonCataloger: Cataloger = {
  name: 'python',
  wants: (path, _mode, size) => PY_METADATA.test(path) && size < 16 * 1024 * 1024,
  catalog(file) {
    const m = parsePythonMetadata(file.data.toString('utf8'));
    const name = m.name?.[0];
    const version = m.version?.[0];
    if (!name || !version) return {};
    const license = m['license-expression']?.[0] ?? m.license?.[0];
    const licenses = license && license !== 'UNKNOWN' && license.length < 200 ? [license] : undefined;
    return {
      packages: [{ type: 'pypi', name, version, ...(licenses ? { licenses } : {}), locations: [`/${file.path}`] }],
    };
  },
};

/** specifications/*.gemspec as RubyGems writes them: `s.name = "x".freeze`, `s.version = "1.2"`. */
export function parseGemspec(text: string): { name?: string; version?: string; licenses?: string[] } {
  const str = (field: string) =>
    new RegExp(`\\.${field}\\s*=\\s*["']([^"']+)["']`).exec(text)?.[1] ??
    new RegExp(`\\.${field}\\s*=\\s*%q\\{([^}]+)\\}`).exec(text)?.[1];
  const licenses = /\.licenses\s*=\s*\[([^\]]*)\]/
    .exec(text)?.[1]
    ?.match(/["']([^"']+)["']/g)
    ?.map((s) => s.slice(1, -1));
  const name = str('name');
  const version = str('version') ?? /Gem::Version\.new\(["']([^"']+)["']\)/.exec(text)?.[1];
  return { ...(name ? { name } : {}), ...(version ? { version } : {}), ...(licenses?.length ? { licenses } : {}) };
}

export const gemspecCataloger: Cataloger = {
  name: 'gemspec',
  wants: (path) => /(^|\/)specifications\/[^/]+\.gemspec$/.test(path),
  catalog(file) {
    const g = parseGemspec(file.data.toString('utf8'));
    if (!g.name || !g.version) return {};
    return {
      packages: [
        {
          type: 'gem',
          name: g.name,
          version: g.version,
          ...(g.licenses ? { licenses: g.licenses } : {}),
          locations: [`/${file.path}`],
        },
      ],
    };
  },
};

interface ComposerPackage {
  name?: string;
  version?: string;
  license?: string[];
}

/** composer `vendor/composer/installed.json`: v1 is a list, v2 `{packages: [...]}`; also composer.lock. */
export function parseComposer(data: Buffer, path: string, withDev = false): InventoryPackage[] {
  const doc = json<ComposerPackage[] | { packages?: ComposerPackage[]; 'packages-dev'?: ComposerPackage[] }>(
    data,
    `/${path}`,
  );
  const list = Array.isArray(doc) ? doc : [...(doc.packages ?? []), ...(withDev ? (doc['packages-dev'] ?? []) : [])];
  return list
    .filter((p) => typeof p.name === 'string' && typeof p.version === 'string')
    .map((p) => ({
      type: 'composer' as const,
      name: p.name as string,
      version: p.version as string,
      ...(Array.isArray(p.license) && p.license.length ? { licenses: p.license } : {}),
      locations: [`/${path}`],
    }));
}

export const composerInstalledCataloger: Cataloger = {
  name: 'composer',
  wants: (path) => /(^|\/)composer\/installed\.json$/.test(path),
  catalog: (file) => ({ packages: parseComposer(file.data, file.path) }),
};

/** .NET `*.deps.json`: `libraries` entries of type `package` (`Name/Version`). */
export function parseDepsJson(data: Buffer, path: string): InventoryPackage[] {
  const doc = json<{ libraries?: Record<string, { type?: string }> }>(data, `/${path}`);
  const out: InventoryPackage[] = [];
  for (const [key, lib] of Object.entries(doc.libraries ?? {})) {
    if (lib.type !== 'package' && lib.type !== 'project' && lib.type !== 'referenceassembly') continue;
    const i = key.lastIndexOf('/');
    if (i <= 0) continue;
    out.push({ type: 'nuget', name: key.slice(0, i), version: key.slice(i + 1), locations: [`/${path}`] });
  }
  return out;
}

export const dotnetDepsCataloger: Cataloger = {
  name: 'dotnet-deps',
  wants: (path) => path.endsWith('.deps.json'),
  catalog: (file) => ({ packages: parseDepsJson(file.data, file.path) }),
};
