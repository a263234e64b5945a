import { PackageURL } from 'packageurl-js';
import type { Distro, InventoryPackage } from '../core/index.js';

const OS_NAMESPACE: Record<string, string> = { deb: 'debian', apk: 'alpine', rpm: 'redhat' };

/** Package URL per the purl spec types; OS packages carry the distro and arch qualifiers matchers need. */
export function purlFor(pkg: InventoryPackage, distro?: Distro): string | undefined {
  try {
    switch (pkg.type) {
      case 'deb':
      case 'apk':
      case 'rpm': {
        const namespace = distro?.id ?? OS_NAMESPACE[pkg.type] ?? pkg.type;
        const qualifiers: Record<string, string> = {};
        if (pkg.arch) qualifiers.arch = pkg.arch;
        if (pkg.type === 'rpm' && pkg.epoch !== undefined) qualifiers.epoch = String(pkg.epoch);
        if (pkg.sourceName && pkg.type !== 'apk' && pkg.sourceName !== pkg.name) {
          qualifiers.upstream = pkg.sourceName;
        }
        if (distro) qualifiers.distro = distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id;
        const version = pkg.type === 'rpm' && pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version;
        return new PackageURL(pkg.type, namespace, pkg.name, version, qualifiers, undefined).toString();
      }
      case 'npm':
      case 'composer':
      case 'golang':
      case 'maven':
      case 'cargo':
      case 'gem':
      case 'pypi':
      case 'nuget': {
        let namespace: string | undefined;
        let name = pkg.name;
        const slash = name.lastIndexOf(pkg.type === 'maven' ? ':' : '/');
        if (
          (pkg.type === 'npm' && name.startsWith('@')) ||
          pkg.type === 'composer' ||
          pkg.type === 'golang' ||
          pkg.type === 'maven'
        ) {
          if (slash > 0) {
            namespace = name.slice(0, slash);
            name = name.slice(slash + 1);
          }
        }
        if (pkg.type === 'pypi') name = name.toLowerCase().replace(/[-_.]+/g, '-');
        return new PackageURL(pkg.type, namespace, name, pkg.version || undefined, undefined, undefined).toString();
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
