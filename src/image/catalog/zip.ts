import { inflateRawSync } from 'node:zlib';
import { InputError } from '../../core/index.js';

export interface ZipEntry {
  name: string;
  read(): Buffer;
  size: number;
}

/**
 * Lists a zip archive (jar/war/ear) from its central directory, held in memory. Entries are inflated only on
 * `read()`, each bounded by `maxBytes` so a zip bomb inside a jar stops with an error.
 */
export function readZip(data: Buffer, where: string, maxBytes: number): ZipEntry[] {
  const min = Math.max(0, data.length - 65_557);
  let eocd = -1;
  for (let i = data.length - 22; i >= min; i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new InputError('not a zip archive (no end of central directory)', { file: where });
  const count = data.readUInt16LE(eocd + 10);
  let at = data.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== 0x02014b50) {
      throw new InputError('corrupt zip central directory', { file: where });
    }
    const method = data.readUInt16LE(at + 10);
    const compressedSize = data.readUInt32LE(at + 20);
    const size = data.readUInt32LE(at + 24);
    const nameLen = data.readUInt16LE(at + 28);
    const extraLen = data.readUInt16LE(at + 30);
    const commentLen = data.readUInt16LE(at + 32);
    const localOffset = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    entries.push({
      name,
      size,
      read() {
        if (size > maxBytes) throw new InputError(`${name}: ${size} bytes is over the limit`, { file: where });
        if (localOffset + 30 > data.length || data.readUInt32LE(localOffset) !== 0x04034b50) {
          throw new InputError(`${name}: bad local header`, { file: where });
        }
        const start = localOffset + 30 + data.readUInt16LE(localOffset + 26) + data.readUInt16LE(localOffset + 28);
        const raw = data.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(raw);
        if (method === 8)
          return inflateRawSync(raw, { maxOutputLength: Math.max(1, Math.min(maxBytes, size || maxBytes)) });
        throw new InputError(`${name}: unsupported zip method ${method}`, { file: where });
      },
    });
  }
  return entries;
}
