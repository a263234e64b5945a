import type { InventoryPackage } from '../../core/index.js';
import { InputError } from '../../core/index.js';
import type { Cataloger } from './types.js';

export interface ControlParagraph {
  fields: Map<string, string>;
  line: number;
}

/**
 * Splits a Debian control file (dpkg `status`, `status.d/*`, opkg `status`) into paragraphs. Field names are
 * case-insensitive (kept lower-cased); continuation lines start with a space or tab. A line that is neither a field
 * nor a continuation is an error naming its line.
 */
export function parseControlFile(text: string, file: string): ControlParagraph[] {
  const paragraphs: ControlParagraph[] = [];
  let current: ControlParagraph | undefined;
  let lastField: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
      lastField = undefined;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!current || !lastField) throw new InputError('continuation line without a field', { file, line: i + 1 });
      current.fields.set(lastField, `${current.fields.get(lastField) ?? ''}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      throw new InputError(`not a "Field: value" line: ${JSON.stringify(line.slice(0, 60))}`, { file, line: i + 1 });
    }
    if (!current) {
      current = { fields: new Map(), line: i + 1 };
      paragraphs.push(current);
    }
    lastField = line.slice(0, colon).toLowerCase();
    current.fields.set(lastField, line.slice(colon + 1).trim());
  }
  return paragraphs;
}

/** `Status: want flag status`; only `installed` (and a missing Status in distroless status.d) counts. */
function isInstalled(status: string | undefined): boolean {
  if (status === undefined) return true;
  const parts = status.trim().split(/\s+/);
  return parts[2] === 'installed';
}

export function parseDpkgStatus(
  text: string,
  path: string,
  type: 'deb' | 'opkg' = 'deb',
  problems: string[] = [],
): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  for (const p of parseControlFile(text, `/${path}`)) {
    const name = p.fields.get('package');
    if (!name) {
      problems.push(`/${path}:${p.line}: paragraph without a Package name skipped`);
      continue;
    }
    if (!isInstalled(p.fields.get('status'))) continue;
    const version = p.fields.get('version') ?? '';
    const pkg: InventoryPackage = { type: 'deb', name, version, locations: [`/${path}`] };
    if (type === 'opkg') pkg.packageManager = 'opkg';
    const arch = p.fields.get('architecture');
    if (arch) pkg.arch = arch;
    const source = p.fields.get('source');
    if (source) {
      const m = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(source);
      if (m?.[1]) {
        pkg.sourceName = m[1];
        pkg.sourceVersion = m[2] ?? version;
      }
    } else {
      pkg.sourceName = name;
      pkg.sourceVersion = version;
    }
    const epoch = /^(\d+):/.exec(version);
    if (epoch?.[1]) pkg.epoch = Number(epoch[1]);
    const size = p.fields.get('installed-size');
    if (size && /^\d+$/.test(size)) pkg.installedSize = Number(size) * 1024;
    const maintainer = p.fields.get('maintainer');
    if (maintainer) pkg.maintainer = maintainer;
    out.push(pkg);
  }
  return out;
}

const STATUS_D = /^(?:var|usr)\/lib\/dpkg\/status\.d\/[^/]+$/;

export const dpkgCataloger: Cataloger = {
  name: 'dpkg',
  wants: (path) =>
    path === 'var/lib/dpkg/status' ||
    path === 'usr/lib/dpkg/status' ||
    (STATUS_D.test(path) && !/\.(md5sums|preinst|postinst|prerm|postrm|conffiles|list)$/.test(path)) ||
    path === 'usr/lib/opkg/status' ||
    path === 'var/lib/opkg/status',
  catalog(file) {
    const opkg = file.path.includes('/opkg/');
    const problems: string[] = [];
    const packages = parseDpkgStatus(file.data.toString('utf8'), file.path, opkg ? 'opkg' : 'deb', problems);
    return problems.length > 0 ? { packages, problems } : { packages };
  },
};

const DPKG_LIST = /^var\/lib\/dpkg\/info\/[^/]+\.list$/;

/** `var/lib/dpkg/info/<package>.list`: the files each package installed (for the OS-owned file index). */
export const dpkgFilesCataloger: Cataloger = {
  name: 'dpkg-files',
  wants: (path) => DPKG_LIST.test(path),
  catalog(file) {
    const ownedFiles: string[] = [];
    for (const line of file.data.toString('utf8').split('\n')) {
      const path = line.trim().replace(/^\/+/, '');
      if (path && path !== '.') ownedFiles.push(path);
    }
    return { ownedFiles };
  },
};
