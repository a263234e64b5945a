import type { Distro, InventoryPackage } from '../core/index.js';
import type { EntryKind, LayerAnalysis } from './layer.js';
import { ancestors, baseName, normalizeTarPath, parentOf } from './paths.js';

interface Visible {
  layer: number;
  kind: EntryKind;
  link?: string;
}

export interface MergedLayers {
  packages: InventoryPackage[];
  distro?: Distro;
  problems: Array<{ path?: string; message: string }>;
  /** The final filesystem view: path → layer index and kind. */
  visible: Map<string, Visible>;
}

/**
 * Applies layer analyses bottom-up the way an overlay filesystem would (opaque directories, then whiteouts, then
 * the layer's own entries, a file replacing a directory hides what was below it) and keeps only the findings of
 * files still visible at the top.
 */
export function mergeLayers(layers: Array<{ analysis: LayerAnalysis; digest: string }>, maxHops = 40): MergedLayers {
  const visible = new Map<string, Visible>();
  // Every directory that has (or had) something below it, explicit or implied by a deeper path. Never shrinks:
  // at worst a layer gets a sweep it did not need.
  const dirs = new Set<string>();
  layers.forEach(({ analysis }, index) => {
    const opaque = new Set(analysis.opaque);
    // What hides a whole subtree: whiteouts, and non-directories replacing a directory. Plain overwrites need no
    // sweep (the entry is replaced below), so a layer without these skips the pass over everything visible.
    const deleted = new Set(analysis.whiteouts);
    for (const [path, [kind]] of Object.entries(analysis.entries)) {
      if (kind !== 'd' && dirs.has(path)) deleted.add(path);
    }
    if (opaque.size > 0 || deleted.size > 0) {
      for (const path of [...visible.keys()]) {
        if (deleted.has(path) || hiddenBelow(path, deleted) || hiddenBelow(path, opaque)) visible.delete(path);
      }
    }
    for (const [path, [kind, link]] of Object.entries(analysis.entries)) {
      visible.set(path, link === undefined ? { layer: index, kind } : { layer: index, kind, link });
      // `dirs` holds every ancestor of what it holds: stop at the first one already there.
      if (index < layers.length - 1)
        for (let a = parentOf(path); a !== '' && !dirs.has(a); a = parentOf(a)) dirs.add(a);
    }
  });

  const problems: MergedLayers['problems'] = [];
  const packages: InventoryPackage[] = [];
  const owned = new Set<string>();
  layers.forEach(({ analysis, digest }, index) => {
    for (const p of analysis.problems) problems.push({ ...p, message: `layer ${digest}: ${p.message}` });
    for (const [path, found] of Object.entries(analysis.files)) {
      if (visible.get(path)?.layer !== index) continue;
      for (const pkg of found.packages ?? []) packages.push({ ...pkg, layerDigest: digest });
      for (const message of found.problems ?? []) problems.push({ path: `/${path}`, message });
      for (const file of found.ownedFiles ?? []) owned.add(file);
    }
  });

  const distro = findDistro(layers, visible, maxHops);
  const byOs =
    owned.size > 0 && packages.some((p) => !OS_TYPES.has(p.type)) ? withRealPaths(owned, visible, maxHops) : owned;
  const kept = byOs.size > 0 ? packages.filter((p) => !ownedByOs(p, byOs)) : packages;
  return { packages: kept, problems, visible, ...(distro ? { distro } : {}) };
}

const OS_TYPES = new Set(['deb', 'apk', 'rpm']);

/**
 * Owned paths plus where they really are. usr-merged distros (Debian 12, Fedora, …) make `bin`, `lib`, `sbin` links
 * into `usr/`: a package database lists `/lib/x86_64-linux-gnu/…` or `/bin/…` while the layer stores the file under
 * `usr/`. Each owned path's directory is resolved through the merged view's symlinks (once per directory).
 */
function withRealPaths(owned: Set<string>, visible: Map<string, Visible>, maxHops: number): Set<string> {
  const out = new Set(owned);
  const realDirs = new Map<string, string>();
  // Directories may be implied (no entry of their own): resolve component by component, following only links.
  const realDir = (dir: string): string => {
    if (dir === '') return '';
    const known = realDirs.get(dir);
    if (known !== undefined) return known;
    const parent = realDir(parentOf(dir));
    const here = parent ? `${parent}/${baseName(dir)}` : baseName(dir);
    const real = visible.get(here)?.kind === 'l' ? (resolvePath(visible, here, maxHops) ?? here) : here;
    realDirs.set(dir, real);
    return real;
  };
  for (const file of owned) {
    const dir = parentOf(file);
    if (dir === '') continue;
    const real = realDir(dir);
    if (real !== dir) out.add(real === '' ? baseName(file) : `${real}/${baseName(file)}`);
  }
  return out;
}

/**
 * A language package whose every location is a file an OS package installed (python3-requests' dist-info, a
 * Debian-packaged Go binary or jar) belongs to the distro: its fixes are backported under the distro's version, so
 * it is left to the OS package (Trivy's rule; images.md §0.2).
 */
function ownedByOs(p: InventoryPackage, owned: Set<string>): boolean {
  if (OS_TYPES.has(p.type) || p.locations.length === 0) return false;
  return p.locations.every((l) => owned.has(l.replace(/^\/+/, '')));
}

function hiddenBelow(path: string, dirs: Set<string>): boolean {
  for (const a of ancestors(path)) if (dirs.has(a)) return true;
  return false;
}

const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'];
const FALLBACK_RELEASE_PATHS = ['etc/alpine-release', 'etc/debian_version', 'etc/redhat-release', 'etc/system-release'];

function findDistro(
  layers: Array<{ analysis: LayerAnalysis }>,
  visible: Map<string, Visible>,
  maxHops: number,
): Distro | undefined {
  for (const path of [...OS_RELEASE_PATHS, ...FALLBACK_RELEASE_PATHS]) {
    const resolved = resolvePath(visible, path, maxHops);
    if (!resolved) continue;
    const entry = visible.get(resolved);
    if (!entry) continue;
    const distro = layers[entry.layer]?.analysis.files[resolved]?.distro;
    if (distro) return distro;
  }
  return undefined;
}

/**
 * Resolves a path in the merged view, following symlinks in every component, always inside the image root
 * (absolute targets are rooted at the image, `..` stops at the root). Returns undefined for a dangling path or
 * a loop.
 */
export function resolvePath(visible: Map<string, Visible>, path: string, maxHops = 40): string | undefined {
  let hops = 0;
  let pending = normalizeTarPath(path).split('/').filter(Boolean);
  let done: string[] = [];
  while (pending.length > 0) {
    const part = pending.shift() as string;
    const candidate = [...done, part].join('/');
    const entry = visible.get(candidate);
    if (!entry) {
      // Layers may omit parent directory entries: a missing intermediate component is an implicit directory.
      if (pending.length === 0) return undefined;
      done.push(part);
      continue;
    }
    if (entry.kind === 'l' && entry.link !== undefined) {
      if (++hops > maxHops) return undefined;
      const base = entry.link.startsWith('/') ? '' : parentOf(candidate);
      const target = normalizeTarPath(base ? `${base}/${entry.link}` : entry.link);
      pending = [...target.split('/').filter(Boolean), ...pending];
      done = [];
      continue;
    }
    if (entry.kind === 'h' && entry.link !== undefined && pending.length === 0) {
      return visible.has(entry.link) ? entry.link : candidate;
    }
    done.push(part);
  }
  return done.join('/');
}
