import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveCacheDir } from '../../src/core/index.js';
import { inventoryImage } from '../../src/image/index.js';

/**
 * The Debian 12 minbase image the image benchmark builds once into the cache dir (debootstrap --variant=minbase →
 * umoci → skopeo docker-archive, plus skopeo's gzip OCI layout of it). Building it here would take several minutes
 * (debootstrap downloads ~90 packages), over the test time budget, so the test reads the cached build and skips with
 * that reason when there is none.
 */
const dir = join(resolveCacheDir(), 'bench-image');
const archive = join(dir, 'debian12-minbase.tar');
const layout = join(dir, 'debian12-minbase-oci-gzip');
const skip = existsSync(archive)
  ? undefined
  : `no cached Debian image at ${archive}; build it once with: node bench/image/run.mjs (debootstrap takes minutes)`;

describe('real Debian 12 minbase image (debootstrap → umoci → skopeo, cached by bench/image)', { skip }, () => {
  test('docker-archive and the gzip OCI layout give the same dpkg inventory: distro, source packages, purls', {
    timeout: 150_000,
  }, async () => {
    const fromArchive = await inventoryImage(`docker-archive:${archive}`, { cacheDir: false });
    assert.deepEqual(fromArchive.distro && { id: fromArchive.distro.id, v: fromArchive.distro.versionId }, {
      id: 'debian',
      v: '12',
    });
    assert.deepEqual(fromArchive.problems, []);
    const debs = fromArchive.packages.filter((p) => p.type === 'deb');
    assert.equal(debs.length, fromArchive.packages.length, 'minbase has only OS packages');
    assert.ok(debs.length >= 80 && debs.length <= 110, `${debs.length} packages`);
    const libc = debs.find((p) => p.name === 'libc6');
    assert.equal(libc?.sourceName, 'glibc');
    assert.match(libc?.purl ?? '', /^pkg:deb\/debian\/libc6@2\.36-[^?]+\?arch=amd64&distro=debian-12&upstream=glibc$/);
    for (const name of ['base-files', 'dpkg', 'apt', 'bash', 'coreutils']) {
      assert.ok(
        debs.some((p) => p.name === name),
        name,
      );
    }
    if (existsSync(join(layout, 'index.json'))) {
      const fromLayout = await inventoryImage(`oci:${layout}:bench`, { cacheDir: false });
      const key = (inv: typeof fromArchive) => inv.packages.map((p) => `${p.name}@${p.version}`).sort();
      assert.deepEqual(key(fromLayout), key(fromArchive));
      assert.equal(fromLayout.layers[0]?.diffId, fromArchive.layers[0]?.diffId);
    }
  });
});
