import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { InputError } from './errors.js';
import { listZip } from './zip.js';

test('listZip lists members and inflates them only on read', () => {
  const zip = Buffer.from(
    zipSync({ 'a.json': strToU8('{"id":"A"}'), 'dir/b.txt': [strToU8('b'.repeat(1000)), { level: 9 }] }),
  );
  const entries = listZip(zip, 'x.zip');
  assert.deepEqual(
    entries.map((e) => [e.name, e.size]),
    [
      ['a.json', 10],
      ['dir/b.txt', 1000],
    ],
  );
  assert.equal(entries[1]?.read().toString(), 'b'.repeat(1000));
});

test('listZip: a member inflating past maxBytes stops with an error naming the member (zip bomb)', () => {
  const zip = Buffer.from(zipSync({ 'bomb.bin': [new Uint8Array(1_000_000), { level: 9 }] }));
  const [entry] = listZip(zip, 'x.jar');
  assert.throws(
    () => entry?.read(1000),
    (err: unknown) => err instanceof InputError && err.location.file === 'x.jar!bomb.bin',
  );
});

test('listZip: a lying declared size cannot get past maxBytes', () => {
  const zip = Buffer.from(zipSync({ 'small.bin': [new Uint8Array(50_000), { level: 9 }] }));
  // Rewrite the central directory's uncompressed size to 10 bytes: the bound must still hold.
  const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(10, central + 24);
  const [entry] = listZip(zip, 'x.zip');
  assert.throws(() => entry?.read(20_000), InputError);
});

test('listZip: a corrupt member throws when read, the others stay readable', () => {
  const zip = Buffer.from(
    zipSync({ 'good.json': strToU8('{}'), 'bad.json': [strToU8('x'.repeat(200)), { level: 9 }] }),
  );
  const bad = listZip(zip, 'x.zip').find((e) => e.name === 'bad.json');
  assert.ok(bad);
  // Garble the deflate stream of bad.json in place.
  const local = zip.indexOf(Buffer.from('bad.json'));
  zip.fill(0xff, local + 8, local + 10);
  const entries = listZip(zip, 'x.zip');
  assert.throws(() => entries.find((e) => e.name === 'bad.json')?.read(), /corrupt zip member/);
  assert.equal(
    entries
      .find((e) => e.name === 'good.json')
      ?.read()
      .toString(),
    '{}',
  );
});

test('listZip: not a zip, and a truncated central directory, are InputErrors naming the file', () => {
  assert.throws(() => listZip(Buffer.from('not a zip at all, really not'), 'y.jar'), /not a zip archive/);
  const zip = Buffer.from(zipSync({ a: strToU8('1'), b: strToU8('2') }));
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  // Keep the end record but cut the second central header.
  const cut = Buffer.concat([zip.subarray(0, central + 50), zip.subarray(eocd)]);
  cut.writeUInt32LE(central, cut.length - 22 + 16);
  assert.throws(() => listZip(cut, 'z.zip'), /1 of 2 entries readable/);
});

/** A stored-or-deflated zip written by hand with ZIP64 records, as OSV's large per-ecosystem archives are. */
function zip64(members: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const packed = deflateRawSync(m.data);
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, packed);
    const extra = Buffer.alloc(4 + 24);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(m.data.length), 4);
    extra.writeBigUInt64LE(BigInt(packed.length), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(45, 4);
    header.writeUInt16LE(45, 6);
    header.writeUInt16LE(8, 10);
    header.writeUInt32LE(0xffffffff, 20);
    header.writeUInt32LE(0xffffffff, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt16LE(extra.length, 30);
    header.writeUInt32LE(0xffffffff, 42);
    central.push(header, name, extra);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end64 = Buffer.alloc(56);
  end64.writeUInt32LE(0x06064b50, 0);
  end64.writeBigUInt64LE(44n, 4);
  end64.writeBigUInt64LE(BigInt(members.length), 24);
  end64.writeBigUInt64LE(BigInt(members.length), 32);
  end64.writeBigUInt64LE(BigInt(directory.length), 40);
  end64.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...parts, directory, end64, locator, end]);
}

test('listZip reads ZIP64 end records and extra fields', () => {
  const zip = zip64([
    { name: 'GHSA-1.json', data: Buffer.from('{"id":"GHSA-1"}') },
    { name: 'GHSA-2.json', data: Buffer.from('{"id":"GHSA-2"}') },
  ]);
  const entries = listZip(zip, 'all.zip');
  assert.deepEqual(
    entries.map((e) => [e.name, e.read().toString()]),
    [
      ['GHSA-1.json', '{"id":"GHSA-1"}'],
      ['GHSA-2.json', '{"id":"GHSA-2"}'],
    ],
  );
});
