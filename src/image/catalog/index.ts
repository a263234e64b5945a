import { apkCataloger } from './apk.js';
import { dpkgCataloger } from './dpkg.js';
import { osReleaseCataloger } from './os-release.js';
import { rpmCataloger } from './rpm.js';
import type { Cataloger } from './types.js';

/**
 * Bumped whenever any cataloger's output changes: part of the layer cache key, so old cached analyses are not
 * reused after an upgrade.
 */
export const CATALOG_VERSION = 'c1';

export const OS_CATALOGERS: Cataloger[] = [osReleaseCataloger, dpkgCataloger, apkCataloger, rpmCataloger];

export const ALL_CATALOGERS: Cataloger[] = [...OS_CATALOGERS];
