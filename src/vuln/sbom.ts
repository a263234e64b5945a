import { readFileSync } from 'node:fs';
import { PackageURL } from 'packageurl-js';
import {
  type Distro,
  type ImageInventory,
  InputError,
  type InventoryPackage,
  type PackageType,
} from '../core/index.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** purl types Rampart matches, as inventory package types (purl `golang` = Go modules, `gem` = RubyGems …). */
const PURL_TYPES: Record<string, PackageType> = {
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'pypi',
  golang: 'golang',
  maven: 'maven',
  gem: 'gem',
  cargo: 'cargo',
  composer: 'composer',
  nuget: 'nuget',
};

interface SbomComponent {
  purl: string;
  where: string;
  properties: Record<string, string>;
}

/** `distro=debian-12` / `alpine-3.20.3` / `rhel-9.4`: the distro of an OS package purl. */
function distroOfQualifier(q: string | undefined): Distro | undefined {
  const m = /^([a-z]+)-(\d[\w.]*)$/i.exec(q ?? '');
  return m ? { id: (m[1] as string).toLowerCase(), versionId: m[2] as string } : undefined;
}

function packageOf(c: SbomComponent, file: string): { pkg: InventoryPackage; distro?: Distro } | undefined {
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(c.purl);
  } catch (err) {
    throw new InputError(`not a valid package URL: ${(err as Error).message}`, { file, field: c.where });
  }
  const type = PURL_TYPES[purl.type];
  if (!type || !purl.version) return undefined;
  const q = purl.qualifiers ?? {};
  const name =
    type === 'maven' && purl.namespace
      ? `${purl.namespace}:${purl.name}`
      : purl.namespace && (type === 'npm' || type === 'golang' || type === 'composer')
        ? `${purl.namespace}/${purl.name}`
        : purl.name;
  let version = purl.version;
  let epoch: number | undefined;
  let release: string | undefined;
  if (type === 'rpm') {
    const evr = /^(?:(\d+):)?(.+?)(?:-([^-]+))?$/.exec(version);
    epoch = q.epoch ? Number(q.epoch) : evr?.[1] ? Number(evr[1]) : undefined;
    version = evr?.[2] ?? version;
    release = evr?.[3];
  }
  const sourceName = c.properties['rampart:package:source-name'] ?? q.upstream?.replace(/@.*$/, '');
  const sourceVersion = c.properties['rampart:package:source-version'] ?? /@(.+)$/.exec(q.upstream ?? '')?.[1];
  const pkg: InventoryPackage = {
    type,
    name,
    version,
    purl: c.purl,
    ...(sourceName ? { sourceName } : {}),
    ...(sourceVersion ? { sourceVersion } : {}),
    ...(epoch !== undefined && !Number.isNaN(epoch) ? { epoch } : {}),
    ...(release ? { release } : {}),
    ...(q.arch ? { arch: q.arch } : {}),
    locations: [c.properties['rampart:location'] ?? `${file}#${c.where}`],
    ...(c.properties['rampart:layer:digest'] ? { layerDigest: c.properties['rampart:layer:digest'] } : {}),
  };
  const distro = distroOfQualifier(q.distro);
  return distro ? { pkg, distro } : { pkg };
}

function cycloneDxComponents(doc: Json, file: string): { components: SbomComponent[]; distro?: Distro } {
  const components: SbomComponent[] = [];
  let distro: Distro | undefined;
  const visit = (list: unknown, path: string): void => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new InputError('expected a list', { file, field: path });
    list.forEach((c, i) => {
      const where = `${path}[${i}]`;
      if (!isObject(c)) throw new InputError('expected a component object', { file, field: where });
      if (c.type === 'operating-system' && typeof c.name === 'string') {
        distro = {
          id: c.name.toLowerCase(),
          ...(typeof c.version === 'string' ? { versionId: c.version } : {}),
        };
      }
      const properties: Record<string, string> = {};
      if (Array.isArray(c.properties)) {
        for (const p of c.properties) {
          if (isObject(p) && typeof p.name === 'string' && typeof p.value === 'string' && !(p.name in properties)) {
            properties[p.name] = p.value;
          }
        }
      }
      if (typeof c.purl === 'string') components.push({ purl: c.purl, where, properties });
      visit(c.components, `${where}.components`);
    });
  };
  visit(doc.components, 'components');
  return distro ? { components, distro } : { components };
}

