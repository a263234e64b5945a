#!/usr/bin/env node
// Builds, once, a real Debian 12 minbase image without Docker: debootstrap --variant=minbase → umoci (one layer) →
// skopeo into a docker-archive and into a gzip OCI layout. Used by the image tests (test/image/debian.test.ts) and
// the image benchmark (bench/image/run.mjs), which both read it from the cache dir:
//   <cache>/bench-image/debian12-minbase.tar            docker-archive, one uncompressed layer (~200 MB)
//   <cache>/bench-image/debian12-minbase-oci-gzip/      OCI layout, tag `bench`, the same layer gzip-compressed
// Usage: node scripts/debian-image.mjs   (prints the two paths; debootstrap needs root and the Debian mirror)
// DEBIAN_ROOTFS=<dir> uses an existing debootstrap tree instead of downloading one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The cache dir the way Rampart resolves it (src/core/cache.ts): RAMPART_CACHE_DIR, XDG_CACHE_HOME, ~/.cache. */
export function imageCacheDir(env = process.env) {
  const root = env.RAMPART_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rampart');
  return join(root, 'bench-image');
}

const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, ...opts });

/** Paths of the Debian images in `cache`, whether built or not. */
export function debianImagePaths(cache = imageCacheDir()) {
  return {
    archive: join(cache, 'debian12-minbase.tar'),
    layout: join(cache, 'debian12-minbase-oci-gzip'),
    layoutTag: 'bench',
  };
}

/**
 * Builds what is missing and returns the paths. Each output is written under a temporary name and renamed into
 * place, so an interrupted build never leaves a half-written image that a later run would trust.
 */
export function buildDebianImages({ cache = imageCacheDir(), log = (line) => console.error(line) } = {}) {
  mkdirSync(cache, { recursive: true });
  const paths = debianImagePaths(cache);
  if (!existsSync(paths.archive)) {
    const work = mkdtempSync(join(tmpdir(), 'rampart-debian-'));
    try {
      let rootfs = process.env.DEBIAN_ROOTFS;
      if (!rootfs) {
        rootfs = join(work, 'debootstrap');
        log('debootstrap --variant=minbase bookworm … (downloads ~90 packages, a few minutes)');
        sh('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian']);
      }
      sh('umoci', ['init', '--layout', 'oci'], { cwd: work });
      sh('umoci', ['new', '--image', 'oci:img'], { cwd: work });
      sh('umoci', ['unpack', '--rootless', '--image', 'oci:img', 'b1'], { cwd: work });
      sh(
        'sh',
        [
          '-c',
          `tar -C ${JSON.stringify(rootfs)} --exclude=./proc --exclude=./sys --exclude=./dev -cf - . | tar -C b1/rootfs -xf -`,
        ],
        { cwd: work },
      );
      sh('umoci', ['repack', '--image', 'oci:img', 'b1'], { cwd: work });
      const partial = `${paths.archive}.partial`;
      rmSync(partial, { force: true });
      sh('skopeo', ['copy', '-q', 'oci:oci:img', `docker-archive:${partial}:bench/debian:12`], { cwd: work });
      renameSync(partial, paths.archive);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  if (!existsSync(join(paths.layout, 'index.json'))) {
    const partial = `${paths.layout}.partial`;
    rmSync(partial, { recursive: true, force: true });
    rmSync(paths.layout, { recursive: true, force: true });
    sh('skopeo', [
      'copy',
      '-q',
      '--dest-compress',
      '--dest-compress-format',
      'gzip',
      `docker-archive:${paths.archive}`,
      `oci:${partial}:${paths.layoutTag}`,
    ]);
    renameSync(partial, paths.layout);
  }
  return paths;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const paths = buildDebianImages();
  console.log(`${paths.archive}\n${paths.layout}:${paths.layoutTag}`);
}
