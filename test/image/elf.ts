import { deflateSync } from 'node:zlib';

// Hand-made ELF files for the binary cataloger tests (no compiler needed).

/**
 * A minimal little-endian ELF64 with the given sections plus .shstrtab: table and names first (as the Go linker
 * writes them), or data first and names and table last (GNU ld, lld).
 */
export function buildElf(sections: Array<{ name: string; data: Buffer }>, tableFirst: boolean): Buffer {
  const ordered = tableFirst ? [{ name: '.shstrtab', data: Buffer.alloc(0) }, ...sections] : [...sections];
  if (!tableFirst) ordered.push({ name: '.shstrtab', data: Buffer.alloc(0) });
  const strtab = Buffer.concat(['', ...ordered.map((s) => s.name)].map((n) => Buffer.from(`${n}\0`, 'latin1')));
  const all = ordered.map((s) => (s.name === '.shstrtab' ? { name: s.name, data: strtab } : s));
  const shnum = all.length + 1;
  const tableBytes = shnum * 64;
  let pos = 64 + (tableFirst ? tableBytes : 0);
  const offsets = all.map((s) => {
    const at = pos;
    pos += s.data.length;
    return at;
  });
  const shoff = tableFirst ? 64 : pos;
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2;
  header[5] = 1;
  header[6] = 1;
  header.writeBigUInt64LE(BigInt(shoff), 0x28);
  header.writeUInt16LE(64, 0x3a);
  header.writeUInt16LE(shnum, 0x3c);
  header.writeUInt16LE(tableFirst ? 1 : shnum - 1, 0x3e);
  const table = Buffer.alloc(tableBytes);
  let nameAt = 1;
  all.forEach((s, i) => {
    const base = (i + 1) * 64;
    table.writeUInt32LE(nameAt, base);
    table.writeUInt32LE(1, base + 4);
    table.writeBigUInt64LE(BigInt(offsets[i] as number), base + 0x18);
    table.writeBigUInt64LE(BigInt(s.data.length), base + 0x20);
    nameAt += s.name.length + 1;
  });
  const data = all.map((s) => s.data);
  return Buffer.concat(tableFirst ? [header, table, ...data] : [header, ...data, table]);
}

/** cargo-auditable's payload: zlib-compressed dependency JSON (one build-only dependency that must be left out). */
export const AUDIT = deflateSync(
  Buffer.from(
    JSON.stringify({
      packages: [
        { name: 'demo', version: '0.1.0', source: 'local', root: true, dependencies: [1, 2] },
        { name: 'serde', version: '1.0.200', source: 'crates.io' },
        { name: 'cc', version: '1.0.90', source: 'crates.io', kind: 'build' },
      ],
    }),
  ),
);
