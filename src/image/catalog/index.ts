import { apkCataloger } from './apk.js';
import { elfBinaryCataloger } from './binary.js';
import { dpkgCataloger, dpkgFilesCataloger } from './dpkg.js';
import { javaCataloger } from './java.js';
import {
  composerInstalledCataloger,
  dotnetDepsCataloger,
  gemspecCataloger,
  npmPackageJsonCataloger,
  pythonCataloger,
} from './lang.js';
import { LOCKFILE_CATALOGERS } from './lockfiles.js';
import { osReleaseCataloger } from './os-release.js';
import { rpmCataloger } from './rpm.js';
import type { Cataloger } from './types.js';

/**
 * Bumped whenever any cataloger's output changes: part of the layer cache key, so old cached analyses are not
 * reused after an upgrade.
 */
export const CATALOG_VERSION = 'c5';

export const OS_CATALOGERS: Cataloger[] = [
  osReleaseCataloger,
  dpkgCataloger,
  dpkgFilesCataloger,
  apkCataloger,
  rpmCataloger,
];

/** Installed language metadata, as found in images (Trivy's image/rootfs rule: no lockfiles). */
export const LANGUAGE_CATALOGERS: Cataloger[] = [
  npmPackageJsonCataloger,
  pythonCataloger,
  elfBinaryCataloger,
  javaCataloger,
  gemspecCataloger,
  composerInstalledCataloger,
  dotnetDepsCataloger,
];

export const ALL_CATALOGERS: Cataloger[] = [...OS_CATALOGERS, ...LANGUAGE_CATALOGERS];

export { LOCKFILE_CATALOGERS };
