import semverLib from 'semver';
import { InvalidVersionError, parsingScheme, type VersionScheme } from './scheme.js';

/** npm's semver (node-semver), strict parsing: the order npm, Cargo and Bitnami ranges use. */
export function compareSemver(a: string, b: string, loose = false): number {
  const x = semverLib.parse(a, { loose });
  if (!x) throw new InvalidVersionError('semver', a);
  const y = semverLib.parse(b, { loose });
  if (!y) throw new InvalidVersionError('semver', b);
  return x.compare(y);
}

function parseSemver(version: string, loose: boolean): semverLib.SemVer {
  const parsed = semverLib.parse(version, { loose });
  if (!parsed) throw new InvalidVersionError('semver', version);
  return parsed;
}

const compareSemVerObjects = (a: semverLib.SemVer, b: semverLib.SemVer): number => a.compare(b);

export const npm: VersionScheme = parsingScheme({
  name: 'npm',
  parse: (v) => parseSemver(v, true),
  compareParsed: compareSemVerObjects,
  isValid: (v) => semverLib.valid(v, { loose: true }) !== null,
});

/** Cargo follows SemVer 2.0 strictly (no `v` prefix). */
export const cargo: VersionScheme = parsingScheme({
  name: 'cargo',
  parse: (v) => parseSemver(v, false),
  compareParsed: compareSemVerObjects,
  isValid: (v) => semverLib.valid(v) !== null,
});

/**
 * Go modules: semver with a `v` prefix (optional in OSV data), `vMAJOR` / `vMAJOR.MINOR` shorthands, build
 * metadata such as `+incompatible` ignored, pseudo-versions being pre-releases that sort by their timestamp.
 * Toolchain versions `go1.21`, `go1.21rc2`, `go1.24.1` are mapped onto semver the way the Go vulndb does.
 */
export function goToSemver(version: string): string | undefined {
  const v = version.trim();
  const go = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$/.exec(v);
  if (go) {
    const [, major, minor = '0', patch = '0', pre, preNumber] = go;
    return `${major}.${minor}.${patch}${pre ? `-${pre}.${preNumber}` : ''}`;
  }
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(v);
  if (!m) return undefined;
  const [, major, minor, patch, tail = ''] = m;
  if (patch === undefined && tail !== '') return undefined;
  const out = `${major}.${minor ?? '0'}.${patch ?? '0'}${tail}`;
  return semverLib.valid(out) ? out : undefined;
}

export function compareGo(a: string, b: string): number {
  const x = goToSemver(a);
  if (x === undefined) throw new InvalidVersionError('go', a);
  const y = goToSemver(b);
  if (y === undefined) throw new InvalidVersionError('go', b);
  return semverLib.compare(x, y);
}

/** A Go (or lenient SemVer) version as the SemVer object `compareGo` compares. */
function parseGo(version: string): semverLib.SemVer {
  const s = goToSemver(version);
  if (s === undefined) throw new InvalidVersionError('go', version);
  return new semverLib.SemVer(s);
}

export const golang: VersionScheme = parsingScheme({
  name: 'go',
  parse: parseGo,
  compareParsed: compareSemVerObjects,
  isValid: (v) => goToSemver(v) !== undefined,
});

/**
 * OSV `SEMVER` ranges: SemVer 2.0 order, read leniently (a `v` prefix or a missing minor/patch is padded) since
 * real records carry such values.
 */
export const semverScheme: VersionScheme = parsingScheme({
  name: 'semver',
  parse: parseGo,
  compareParsed: compareSemVerObjects,
  isValid: (v) => goToSemver(v) !== undefined,
});
