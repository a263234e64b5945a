import { apk } from './apk.js';
import { composer } from './composer.js';
import { dpkg } from './dpkg.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import type { VersionScheme } from './scheme.js';
import { cargo, golang, npm, semverScheme } from './semver.js';

export { apk, apkFuzzyMatch, compareApk, isValidApk } from './apk.js';
export { compareComposer, normalizeComposer, phpVersionCompare } from './composer.js';
export { compareDpkg, parseDpkgVersion, verrevcmp } from './dpkg.js';
export { compareMaven } from './maven.js';
export { compareNuGet, isStrictSemVer, nugetRangeSatisfies, parseNuGet } from './nuget.js';
export * from './osv-range.js';
export { normalizePep440 } from './pep440.js';
export { compareEvr, parseEvr, rpmvercmp } from './rpm.js';
export { compareRubyGems, isRubyGemsPrerelease } from './rubygems.js';
export { InvalidVersionError, parsingScheme, type VersionScheme, withParsedCache } from './scheme.js';
export { compareGo, compareSemver, goToSemver } from './semver.js';

export const SCHEMES: Record<string, VersionScheme> = {
  dpkg,
  rpm,
  apk,
  npm,
  cargo,
  go: golang,
  semver: semverScheme,
  pep440,
  maven,
  rubygems,
  nuget,
  composer,
};

/**
 * The version scheme of an OSV ecosystem name (`Debian:12`, `Alpine:v3.18`, `AlmaLinux:9`, `PyPI`, …), or
 * undefined when Rampart does not know how that ecosystem orders versions (such ranges are reported, not guessed).
 */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  const base = (ecosystem.split(':')[0] ?? '').trim();
  switch (base) {
    case 'Debian':
    case 'Ubuntu':
    case 'Echo':
      return dpkg;
    case 'Alpine':
    case 'Wolfi':
    case 'Chainguard':
    case 'Alpaquita':
    case 'BellSoft Hardened Containers':
      return apk;
    case 'AlmaLinux':
    case 'Rocky Linux':
    case 'Red Hat':
    case 'openEuler':
    case 'openSUSE':
    case 'SUSE':
    case 'Mageia':
    case 'Photon OS':
    case 'Azure Linux':
    case 'Amazon Linux':
      return rpm;
    case 'npm':
      return npm;
    case 'crates.io':
      return cargo;
    case 'Go':
      return golang;
    case 'PyPI':
      return pep440;
    case 'Maven':
      return maven;
    case 'RubyGems':
      return rubygems;
    case 'NuGet':
      return nuget;
    case 'Packagist':
      return composer;
    case 'Bitnami':
    case 'Hex':
    case 'Pub':
    case 'SwiftURL':
    case 'Hackage':
      return semverScheme;
    default:
      return undefined;
  }
}
