/**
 * Images engine: reads images from archives, layouts, directories and registries, inventories OS and language
 * packages into `ImageInventory` (core/inventory.ts), writes SBOMs.
 */
export {
  ALL_CATALOGERS,
  CATALOG_VERSION,
  LANGUAGE_CATALOGERS,
  LOCKFILE_CATALOGERS,
  OS_CATALOGERS,
} from './catalog/index.js';
export type { CatalogContext, Cataloger, CatalogFile, FileFindings } from './catalog/types.js';
export { type InventoryOptions, inventoryImage, parseSourceKind } from './inventory.js';
export { DEFAULT_LIMITS, type ImageLimits } from './limits.js';
export { purlFor } from './purl.js';
export { parseReference, type RegistryOptions } from './registry.js';
export { describeImage, type InventoryFormat, inventoryTable } from './render.js';
export { type SbomContext, type SbomFormat, toCycloneDx, toSpdx, writeSbom } from './sbom.js';
