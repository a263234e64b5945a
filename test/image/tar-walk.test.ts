import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tar from 'tar-stream';
import type { TarHeader } from '../../src/image/tar-header.js';
import { EntryLimitError, TarWalker } from '../../src/image/tar-walk.js';
import { makeTar } from './support.js';

interface Seen {
  name: string;
  type: string;
  size: number;
  linkname: string;
  mode: number;
  body?: string;
}

/** Walks `data` fed in chunks of `chunk` bytes; with `seek`, unwanted bodies are skipped instead of pushed. */
function walk(data: Buffer, chunk: number, opts: { seek?: boolean; want?: (h: TarHeader) => boolean } = {}): Seen[] {
  const seen: Seen[] = [];
  const walker = new TarWalker((h) => {
    const entry: Seen = { name: h.name, type: h.type, size: h.size, linkname: h.linkname, mode: h.mode };
    seen.push(entry);
    if (opts.want && !opts.want(h)) return undefined;
    const parts: Buffer[] = [];
    return {
      data: (c) => parts.push(Buffer.from(c)),
      end: () => {
        entry.body = Buffer.concat(parts).toString('latin1');
      },
    };
  }, 1000);
  let pos = 0;
  while (pos < data.length) {
    const skip = opts.seek ? walker.skippable() : 0;
    if (skip > 0 && pos + skip <= data.length) {
      walker.skip(skip);
      pos += skip;
      continue;
    }
    walker.push(data.subarray(pos, Math.min(data.length, pos + chunk)));
    pos += chunk;
  }
  walker.end();
  return seen;
}

/** What tar-stream makes of the same bytes (the reference: layers were read with it before). */
async function referenceWalk(data: Buffer): Promise<Seen[]> {
  const extract = tar.extract();
  const seen: Seen[] = [];
  extract.on('entry', (h, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      parts.push(c as Buffer);
    });
    stream.on('end', () => {
      seen.push({
        name: h.name,
        type: h.type === 'contiguous-file' ? 'file' : String(h.type),
        size: h.size ?? 0,
        linkname: h.linkname ?? '',
        mode: h.mode ?? 0,
        body: Buffer.concat(parts).toString('latin1'),
      });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(data);
  await done;
  return seen;
}

/** A header block written by hand, for formats tar-stream does not write (GNU long names, base-256 sizes). */
function block(name: string, typeflag: string, size: number, opts: { gnu?: boolean; base256?: boolean } = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  if (opts.base256) {
    b[124] = 0x80;
    b.writeUIntBE(size, 136 - 6, 6);
  } else b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write('00000000000\0', 136, 'latin1');
  b.write(typeflag, 156, 'latin1');
  b.write(opts.gnu ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const padded = (s: string) => {
  const body = Buffer.from(s, 'latin1');
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
};

describe('TarWalker: the layer tar parser', () => {
  test('same entries as tar-stream, at every chunking (1 to 1100 bytes), pushed or skipped', async () => {
    const long = `usr/lib/${'very-long-directory-name/'.repeat(8)}package.json`;
    const data = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', content: 'ID=debian\n' },
      { name: 'bin/sh', type: 'symlink', linkname: 'dash' },
      { name: 'bin/dash', content: Buffer.alloc(1500, 7), mode: 0o755 },
      { name: 'bin/sh2', type: 'link', linkname: 'bin/dash' },
      { name: long, content: '{"name":"x"}' },
      { name: 'empty', content: '' },
      { name: 'big', content: Buffer.alloc(70_000, 1) },
      { name: 'last', content: 'end' },
    ]);
    const want = await referenceWalk(data);
    assert.equal(want.length, 9);
    assert.equal(want[5]?.name, long);
    for (const chunk of [1, 7, 511, 512, 513, 1024, 1100]) {
      assert.deepEqual(walk(data, chunk), want, `chunk ${chunk}`);
    }
    // Skipping: bodies nobody wants are not pushed; the others still arrive whole.
    const onlyText = (h: TarHeader) => h.name !== 'big' && h.name !== 'bin/dash';
    const skipped = walk(data, 600, { seek: true, want: onlyText });
    assert.deepEqual(
      skipped.map((e) => [e.name, e.body]),
      want.map((e) => [e.name, onlyText(e as TarHeader) ? e.body : undefined]),
    );
  });

  test('GNU long names and links, base-256 sizes, an old-style directory name ending in /', () => {
    const name = `a/${'x'.repeat(150)}`;
    const link = `b/${'y'.repeat(120)}`;
    const data = Buffer.concat([
      block('././@LongLink', 'L', name.length + 1, { gnu: true }),
      padded(`${name}\0`),
      block('short', '0', 3, { gnu: true, base256: true }),
      padded('abc'),
      block('././@LongLink', 'K', link.length, { gnu: true }),
      padded(link),
      block('l', '2', 0, { gnu: true }),
      block('olddir/', '0', 0),
      Buffer.alloc(1024),
    ]);
    for (const chunk of [5, 512, 4096]) {
      const seen = walk(data, chunk);
      assert.deepEqual(
        seen.map((e) => [e.name, e.type, e.size, e.linkname, e.body]),
        [
          [name, 'file', 3, '', 'abc'],
          ['l', 'symlink', 0, link, ''],
          ['olddir/', 'directory', 0, '', ''],
        ],
      );
    }
  });

  test('PAX path, linkpath and size override the header; a global header applies to later PAX records', () => {
    const record = (k: string, v: string) => {
      const text = ` ${k}=${v}\n`;
      let len = text.length + 1;
      if (`${len}`.length + text.length !== len) len = `${len}`.length + text.length;
      return `${len}${text}`;
    };
    const pax = record('path', 'pax/name') + record('size', '4');
    const data = Buffer.concat([
      block('pax_global', 'g', record('linkpath', 'global-target').length),
      padded(record('linkpath', 'global-target')),
      block('PaxHeader', 'x', pax.length),
      padded(pax),
      block('trunc', '0', 999),
      padded('wxyz'),
      Buffer.alloc(1024),
    ]);
    const seen = walk(data, 100);
    assert.deepEqual(
      seen.map((e) => [e.name, e.size, e.linkname, e.body]),
      [['pax/name', 4, 'global-target', 'wxyz']],
    );
  });

  test('truncated data, corrupt headers and too many entries are errors', async () => {
    const data = await makeTar([{ name: 'a', content: Buffer.alloc(2000, 1) }]);
    assert.throws(() => walk(data.subarray(0, 1000), 512), /unexpected end of tar data at byte 1000/);
    assert.throws(() => walk(data.subarray(0, 300), 512), /unexpected end of tar data/);
    const corrupt = Buffer.from(data);
    corrupt[10] = (corrupt[10] ?? 0) ^ 0xff;
    assert.throws(() => walk(corrupt, 512), /tar header at byte 0: invalid tar header \(checksum/);
    const many = await makeTar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    const walker = new TarWalker(() => undefined, 4);
    assert.throws(() => walker.push(many), EntryLimitError);
  });
});
