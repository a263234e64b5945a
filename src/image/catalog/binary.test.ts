import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIT, buildElf } from '../../../test/image/elf.js';
import { ElfScan, readGoBuildInfo, scanElfBuffer } from './binary.js';
import { goPackages } from './golang.js';
import { isPendingScan } from './types.js';

const filler = Buffer.alloc(9000, 0x90);

function streamIn(data: Buffer, chunk: number) {
  const scan = new ElfScan('usr/bin/demo', data.length);
  for (let i = 0; i < data.length; i += chunk) scan.push(data.subarray(i, i + chunk));
  return scan.finish();
}

test('cargo-auditable: section table after the data → a second read supplies .dep-v0; build deps left out', () => {
  const elf = buildElf(
    [
      { name: '.text', data: filler },
      { name: '.dep-v0', data: AUDIT },
    ],
    false,
  );
  const off = elf.indexOf(AUDIT);
  for (const chunk of [7, 500, 4096, elf.length]) {
    const r = streamIn(elf, chunk);
    // In one chunk with the table, the section is still at hand; otherwise it has passed.
    if (chunk === 7) assert.ok(isPendingScan(r), 'the section passed before the table');
    if (isPendingScan(r)) assert.deepEqual(r.needs, [{ offset: off, length: AUDIT.length }]);
    const found = isPendingScan(r) ? r.complete([elf.subarray(off, off + AUDIT.length)]) : r;
    assert.deepEqual(
      found.packages?.map((p) => `${p.type}:${p.name}@${p.version}`),
      ['cargo:demo@0.1.0', 'cargo:serde@1.0.200'],
    );
    assert.equal(found.packages?.[0]?.locations[0], '/usr/bin/demo');
  }
});

test('cargo-auditable: section table first → read in one pass, straddling chunk boundaries', () => {
  const elf = buildElf(
    [
      { name: '.text', data: filler },
      { name: '.dep-v0', data: AUDIT },
      { name: '.rest', data: filler },
    ],
    true,
  );
  for (const chunk of [3, 13, 64, 1000]) {
    const r = streamIn(elf, chunk);
    assert.ok(!isPendingScan(r), `chunk ${chunk}`);
    assert.equal(r.packages?.length, 2);
  }
});

test('cargo-auditable: corrupt data is a problem of that file, not a crash', () => {
  const elf = buildElf([{ name: '.dep-v0', data: Buffer.from('not zlib at all') }], true);
  const found = scanElfBuffer('usr/bin/bad', Buffer.concat([elf, filler]));
  assert.match(found.problems?.[0] ?? '', /cargo-auditable data/);
  assert.equal(found.packages, undefined);
});

test('Go build info in a .go.buildinfo section (inline strings), found across chunk boundaries', () => {
  const SENT_A = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
  const SENT_B = Buffer.from('f932433186182072008242104116d8f2', 'hex');
  const modinfo = Buffer.concat([
    SENT_A,
    Buffer.from('path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.14.0\th1:x\n'),
    SENT_B,
  ]);
  const version = Buffer.from('go1.22.5');
  const hdr = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(hdr);
  hdr[14] = 8;
  hdr[15] = 2;
  const section = Buffer.concat([hdr, Buffer.from([version.length]), version, Buffer.from([modinfo.length]), modinfo]);
  // A decoy magic in .rodata before the real section: the section table picks the real one.
  const decoy = Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.alloc(40, 1)]);
  const elf = buildElf(
    [
      { name: '.rodata', data: Buffer.concat([decoy, filler]) },
      { name: '.go.buildinfo', data: section },
    ],
    false,
  );
  for (const chunk of [5, 17, 4096]) {
    const r = streamIn(elf, chunk);
    assert.ok(!isPendingScan(r));
    assert.deepEqual(
      r.packages?.map((p) => `${p.name}@${p.version}`),
      ['golang.org/x/text@v0.14.0', 'stdlib@v1.22.5'],
      `chunk ${chunk}`,
    );
  }
});

const ESBUILD = fileURLToPath(new URL('../../../node_modules/@esbuild/linux-x64/bin/esbuild', import.meta.url));
test('streamed in odd chunks, a real Go binary (@esbuild/linux-x64) gives what the whole buffer gives', {
  skip: existsSync(ESBUILD) ? undefined : 'no @esbuild/linux-x64',
}, () => {
  const data = readFileSync(ESBUILD);
  const whole = readGoBuildInfo(data);
  assert.ok(whole);
  const r = streamIn(data, 65_537);
  assert.ok(!isPendingScan(r));
  assert.deepEqual(
    r.packages?.map((p) => `${p.name}@${p.version}`),
    goPackages(whole, '/usr/bin/demo').map((p) => `${p.name}@${p.version}`),
  );
});
