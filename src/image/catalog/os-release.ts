import type { Distro } from '../../core/index.js';
import type { Cataloger } from './types.js';

const PATHS = new Set([
  'etc/os-release',
  'usr/lib/os-release',
  'etc/alpine-release',
  'etc/debian_version',
  'etc/redhat-release',
  'etc/system-release',
]);

/** Parses os-release (`KEY=value`, optionally quoted, `#` comments). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    out[line.slice(0, eq)] = value;
  }
  return out;
}

export function distroFromOsRelease(fields: Record<string, string>): Distro | undefined {
  const id = fields.ID?.toLowerCase();
  if (!id) return undefined;
  const distro: Distro = { id };
  if (fields.VERSION_ID) distro.versionId = fields.VERSION_ID;
  if (fields.VERSION_CODENAME) distro.codename = fields.VERSION_CODENAME;
  if (fields.PRETTY_NAME) distro.prettyName = fields.PRETTY_NAME;
  if (fields.ID_LIKE) distro.idLike = fields.ID_LIKE.split(/\s+/).filter(Boolean);
  return distro;
}

/** Release files older or minimal images have instead of os-release. */
function distroFromReleaseFile(path: string, text: string): Distro | undefined {
  const first = text.split('\n')[0]?.trim() ?? '';
  if (!first) return undefined;
  if (path === 'etc/alpine-release') return { id: 'alpine', versionId: first };
  if (path === 'etc/debian_version')
    return /^\d/.test(first) ? { id: 'debian', versionId: first.split('.')[0] ?? first } : undefined;
  const m = /^(.*?) release (\d[\w.]*)/.exec(first);
  if (!m) return undefined;
  const name = (m[1] ?? '').toLowerCase();
  const id = name.includes('centos')
    ? 'centos'
    : name.includes('red hat')
      ? 'rhel'
      : name.includes('amazon')
        ? 'amzn'
        : name.includes('rocky')
          ? 'rocky'
          : name.includes('alma')
            ? 'almalinux'
            : name.includes('fedora')
              ? 'fedora'
              : name.split(/\s+/)[0] || 'unknown';
  return { id, versionId: m[2] ?? '', prettyName: first };
}

export const osReleaseCataloger: Cataloger = {
  name: 'os-release',
  wants: (path, _mode, size) => PATHS.has(path) && size < 64 * 1024,
  catalog(file) {
    const text = file.data.toString('utf8');
    const distro = file.path.endsWith('os-release')
      ? distroFromOsRelease(parseOsRelease(text))
      : distroFromReleaseFile(file.path, text);
    return distro ? { distro } : { problems: ['no ID in os-release'] };
  },
};
