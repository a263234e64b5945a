import type { ImageInventory } from '../core/index.js';
import { renderColumns } from '../report/index.js';
import { type InventoryOptions, inventoryImage } from './inventory.js';
import { type SbomContext, writeSbom } from './sbom.js';

export type InventoryFormat = 'table' | 'json' | 'cyclonedx' | 'spdx';

/** A readable listing: image facts, then one row per package. */
export function inventoryTable(inv: ImageInventory): string {
  const lines: string[] = [];
  lines.push(`Image ${inv.reference}${inv.digest ? ` (${inv.digest})` : ''}`);
  if (inv.distro) lines.push(`OS: ${inv.distro.prettyName ?? `${inv.distro.id} ${inv.distro.versionId ?? ''}`.trim()}`);
  else lines.push('OS: not detected (no os-release)');
  if (inv.layers.length) lines.push(`Layers: ${inv.layers.length}`);
  if (inv.config?.user !== undefined) lines.push(`User: ${inv.config.user || '(root)'}`);
  lines.push(`Packages: ${inv.packages.length}`, '');
  lines.push(
    renderColumns(
      inv.packages.map((p) => [
        p.type,
        p.name,
        p.type === 'rpm' && p.release ? `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}` : p.version,
        p.sourceName && p.sourceName !== p.name ? p.sourceName : '',
        p.locations[0] ?? '',
      ]),
      ['TYPE', 'NAME', 'VERSION', 'SOURCE', 'LOCATION'],
    ),
  );
  if (inv.problems.length) {
    lines.push('', `${inv.problems.length} problems (packages there are unknown):`);
    for (const p of inv.problems) lines.push(`  ${p.path ? `${p.path}: ` : ''}${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Inventories an image and renders it as a table, the inventory JSON, CycloneDX 1.6 or SPDX 2.3. */
export async function describeImage(
  source: string,
  format: InventoryFormat,
  options: InventoryOptions & SbomContext,
): Promise<{ text: string; inventory: ImageInventory }> {
  const inventory = await inventoryImage(source, options);
  const text =
    format === 'table'
      ? inventoryTable(inventory)
      : format === 'json'
        ? `${JSON.stringify(inventory, null, 2)}\n`
        : writeSbom(inventory, format, options);
  return { text, inventory };
}
