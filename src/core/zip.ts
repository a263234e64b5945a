import { inflateRawSync } from 'node:zlib';
import { InputError } from './errors.js';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** One member of a zip archive held in memory; its bytes are inflated only when `read` is called. */
export interface ZipEntry {
  name: string;
  /** Uncompressed size as the central directory declares it. */
  size: number;
  /**
   * The member's bytes. `maxBytes` bounds the inflated size, so a zip bomb (inside a jar, say) stops with an error
   * instead of filling memory.
   */
  read(maxBytes?: number): Buffer;
}

function findEndOfCentralDirectory(data: Buffer, where: string): number {
  // The EOCD record is at most 22 + 65,535 (comment) bytes from the end.
  const stop = Math.max(0, data.length - 22 - 0xffff);
  for (let at = data.length - 22; at >= stop; at--) {
    if (data.readUInt32LE(at) === EOCD) return at;
  }
  throw new InputError('not a zip archive (no end-of-central-directory record)', { file: where });
}

/**
 * Lists a zip archive (jar/war/ear, OSV's per-ecosystem `all.zip`) from its central directory, ZIP64 included:
 * OSV's npm archive holds more than 65,535 entries. A corrupt directory throws InputError naming `where`; a corrupt
 * member throws only when it is read, so callers can skip it and go on.
 */
export function listZip(data: Buffer, where: string): ZipEntry[] {
  const eocd = findEndOfCentralDirectory(data, where);
  let count = data.readUInt16LE(eocd + 10);
  let offset = data.readUInt32LE(eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && data.readUInt32LE(locator) === EOCD64_LOCATOR) {
    const eocd64 = Number(data.readBigUInt64LE(locator + 8));
    if (eocd64 + 56 > data.length || data.readUInt32LE(eocd64) !== EOCD64) {
      throw new InputError('corrupt ZIP64 end record', { file: where });
    }
    count = Number(data.readBigUInt64LE(eocd64 + 32));
    offset = Number(data.readBigUInt64LE(eocd64 + 48));
  }
  const entries: ZipEntry[] = [];
  let at = offset;
  // Read headers while they last rather than trusting the count alone: writers without ZIP64 support store the
  // entry count modulo 65,536.
  while (at + 46 <= data.length && data.readUInt32LE(at) === CENTRAL) {
    const method = data.readUInt16LE(at + 10);
    let compressedSize = data.readUInt32LE(at + 20);
    let size = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    let localOffset = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    // ZIP64 extra field: the 8-byte values present are exactly those whose 4-byte field is 0xFFFFFFFF, in order.
    let extra = at + 46 + nameLength;
    const extraEnd = Math.min(extra + extraLength, data.length);
    while (extra + 4 <= extraEnd) {
      const id = data.readUInt16LE(extra);
      const fieldSize = data.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        const fieldEnd = Math.min(field + fieldSize, extraEnd);
        if (size === 0xffffffff && field + 8 <= fieldEnd) {
          size = Number(data.readBigUInt64LE(field));
          field += 8;
        }
        if (compressedSize === 0xffffffff && field + 8 <= fieldEnd) {
          compressedSize = Number(data.readBigUInt64LE(field));
          field += 8;
        }
        if (localOffset === 0xffffffff && field + 8 <= fieldEnd) localOffset = Number(data.readBigUInt64LE(field));
      }
      extra += 4 + fieldSize;
    }
    entries.push(memberOf(data, where, { name, method, compressedSize, size, localOffset }));
    at = extraEnd + commentLength;
  }
  if (entries.length < count) {
    throw new InputError(`corrupt zip central directory: ${entries.length} of ${count} entries readable`, {
      file: where,
    });
  }
  return entries;
}

interface CentralRecord {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function memberOf(data: Buffer, where: string, record: CentralRecord): ZipEntry {
  const { name, method, compressedSize, size, localOffset } = record;
  const file = `${where}!${name}`;
  return {
    name,
    size,
    read(maxBytes = Number.MAX_SAFE_INTEGER) {
      if (size > maxBytes) throw new InputError(`${size} bytes is over the limit of ${maxBytes}`, { file });
      if (localOffset + 30 > data.length || data.readUInt32LE(localOffset) !== LOCAL) {
        throw new InputError('corrupt zip local header', { file });
      }
      const start = localOffset + 30 + data.readUInt16LE(localOffset + 26) + data.readUInt16LE(localOffset + 28);
      if (start + compressedSize > data.length) throw new InputError('zip member runs past the archive end', { file });
      const raw = data.subarray(start, start + compressedSize);
      if (method === 0) return Buffer.from(raw);
      if (method !== 8) throw new InputError(`unsupported zip compression method ${method}`, { file });
      try {
        return inflateRawSync(raw, {
          // The declared size is a hint, not a promise: the bound is maxBytes whatever the header says.
          maxOutputLength: Math.max(1, Math.min(maxBytes, 2 ** 31 - 1)),
          // One output chunk of the declared size: growing zlib's buffer chunk by chunk costs more than inflating.
          chunkSize: Math.max(64, Math.min(size || 16_384, maxBytes, 64 * 1024 * 1024)),
        });
      } catch (err) {
        throw new InputError(`corrupt zip member: ${(err as Error).message}`, { file });
      }
    },
  };
}
