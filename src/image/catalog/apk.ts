import type { InventoryPackage } from '../../core/index.js';
import type { Cataloger } from './types.js';

/**
 * Parses apk's installed database: blank-line separated records of `X:value` lines. `P` name, `V` version, `A` arch,
 * `o` origin (source package: advisories are keyed by it), `L` licence, `m` maintainer.
 */
export function parseApkInstalled(text: string, path: string, problems: string[] = []): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  let fields = new Map<string, string>();
  let start = 1;
  const flush = () => {
    if (fields.size === 0) return;
    const name = fields.get('P');
    const version = fields.get('V');
    if (!name || !version) {
      problems.push(`/${path}:${start}: record without ${name ? 'V' : 'P'}: field skipped`);
      fields = new Map();
      return;
    }
    const pkg: InventoryPackage = {
      type: 'apk',
      name,
      version,
      sourceName: fields.get('o') ?? name,
      sourceVersion: version,
      locations: [`/${path}`],
    };
    const arch = fields.get('A');
    if (arch) pkg.arch = arch;
    const license = fields.get('L');
    if (license) pkg.licenses = [license];
    out.push(pkg);
    fields = new Map();
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      flush();
      start = i + 2;
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      problems.push(`/${path}:${i + 1}: not an "X:value" line: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    const key = line[0] as string;
    // F/R/M/a/Z repeat per file; only the first of the package-level keys matters.
    if (!fields.has(key)) fields.set(key, line.slice(2));
  }
  flush();
  return out;
}

/** Files of all packages in apk's installed database: `F:` sets the directory, each `R:` names a file in it. */
export function apkOwnedFiles(text: string): string[] {
  const out: string[] = [];
  let dir = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('F:')) dir = line.slice(2).replace(/^\/+|\/+$/g, '');
    else if (line.startsWith('R:')) out.push(dir ? `${dir}/${line.slice(2)}` : line.slice(2));
    else if (line.trim() === '') dir = '';
  }
  return out;
}

export const apkCataloger: Cataloger = {
  name: 'apk',
  wants: (path) => path === 'lib/apk/db/installed' || path === 'usr/lib/apk/db/installed',
  catalog(file) {
    const problems: string[] = [];
    const text = file.data.toString('utf8');
    const packages = parseApkInstalled(text, file.path, problems);
    const ownedFiles = apkOwnedFiles(text);
    return problems.length > 0 ? { packages, problems, ownedFiles } : { packages, ownedFiles };
  },
};
