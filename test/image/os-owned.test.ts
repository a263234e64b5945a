import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { inventoryImage } from '../../src/image/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { AUDIT, buildElf } from './elf.js';
import { makeTar, writeOciLayout } from './support.js';

const METADATA = (name: string, version: string) => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n\n`;
const names = (inv: Awaited<ReturnType<typeof inventoryImage>>) =>
  inv.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort();

describe('OS-owned file index: language packages installed by dpkg/apk/rpm are not reported again', () => {
  const cleanups: Array<() => void> = [];
  after(() => {
    for (const c of cleanups) c();
  });
  const layout = (layers: Buffer[]) => {
    const l = writeOciLayout(layers);
    cleanups.push(l.cleanup);
    return `oci:${l.dir}`;
  };

  test('dpkg: a dist-info listed in var/lib/dpkg/info/<pkg>.list belongs to the deb; a pip-installed one stays', async () => {
    const owned = 'usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA';
    const pip = 'usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA';
    const base = await makeTar([
      {
        name: 'var/lib/dpkg/status',
        content:
          'Package: python3-requests\nStatus: install ok installed\nArchitecture: all\nVersion: 2.28.1+dfsg-1\n\n',
      },
      {
        name: 'var/lib/dpkg/info/python3-requests.list',
        content: `/.\n/usr\n/usr/lib/python3/dist-packages\n/${owned}\n`,
      },
      { name: owned, content: METADATA('requests', '2.28.1') },
    ]);
    const app = await makeTar([{ name: pip, content: METADATA('requests', '2.31.0') }]);
    const inv = await inventoryImage(layout([base, app]), { cacheDir: false });
    assert.deepEqual(names(inv), ['deb:python3-requests@2.28.1+dfsg-1', 'pypi:requests@2.31.0']);
  });

  test('apk: F:/R: lines of the installed database own node_modules files', async () => {
    const installed = [
      'P:nodejs-npm-thing',
      'V:1.0.0-r0',
      'A:x86_64',
      'F:usr/lib/node_modules/thing',
      'R:package.json',
      '',
      '',
    ].join('\n');
    const layer = await makeTar([
      { name: 'lib/apk/db/installed', content: installed },
      { name: 'usr/lib/node_modules/thing/package.json', content: '{"name":"thing","version":"1.0.0"}' },
      { name: 'app/node_modules/other/package.json', content: '{"name":"other","version":"2.0.0"}' },
    ]);
    const inv = await inventoryImage(layout([layer]), { cacheDir: false });
    assert.deepEqual(names(inv), ['apk:nodejs-npm-thing@1.0.0-r0', 'npm:other@2.0.0']);
  });

  test('usr-merge: a dpkg list naming /lib/… owns the file stored under usr/lib/… (lib → usr/lib)', async () => {
    const listed = 'lib/python3/dist-packages/chardet-5.1.0.dist-info/METADATA';
    const stored = `usr/${listed}`;
    const pip = 'usr/local/lib/python3.11/dist-packages/idna-3.4.dist-info/METADATA';
    const base = await makeTar([
      { name: 'usr/lib', type: 'directory' },
      { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
      { name: 'bin', type: 'symlink', linkname: '/usr/bin' },
      {
        name: 'var/lib/dpkg/status',
        content: 'Package: python3-chardet\nStatus: install ok installed\nArchitecture: all\nVersion: 5.1.0+dfsg-2\n\n',
      },
      { name: 'var/lib/dpkg/info/python3-chardet.list', content: `/.\n/lib\n/${listed}\n` },
      { name: stored, content: METADATA('chardet', '5.1.0') },
      { name: pip, content: METADATA('idna', '3.4') },
    ]);
    const inv = await inventoryImage(layout([base]), { cacheDir: false });
    assert.deepEqual(names(inv), ['deb:python3-chardet@5.1.0+dfsg-2', 'pypi:idna@3.4']);
    // Without the link the listed path is elsewhere: the dist-info is then a PyPI package of its own.
    const unmerged = await makeTar([
      { name: 'var/lib/dpkg/info/python3-chardet.list', content: `/${listed}\n` },
      { name: stored, content: METADATA('chardet', '5.1.0') },
    ]);
    const plain = await inventoryImage(layout([unmerged]), { cacheDir: false });
    assert.deepEqual(names(plain), ['pypi:chardet@5.1.0']);
  });

  test('a whited-out dpkg list no longer owns its files', async () => {
    const path = 'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA';
    const base = await makeTar([
      { name: 'var/lib/dpkg/info/python3-six.list', content: `/${path}\n` },
      { name: path, content: METADATA('six', '1.16.0') },
    ]);
    const top = await makeTar([{ name: 'var/lib/dpkg/info/.wh.python3-six.list' }]);
    const inv = await inventoryImage(layout([base, top]), { cacheDir: false });
    assert.deepEqual(names(inv), ['pypi:six@1.16.0']);
  });

  const RPMDB = 'fixtures/catalog/rpmdb/sqlite-cbl-mariner-2.0/rpmdb.sqlite';
  test('rpm (shared CBL-Mariner rpmdb.sqlite): BASENAMES/DIRNAMES/DIRINDEXES own files', {
    skip: sharedSkipReason(RPMDB),
  }, async () => {
    // A Rust binary with cargo-auditable data at an rpm-owned path (bin/bash) and at an unowned one.
    const elf = buildElf(
      [
        { name: '.dep-v0', data: AUDIT },
        { name: '.text', data: Buffer.alloc(8000, 0x90) },
      ],
      true,
    );
    const layer = await makeTar([
      { name: 'var/lib/rpm/rpmdb.sqlite', content: readFileSync(sharedPath(RPMDB) ?? RPMDB) },
      { name: 'bin/bash', content: elf, mode: 0o755 },
      { name: 'usr/local/bin/mine', content: elf, mode: 0o755 },
    ]);
    const inv = await inventoryImage(layout([layer]), { cacheDir: false });
    assert.ok(inv.packages.filter((p) => p.type === 'rpm').length > 100);
    assert.deepEqual(
      inv.packages.filter((p) => p.type === 'cargo').map((p) => `${p.name} ${p.locations[0]}`),
      ['demo /usr/local/bin/mine', 'serde /usr/local/bin/mine'],
    );
  });
});
