/**
 * Package names as advisories key them, so inventory and advisory names meet: PEP 503 for PyPI, lower case
 * where the ecosystem is case-insensitive, Maven `group:artifact`, Go module paths and npm scopes as they are.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  // No array per call: this runs for every language package of every scan.
  const colon = ecosystem.indexOf(':');
  const base = colon < 0 ? ecosystem : ecosystem.slice(0, colon);
  const trimmed = name.trim();
  switch (base) {
    case 'PyPI':
      return trimmed.toLowerCase().replace(/[-_.]+/g, '-');
    case 'NuGet':
    case 'Packagist':
    case 'crates.io':
      return trimmed.toLowerCase();
    case 'Maven':
      return trimmed.replace('/', ':');
    default:
      return trimmed;
  }
}

/** The OSV ecosystem (without release) an inventory package type belongs to. */
export const ECOSYSTEM_OF_TYPE: Record<string, string> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  maven: 'Maven',
  gem: 'RubyGems',
  cargo: 'crates.io',
  composer: 'Packagist',
  nuget: 'NuGet',
};