function spdxComponents(doc: Json, file: string): SbomComponent[] {
  if (!Array.isArray(doc.packages)) throw new InputError('expected a list', { file, field: 'packages' });
  const out: SbomComponent[] = [];
  doc.packages.forEach((p, i) => {
    if (!isObject(p)) throw new InputError('expected a package object', { file, field: `packages[${i}]` });
    if (p.primaryPackagePurpose === 'CONTAINER' || p.primaryPackagePurpose === 'OPERATING-SYSTEM') return;
    const refs = Array.isArray(p.externalRefs) ? p.externalRefs : [];
    const purl = refs.find((r) => isObject(r) && r.referenceType === 'purl' && typeof r.referenceLocator === 'string');
    if (isObject(purl)) out.push({ purl: purl.referenceLocator as string, where: `packages[${i}]`, properties: {} });
  });
  return out;
}

/**
 * Reads a CycloneDX (1.4–1.7) or SPDX 2.3 JSON SBOM as an inventory: packages come from their package URLs (the
 * only identity both formats share), the distro from the CycloneDX operating-system component or the purls'
 * `distro` qualifier. Components without a purl or of types Rampart does not match are left out and counted in
 * `problems`, so a scan never looks cleaner than the SBOM allows.
 */
export function inventoryFromSbom(path: string): ImageInventory {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code ? `cannot read the SBOM (${code})` : `not valid JSON: ${(err as Error).message}`, {
      file: path,
    });
  }
  if (!isObject(doc)) throw new InputError('an SBOM must be a JSON object', { file: path });
  let components: SbomComponent[];
  let distro: Distro | undefined;
  let reference = path;
  let digest: string | undefined;
  let total: number;
  if (doc.bomFormat === 'CycloneDX') {
    ({ components, distro } = cycloneDxComponents(doc, path));
    const meta = isObject(doc.metadata) && isObject(doc.metadata.component) ? doc.metadata.component : undefined;
    if (typeof meta?.name === 'string') reference = meta.name;
    if (typeof meta?.version === 'string' && meta.version.startsWith('sha256:')) digest = meta.version;
    total = Array.isArray(doc.components) ? doc.components.length : 0;
  } else if (typeof doc.spdxVersion === 'string') {
    if (!doc.spdxVersion.startsWith('SPDX-2.')) {
      throw new InputError(`${doc.spdxVersion} is not supported (SPDX 2.x JSON is)`, {
        file: path,
        field: 'spdxVersion',
      });
    }
    components = spdxComponents(doc, path);
    if (typeof doc.name === 'string') reference = doc.name;
    total = Array.isArray(doc.packages)
      ? doc.packages.filter(
          (p) =>
            !isObject(p) || (p.primaryPackagePurpose !== 'CONTAINER' && p.primaryPackagePurpose !== 'OPERATING-SYSTEM'),
        ).length
      : 0;
  } else {
    throw new InputError('neither a CycloneDX (bomFormat) nor an SPDX 2.x (spdxVersion) JSON document', {
      file: path,
    });
  }
  const packages: InventoryPackage[] = [];
  let skipped = 0;
  for (const c of components) {
    const read = packageOf(c, path);
    if (!read) {
      skipped++;
      continue;
    }
    packages.push(read.pkg);
    distro ??= read.distro;
  }
  const problems: ImageInventory['problems'] = [];
  const withoutPurl = Math.max(0, total - components.length);
  if (skipped > 0) {
    problems.push({ path, message: `${skipped} components with package types Rampart does not match (or no version)` });
  }
  if (withoutPurl > 0 && doc.bomFormat !== 'CycloneDX') {
    problems.push({ path, message: `${withoutPurl} packages without a purl were not matched` });
  }
  return {
    reference,
    ...(digest ? { digest } : {}),
    ...(distro ? { distro } : {}),
    layers: [],
    packages,
    problems,
  };
}
