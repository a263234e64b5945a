import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as CDX from '@cyclonedx/cyclonedx-library';
import type { ImageInventory, InventoryPackage } from '../core/index.js';

/**
 * The CycloneDX library is loaded on first use: it is the largest module of the image engine (a few hundred ms of
 * start-up) and `image inventory -o json|table` never needs it. It ships CommonJS, so a synchronous require works.
 */
let cdxLibrary: typeof CDX | undefined;
function cdx(): typeof CDX {
  cdxLibrary ??= createRequire(import.meta.url)('@cyclonedx/cyclonedx-library') as typeof CDX;
  return cdxLibrary;
}

export type SbomFormat = 'cyclonedx' | 'spdx';

export interface SbomContext {
  toolVersion: string;
  now: Date;
}

/** A licence string as CycloneDX wants it: an SPDX id, an SPDX expression, or just a name. */
function cdxLicense(text: string): CDX.Models.License {
  const lib = cdx();
  if (lib.SPDX.isSupportedSpdxId(text)) return new lib.Models.SpdxLicense(text);
  const fixed = lib.SPDX.fixupSpdxId(text);
  if (fixed) return new lib.Models.SpdxLicense(fixed);
  return new lib.Models.NamedLicense(text);
}

function componentName(p: InventoryPackage): { group?: string; name: string } {
  if (p.type === 'maven' && p.name.includes(':')) {
    const [group, name] = p.name.split(':');
    return { ...(group ? { group } : {}), name: name ?? p.name };
  }
  return { name: p.name };
}

/** CycloneDX 1.6 JSON, built with @cyclonedx/cyclonedx-library: the image is the metadata component. */
export function toCycloneDx(inv: ImageInventory, ctx: SbomContext): string {
  const lib = cdx();
  const bom = new lib.Models.Bom();
  bom.serialNumber = `urn:uuid:${randomUUID()}`;
  bom.metadata.timestamp = ctx.now;
  bom.metadata.tools.components.add(
    new lib.Models.Component(lib.Enums.ComponentType.Application, 'rampart', { version: ctx.toolVersion }),
  );
  const image = new lib.Models.Component(lib.Enums.ComponentType.Container, inv.reference, {
    bomRef: 'image',
    ...(inv.digest ? { version: inv.digest } : {}),
  });
  if (inv.imageId) image.properties.add(new lib.Models.Property('rampart:image:id', inv.imageId));
  bom.metadata.component = image;
  if (inv.distro) {
    const os = new lib.Models.Component(lib.Enums.ComponentType.OperatingSystem, inv.distro.id, {
      bomRef: 'os',
      ...(inv.distro.versionId ? { version: inv.distro.versionId } : {}),
    });
    bom.components.add(os);
  }
  inv.packages.forEach((p, i) => {
    const { group, name } = componentName(p);
    const c = new lib.Models.Component(lib.Enums.ComponentType.Library, name, {
      bomRef: `pkg-${i}`,
      ...(group ? { group } : {}),
      version: p.type === 'rpm' && p.release ? `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}` : p.version,
    });
    if (p.purl) c.purl = p.purl;
    for (const l of p.licenses ?? []) c.licenses.add(cdxLicense(l));
    c.properties.add(new lib.Models.Property('rampart:package:type', p.type));
    for (const loc of p.locations) c.properties.add(new lib.Models.Property('rampart:location', loc));
    if (p.layerDigest) c.properties.add(new lib.Models.Property('rampart:layer:digest', p.layerDigest));
    if (p.sourceName) c.properties.add(new lib.Models.Property('rampart:package:source-name', p.sourceName));
    if (p.sourceVersion) c.properties.add(new lib.Models.Property('rampart:package:source-version', p.sourceVersion));
    if (p.arch) c.properties.add(new lib.Models.Property('rampart:package:arch', p.arch));
    bom.components.add(c);
  });
  const serializer = new lib.Serialize.JsonSerializer(new lib.Serialize.JSON.Normalize.Factory(lib.Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: false, space: 2 })}\n`;
}

function spdxId(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]/g, '-');
}

/** SPDX 2.3 JSON: the image is the described package; every inventoried package is CONTAINED_BY it. */
export function toSpdx(inv: ImageInventory, ctx: SbomContext): string {
  const lib = cdx();
  const imageId = 'SPDXRef-Image';
  const packages: Array<Record<string, unknown>> = [
    {
      SPDXID: imageId,
      name: inv.reference,
      ...(inv.digest ? { versionInfo: inv.digest } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
    },
  ];
  const relationships: Array<Record<string, string>> = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
  ];
  inv.packages.forEach((p, i) => {
    const id = `SPDXRef-Package-${spdxId(p.type)}-${spdxId(p.name)}-${i}`;
    const version =
      p.type === 'rpm' && p.release ? `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}` : p.version;
    const license =
      p.licenses?.length === 1 && lib.SPDX.isSupportedSpdxId(p.licenses[0] as string) ? p.licenses[0] : undefined;
    packages.push({
      SPDXID: id,
      name: p.name,
      ...(version ? { versionInfo: version } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: license ?? 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      ...(p.sourceName && p.sourceName !== p.name
        ? { sourceInfo: `built from source package ${p.sourceName} ${p.sourceVersion ?? ''}`.trim() }
        : {}),
      ...(p.purl
        ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }] }
        : {}),
      comment: `found at ${p.locations.join(', ')}${p.layerDigest ? ` in layer ${p.layerDigest}` : ''}`,
    });
    relationships.push({ spdxElementId: id, relationshipType: 'CONTAINED_BY', relatedSpdxElement: imageId });
  });
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: inv.reference,
    documentNamespace: `https://rampart.invalid/spdx/${spdxId(inv.digest ?? inv.reference)}-${randomUUID()}`,
    creationInfo: {
      created: ctx.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [`Tool: rampart-${ctx.toolVersion}`],
    },
    packages,
    relationships,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function writeSbom(inv: ImageInventory, format: SbomFormat, ctx: SbomContext): string {
  return format === 'cyclonedx' ? toCycloneDx(inv, ctx) : toSpdx(inv, ctx);
}
