import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Cataloger, inventoryImage, OS_CATALOGERS } from '../../src/image/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { missingTool } from '../support/tools.js';
import { buildAlpineImages, digestOf, makeTar, writeOciLayout } from './support.js';

/** Reports every visible file whose path is in `paths` as a package named after it (to see the merged view). */
function probe(paths: string[]): Cataloger {
  return {
    name: 'probe',
    wants: (p) => paths.includes(p),
    catalog: (f) => ({
      packages: [{ type: 'binary', name: f.path, version: f.data.toString('utf8'), locations: [`/${f.path}`] }],
    }),
  };
}

const seen = async (source: string, paths: string[], extra: Parameters<typeof inventoryImage>[1] = {}) => {
  const inv = await inventoryImage(source, { cacheDir: false, catalogers: [probe(paths)], ...extra });
  return Object.fromEntries(inv.packages.map((p) => [p.name, p.version]));
};

const ROOTFS = 'fixtures/rootfs/alpine-minirootfs-3.12.12-x86_64.tar.gz';
const skip = sharedSkipReason(ROOTFS) ?? missingTool('umoci') ?? missingTool('skopeo');

describe('real images built with umoci and skopeo (Alpine 3.12.12 minirootfs, two layers, whiteout)', { skip }, () => {
  let images: ReturnType<typeof buildAlpineImages>;
  let expected: Array<{ name: string; version: string; arch: string; origin: string }>;
  before(() => {
    images = buildAlpineImages(sharedPath(ROOTFS) as string);
    const all = JSON.parse(readFileSync(sharedPath('fixtures/catalog/expected.json') as string, 'utf8'));
    expected = all.fixtures[`../rootfs/${ROOTFS.split('/').pop()}`].reference;
  });
  after(() => images?.cleanup());

  for (const kind of ['docker-archive', 'oci', 'oci-archive', 'dir'] as const) {
    test(`${kind}: the 14 apk packages, distro, config and whiteout of etc/motd`, async () => {
      const source =
        kind === 'docker-archive'
          ? `docker-archive:${images.dockerArchive}`
          : kind === 'oci'
            ? `oci:${images.oci}:alpine`
            : kind === 'oci-archive'
              ? `oci-archive:${images.ociArchive}`
              : `dir:${images.rootfs}`;
      const inv = await inventoryImage(source, { cacheDir: false });
      assert.deepEqual(inv.problems, []);
      assert.equal(inv.distro?.id, 'alpine');
      assert.equal(inv.distro?.versionId, '3.12.12');
      const got = inv.packages.map((p) => [p.name, p.version, p.arch, p.sourceName]).sort();
      const want = expected.map((p) => [p.name, p.version, p.arch, p.origin]).sort();
      assert.deepEqual(got, want);
      const musl = inv.packages.find((p) => p.name === 'musl');
      assert.equal(musl?.purl, 'pkg:apk/alpine/musl@1.1.24-r10?arch=x86_64&distro=alpine-3.12.12');
      if (kind !== 'dir') {
        assert.equal(inv.layers.length, 2);
        assert.equal(inv.config?.user, '1000');
        assert.deepEqual(inv.config?.cmd, ['/bin/sh']);
        assert.match(String(musl?.layerDigest), /^sha256:/);
        assert.equal(inv.platform?.architecture, 'amd64');
        const files = await seen(source, ['etc/motd', 'etc/hostname']);
        assert.ok(!('etc/motd' in files), 'etc/motd is whited out by layer 2');
        assert.ok('etc/hostname' in files);
      }
    });
  }

  test('docker-archive: skopeo writes <id>/layer.tar symlinks; they resolve inside the archive', async () => {
    const inv = await inventoryImage(`docker-archive:${images.dockerArchive}:alpine:test`, { cacheDir: false });
    assert.equal(inv.packages.length, 14);
    assert.deepEqual((inv as { repoTags?: string[] }).repoTags, ['docker.io/library/alpine:test']);
  });

  test('oci: an unknown tag is an error listing the tags', async () => {
    await assert.rejects(
      inventoryImage(`oci:${images.oci}:nope`, { cacheDir: false }),
      /no image tagged "nope".*alpine/,
    );
  });
});

/** The default worker threshold (small blobs on the main thread); 0 sends every file blob to the worker. */
const BLOB_DEFAULT = 16 * 1024 * 1024;

