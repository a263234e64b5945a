import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildDebianImages, debianImagePaths } from '../../scripts/debian-image.mjs';
import type { ImageInventory } from '../../src/core/index.js';
import { inventoryImage } from '../../src/image/index.js';
import { type RunningRegistry, startDockerRegistry } from '../support/registry.js';
import { missingTool } from '../support/tools.js';

/**
 * A real Debian 12 minbase image built without Docker — debootstrap --variant=minbase → umoci → skopeo into a
 * docker-archive and a gzip OCI layout — then pushed with skopeo to Debian's docker-registry on 127.0.0.1 and read
 * back over the distribution API. The build (debootstrap downloads ~90 packages from the Debian mirror) takes
 * minutes, so it runs once into the cache dir (shared with bench/image) and later runs reuse it. It runs when the
 * image is cached, under CI=true, or with RAMPART_BUILD_IMAGES=1; otherwise the test skips with the command to run.
 */
const paths = debianImagePaths();
const mayBuild = process.env.CI === 'true' || process.env.RAMPART_BUILD_IMAGES === '1';
const cached = existsSync(paths.archive) && existsSync(join(paths.layout, 'index.json'));
const toolSkip = ['umoci', 'skopeo', 'docker-registry', ...(cached ? [] : ['debootstrap'])]
  .map((t) => missingTool(t))
  .find(Boolean);
const skip =
  toolSkip ??
  (cached || mayBuild
    ? !cached && process.getuid?.() !== 0
      ? 'building the Debian image needs root (debootstrap); run `node scripts/debian-image.mjs` as root once'
      : undefined
    : `no cached Debian image at ${paths.archive}; build it once with \`node scripts/debian-image.mjs\` or set RAMPART_BUILD_IMAGES=1`);

const key = (inv: ImageInventory) => inv.packages.map((p) => `${p.type} ${p.name}@${p.version}`).sort();

describe('real Debian 12 minbase image (debootstrap → umoci → skopeo; pushed to a real docker-registry)', {
  skip,
}, () => {
  let work: string;
  let registry: RunningRegistry | undefined;
  let fromArchive: ImageInventory;
  before(
    async () => {
      buildDebianImages({ log: (line: string) => console.error(`# ${line}`) });
      work = mkdtempSync(join(tmpdir(), 'rampart-debian-'));
      fromArchive = await inventoryImage(`docker-archive:${paths.archive}`, { cacheDir: false });
    },
    { timeout: 1_200_000 },
  );
  after(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('docker-archive: Debian 12, dpkg packages with source packages and purls, nothing unreadable', () => {
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
  });

  test('the gzip OCI layout gives the same packages and the same layer diffID', async () => {
    const fromLayout = await inventoryImage(`oci:${paths.layout}:${paths.layoutTag}`, { cacheDir: false });
    assert.deepEqual(key(fromLayout), key(fromArchive));
    assert.equal(fromLayout.layers[0]?.diffId, fromArchive.layers[0]?.diffId);
  });

  test('pushed by skopeo to docker-registry on 127.0.0.1 and read back over the registry API: same packages', {
    timeout: 300_000,
  }, async () => {
    registry = await startDockerRegistry(work);
    const image = `${registry.host}/debian/minbase:12`;
    execFileSync('skopeo', [
      'copy',
      '-q',
      '--dest-tls-verify=false',
      `oci:${paths.layout}:${paths.layoutTag}`,
      `docker://${image}`,
    ]);
    const pulled = await inventoryImage(image, { cacheDir: false, insecureRegistries: [registry.host] });
    assert.deepEqual(key(pulled), key(fromArchive));
    assert.match(pulled.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(pulled.layers[0]?.diffId, fromArchive.layers[0]?.diffId);
  });
});
