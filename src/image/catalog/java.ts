import { type InventoryPackage, listZip } from '../../core/index.js';
import type { CatalogContext, Cataloger } from './types.js';

const ARCHIVE = /\.(jar|war|ear|jpi|hpi|par|sar|nar|kar|rar)$/i;

/** `key=value` or `key: value` lines (pom.properties allows both), `#`/`!` comments. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m?.[1]) out[m[1]] = (m[2] ?? '').trim();
  }
  return out;
}

/** MANIFEST.MF main section (continuation lines start with one space). */
export function parseManifest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') && last) {
      out[last] = `${out[last] ?? ''}${line.slice(1)}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim();
    out[last] = line.slice(i + 1).trim();
  }
  return out;
}

function fileStem(path: string): { name: string; version: string } | undefined {
  const base = (path.split('/').pop() ?? '').replace(ARCHIVE, '');
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
  return m?.[1] && m[2] ? { name: m[1], version: m[2] } : undefined;
}

/**
 * Packages of a Java archive: every `META-INF/maven/<g>/<a>/pom.properties` (one jar may shade several), else
 * the manifest's Implementation/Bundle fields or the file name; nested archives (Spring Boot `BOOT-INF/lib`,
 * `WEB-INF/lib`) are read recursively up to the depth limit.
 */
export function parseJavaArchive(
  data: Buffer,
  location: string,
  ctx: Pick<CatalogContext, 'maxArchiveDepth' | 'maxFileBytes'>,
  depth = 0,
  problems: string[] = [],
): InventoryPackage[] {
  const entries = listZip(data, location);
  const out: InventoryPackage[] = [];
  const poms = entries.filter((e) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(e.name));
  for (const e of poms) {
    const props = parseProperties(e.read(ctx.maxFileBytes).toString('utf8'));
    if (!props.groupId || !props.artifactId || !props.version) continue;
    out.push({
      type: 'maven',
      name: `${props.groupId}:${props.artifactId}`,
      version: props.version,
      groupId: props.groupId,
      artifactId: props.artifactId,
      locations: [location],
    });
  }
  if (out.length === 0) {
    const mf = entries.find((e) => e.name === 'META-INF/MANIFEST.MF');
    const manifest = mf ? parseManifest(mf.read(ctx.maxFileBytes).toString('utf8')) : {};
    const stem = fileStem(location);
    const name =
      stem?.name ?? manifest['Implementation-Title'] ?? manifest['Bundle-SymbolicName']?.split(';')[0] ?? undefined;
    const version = manifest['Implementation-Version'] ?? manifest['Bundle-Version'] ?? stem?.version;
    if (name && version) {
      const group = manifest['Implementation-Vendor-Id'] ?? manifest['Bundle-SymbolicName']?.split(';')[0];
      const groupId = group && group !== name ? group.replace(new RegExp(`\\.${name}$`), '') : name;
      out.push({
        type: 'maven',
        name: `${groupId}:${name}`,
        version,
        groupId,
        artifactId: name,
        locations: [location],
      });
    }
  }
  if (depth < ctx.maxArchiveDepth) {
    for (const e of entries) {
      if (!ARCHIVE.test(e.name) || e.name.endsWith('/')) continue;
      try {
        out.push(...parseJavaArchive(e.read(ctx.maxFileBytes), `${location}:${e.name}`, ctx, depth + 1, problems));
      } catch (err) {
        problems.push(`${location}:${e.name}: ${(err as Error).message}`);
      }
    }
  } else problems.push(`${location}: archives nested deeper than ${ctx.maxArchiveDepth} not read`);
  return out;
}

export const javaCataloger: Cataloger = {
  name: 'java',
  wants: (path, _mode, size) => ARCHIVE.test(path) && size > 22,
  magic: (head) => head[0] === 0x50 && head[1] === 0x4b,
  catalog(file, ctx) {
    const problems: string[] = [];
    const packages = parseJavaArchive(file.data, `/${file.path}`, ctx, 0, problems);
    return problems.length ? { packages, problems } : { packages };
  },
};

export const pomPropertiesCataloger: Cataloger = {
  name: 'pom-properties',
  wants: (path) => /(^|[/.])pom\.properties$/.test(path),
  catalog(file) {
    const p = parseProperties(file.data.toString('utf8'));
    if (!p.groupId || !p.artifactId || !p.version) return {};
    return {
      packages: [
        { type: 'maven', name: `${p.groupId}:${p.artifactId}`, version: p.version, locations: [`/${file.path}`] },
      ],
    };
  },
};
