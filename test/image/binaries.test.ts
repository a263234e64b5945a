import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inventoryImage, LANGUAGE_CATALOGERS } from '../../src/image/index.js';
import { missingTool } from '../support/tools.js';
import { AUDIT, buildElf } from './elf.js';
import { makeTar, run, writeOciLayout } from './support.js';

const cargoOf = (inv: Awaited<ReturnType<typeof inventoryImage>>) =>
  inv.packages
    .filter((p) => p.type === 'cargo')
    .map((p) => `${p.name}@${p.version} ${p.locations[0]}`)
    .sort();

describe('Rust binaries with cargo-auditable data (.dep-v0) in image layers', () => {
  const cleanups: Array<() => void> = [];
  after(() => {
    for (const c of cleanups) c();
  });

  for (const compression of ['gzip', 'none'] as const) {
    test(`${compression} layer, section table after the data: the layer is read a second time for .dep-v0`, async () => {
      const elf = buildElf(
        [
          { name: '.text', data: Buffer.alloc(300_000, 0x90) },
          { name: '.dep-v0', data: AUDIT },
          { name: '.strtab', data: Buffer.alloc(200_000, 0x41) },
        ],
        false,
      );
      const layer = await makeTar([
        { name: 'usr/local/bin/first', content: elf, mode: 0o755 },
        { name: 'usr/local/bin/plain', content: Buffer.alloc(10_000, 7), mode: 0o755 },
        { name: 'usr/local/bin/second', content: elf, mode: 0o755 },
      ]);
      const l = writeOciLayout([layer], { compression });
      cleanups.push(l.cleanup);
      const inv = await inventoryImage(`oci:${l.dir}`, { cacheDir: false, catalogers: LANGUAGE_CATALOGERS });
      assert.deepEqual(cargoOf(inv), [
        'demo@0.1.0 /usr/local/bin/first',
        'demo@0.1.0 /usr/local/bin/second',
        'serde@1.0.200 /usr/local/bin/first',
        'serde@1.0.200 /usr/local/bin/second',
      ]);
      assert.deepEqual(inv.problems, []);
      assert.equal(inv.packages.find((p) => p.type === 'cargo')?.purl, 'pkg:cargo/demo@0.1.0');
    });
  }

  test('a binary built by rustc with a .dep-v0 section (as cargo-auditable links it)', {
    skip: missingTool('rustc'),
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-rust-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'deps.z'), AUDIT);
    writeFileSync(
      join(dir, 'main.rs'),
      [
        '#[used]',
        '#[link_section = ".dep-v0"]',
        'static AUDITABLE_VERSION_INFO: [u8; include_bytes!("deps.z").len()] = *include_bytes!("deps.z");',
        'fn main() { println!("hi"); }',
        '',
      ].join('\n'),
    );
    run('rustc', ['-O', 'main.rs', '-o', 'demo'], dir);
    const layer = await makeTar([{ name: 'usr/bin/demo', content: readFileSync(join(dir, 'demo')), mode: 0o755 }]);
    const l = writeOciLayout([layer], { compression: 'gzip' });
    cleanups.push(l.cleanup);
    const inv = await inventoryImage(`oci:${l.dir}`, { cacheDir: false, catalogers: LANGUAGE_CATALOGERS });
    assert.deepEqual(cargoOf(inv), ['demo@0.1.0 /usr/bin/demo', 'serde@1.0.200 /usr/bin/demo']);
  });
});