describe('hand-made layers: whiteouts, opaque directories, links, compression', () => {
  const cleanups: Array<() => void> = [];
  after(() => {
    for (const c of cleanups) c();
  });
  const layout = (...args: Parameters<typeof writeOciLayout>) => {
    const l = writeOciLayout(...args);
    cleanups.push(l.cleanup);
    return `oci:${l.dir}`;
  };

  test('whiteout, opaque directory, file replacing a directory, re-creation in a later layer', async () => {
    const l1 = await makeTar([
      { name: 'a/keep', content: '1' },
      { name: 'a/gone', content: '1' },
      { name: 'opq/old', content: '1' },
      { name: 'dir/x', content: '1' },
      { name: 'back', content: '1' },
    ]);
    const l2 = await makeTar([
      { name: 'a/.wh.gone' },
      { name: 'opq/.wh..wh..opq' },
      { name: 'opq/new', content: '2' },
      { name: 'dir', content: 'now a file' },
      { name: '.wh.back' },
    ]);
    const l3 = await makeTar([{ name: 'back', content: '3' }]);
    const files = await seen(layout([l1, l2, l3]), ['a/keep', 'a/gone', 'opq/old', 'opq/new', 'dir/x', 'dir', 'back']);
    assert.deepEqual(files, { 'a/keep': '1', 'opq/new': '2', dir: 'now a file', back: '3' });
  });

  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    test(`${compression} layers are read (magic bytes sniffed)`, {
      skip: compression === 'zstd' ? missingTool('zstd') : undefined,
    }, async () => {
      const l1 = await makeTar([{ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }]);
      // Default: a blob this small is hashed on the main thread; blobWorkerMinBytes 0 takes the worker path.
      for (const blobWorkerMinBytes of [undefined, 0]) {
        const inv = await inventoryImage(layout([l1], { compression }), {
          cacheDir: false,
          catalogers: OS_CATALOGERS,
          ...(blobWorkerMinBytes === undefined ? {} : { blobWorkerMinBytes }),
        });
        assert.equal(inv.distro?.id, 'debian');
        assert.equal(inv.distro?.versionId, '12');
      }
    });
  }

  test('os-release as a symlink (Debian: ../usr/lib/os-release) resolves inside the root', async () => {
    const l1 = await makeTar([
      { name: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    ]);
    const inv = await inventoryImage(layout([l1]), { cacheDir: false });
    assert.deepEqual(inv.distro, { id: 'debian', versionId: '12', codename: 'bookworm' });
  });

  test('hostile paths: ../ and absolute names stay inside the root; symlink escapes and loops find nothing', async () => {
    const l1 = await makeTar([
      { name: '../../etc/passwd', content: 'escaped' },
      { name: '/abs/file', content: 'abs' },
      { name: 'etc/os-release', type: 'symlink', linkname: '../../../../host/os-release' },
      { name: 'loop/a', type: 'symlink', linkname: 'b' },
      { name: 'loop/b', type: 'symlink', linkname: 'a' },
      { name: 'usr/lib/os-release', type: 'symlink', linkname: '/loop/a' },
    ]);
    const files = await seen(layout([l1]), ['etc/passwd', 'abs/file']);
    assert.deepEqual(files, { 'etc/passwd': 'escaped', 'abs/file': 'abs' });
    const inv = await inventoryImage(layout([l1]), { cacheDir: false });
    assert.equal(inv.distro, undefined);
  });

  test('a hardlink to an analysed file carries its findings', async () => {
    const l1 = await makeTar([
      { name: 'lib/apk/db/real', content: 'P:musl\nV:1.2.3-r0\nA:x86_64\n\n' },
      { name: 'lib/apk/db/installed', type: 'link', linkname: 'lib/apk/db/real' },
    ]);
    const probeBoth: Cataloger = {
      name: 'apk-any',
      wants: (p) => p.startsWith('lib/apk/db/'),
      catalog: (f) => ({
        packages: [{ type: 'apk', name: 'x', version: f.data.toString().length.toString(), locations: [`/${f.path}`] }],
      }),
    };
    const inv = await inventoryImage(layout([l1]), { cacheDir: false, catalogers: [probeBoth] });
    assert.deepEqual(inv.packages.map((p) => p.locations[0]).sort(), ['/lib/apk/db/installed', '/lib/apk/db/real']);
  });

  test('digest mismatch of a layer is an error', async () => {
    const l1 = await makeTar([{ name: 'x', content: 'a' }]);
    const src = layout([l1], {
      compression: 'none',
      tamper: (blobs) => {
        const blob = blobs[0] as Buffer;
        blob[512] = (blob[512] ?? 0) ^ 1; // the content of x: the tar still parses
      },
    });
    for (const blobWorkerMinBytes of [BLOB_DEFAULT, 0]) {
      await assert.rejects(inventoryImage(src, { cacheDir: false, blobWorkerMinBytes }), /digest mismatch for layer/);
    }
  });

  test('digest mismatch of a gzip layer is an error (hashed in the worker while another thread parses)', async () => {
    const l1 = await makeTar([{ name: 'x', content: 'a' }]);
    const other = gzipSync(await makeTar([{ name: 'x', content: 'b' }]));
    const src = layout([l1], {
      tamper: (blobs) => {
        blobs[0] = other; // a valid gzip tar, but not the blob the manifest names
      },
    });
    for (const blobWorkerMinBytes of [BLOB_DEFAULT, 0]) {
      await assert.rejects(
        inventoryImage(src, { cacheDir: false, blobWorkerMinBytes }),
        /digest mismatch for layer 1\/1/,
      );
    }
  });

  test('a plain layer cut inside an entry is an error naming the layer (positioned reads)', async () => {
    const l1 = await makeTar([{ name: 'lib/apk/db/installed', content: 'P:a\nV:1\n\n'.repeat(500) }]);
    const src = layout([l1], {
      compression: 'none',
      tamper: (blobs) => {
        blobs[0] = (blobs[0] as Buffer).subarray(0, 2048);
      },
    });
    for (const blobWorkerMinBytes of [BLOB_DEFAULT, 0]) {
      await assert.rejects(
        inventoryImage(src, { cacheDir: false, blobWorkerMinBytes }),
        /layer 1\/1 .*unexpected end of tar data/,
      );
    }
  });

  test('docker-archive with a gzip layer entry: the diffID is checked on the gunzipped bytes (both paths)', async () => {
    const layer = await makeTar([{ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }]);
    const archive = async (diffId: string) => {
      const config = Buffer.from(
        JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { diff_ids: [diffId] } }),
      );
      const configName = `${digestOf(config).slice(7)}.json`;
      const manifest = [{ Config: configName, RepoTags: ['t/x:1'], Layers: ['layer.tar.gz'] }];
      const dir = mkdtempSync(join(tmpdir(), 'rampart-docker-archive-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'image.tar');
      writeFileSync(
        file,
        await makeTar([
          { name: 'manifest.json', content: JSON.stringify(manifest) },
          { name: configName, content: config },
          { name: 'layer.tar.gz', content: gzipSync(layer) },
        ]),
      );
      return `docker-archive:${file}`;
    };
    const good = await archive(digestOf(layer));
    const bad = await archive(digestOf(Buffer.concat([layer, Buffer.alloc(512)])));
    for (const blobWorkerMinBytes of [BLOB_DEFAULT, 0]) {
      const inv = await inventoryImage(good, { cacheDir: false, blobWorkerMinBytes });
      assert.equal(inv.distro?.id, 'debian');
      assert.equal(inv.layers[0]?.diffId, digestOf(layer));
      await assert.rejects(
        inventoryImage(bad, { cacheDir: false, blobWorkerMinBytes }),
        /digest mismatch for layer 1\/1/,
      );
    }
  });

  test('digest mismatch of the config is an error', async () => {
    const l1 = await makeTar([{ name: 'x', content: 'a' }]);
    const { dir, cleanup } = writeOciLayout([l1]);
    cleanups.push(cleanup);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifestFile = join(dir, 'blobs', 'sha256', index.manifests[0].digest.slice(7));
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const configFile = join(dir, 'blobs', 'sha256', manifest.config.digest.slice(7));
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('"1000"', '"0"'));
    await assert.rejects(inventoryImage(`oci:${dir}`, { cacheDir: false }), /digest mismatch for config/);
  });

  test('truncated gzip stream is an error naming the layer', async () => {
    const l1 = await makeTar([{ name: 'etc/os-release', content: 'ID=alpine\n'.repeat(2000) }]);
    const src = layout([l1], {
      tamper: (blobs) => {
        blobs[0] = (blobs[0] as Buffer).subarray(0, 40);
      },
    });
    for (const blobWorkerMinBytes of [BLOB_DEFAULT, 0]) {
      await assert.rejects(
        inventoryImage(src, { cacheDir: false, blobWorkerMinBytes }),
        /layer 1\/1 .*gzip: unexpected end of file/,
      );
    }
  });

  test('decompression bomb: layer size and ratio bounds', async () => {
    const big = await makeTar([{ name: 'zeros', content: Buffer.alloc(3 * 1024 * 1024) }]);
    const src = layout([big]);
    await assert.rejects(
      inventoryImage(src, { cacheDir: false, limits: { maxLayerBytes: 1024 * 1024 } }),
      /larger than 1048576 bytes/,
    );
    const bomb = await makeTar([{ name: 'zeros', content: Buffer.alloc(80 * 1024 * 1024) }]);
    await assert.rejects(inventoryImage(layout([bomb]), { cacheDir: false }), /expands more than 200x/);
  });

  test('a file over the per-file limit is reported, not read', async () => {
    const l1 = await makeTar([{ name: 'lib/apk/db/installed', content: 'P:a\nV:1\n\n'.repeat(1000) }]);
    const inv = await inventoryImage(layout([l1]), { cacheDir: false, limits: { maxFileBytes: 100 } });
    assert.equal(inv.packages.length, 0);
    assert.match(inv.problems[0]?.message ?? '', /over the per-file limit/);
  });

  test('malformed package database: the scan goes on and reports it', async () => {
    const l1 = await makeTar([
      { name: 'lib/apk/db/installed', content: 'this is not apk\n' },
      { name: 'etc/os-release', content: 'ID=alpine\n' },
    ]);
    const inv = await inventoryImage(layout([l1]), { cacheDir: false });
    assert.equal(inv.distro?.id, 'alpine');
    assert.equal(inv.problems.length, 1);
    assert.match(inv.problems[0]?.message ?? '', /apk: \/lib\/apk\/db\/installed:1: not an/);
    assert.equal(inv.problems[0]?.path, '/lib/apk/db/installed');
  });
});
