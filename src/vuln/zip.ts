import { readFileSync } from 'node:fs';
import { inflateSync } from 'fflate';
import { InputError } from '../core/index.js';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

interface CentralEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

function findEndOfCentralDirectory(data: Buffer, path: string): number {
  // The EOCD record is at most 22 + 65,535 (comment) bytes from the end.
  const stop = Math.max(0, data.length - 22 - 0xffff);
  for (let at = data.length - 22; at >= stop; at--) {
    if (data.readUInt32LE(at) === EOCD) return at;
  }
  throw new InputError('not a zip archive (no end-of-central-directory record)', { file: path });
}

/**
 * The entries of a zip's central directory, ZIP64 included: OSV's per-ecosystem `all.zip` for npm holds more than
 * 65,535 entries.
 */
function centralDirectory(data: Buffer, path: string): CentralEntry[] {
  const eocd = findEndOfCentralDirectory(data, path);
  let count = data.readUInt16LE(eocd + 10);
  let offset = data.readUInt32LE(eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && data.readUInt32LE(locator) === EOCD64_LOCATOR) {
    const eocd64 = Number(data.readBigUInt64LE(locator + 8));
    if (data.readUInt32LE(eocd64) !== EOCD64) throw new InputError('corrupt ZIP64 end record', { file: path });
    count = Number(data.readBigUInt64LE(eocd64 + 32));
    offset = Number(data.readBigUInt64LE(eocd64 + 48));
  }
  const entries: CentralEntry[] = [];
  let at = offset;
  // Read headers while they last rather than trusting the count alone: writers without ZIP64 support store the
  // entry count modulo 65,536.
  while (at + 46 <= data.length && data.readUInt32LE(at) === CENTRAL) {
    const method = data.readUInt16LE(at + 10);
    let compressedSize = data.readUInt32LE(at + 20);
    let uncompressedSize = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    let localOffset = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    // ZIP64 extra field: the 8-byte values present are exactly those whose 4-byte field is 0xFFFFFFFF, in order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = data.readUInt16LE(extra);
      const size = data.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (uncompressedSize === 0xffffffff) {
          uncompressedSize = Number(data.readBigUInt64LE(field));
          field += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(data.readBigUInt64LE(field));
          field += 8;
        }
        if (localOffset === 0xffffffff) localOffset = Number(data.readBigUInt64LE(field));
      }
      extra += 4 + size;
    }
    entries.push({ name, method, compressedSize, uncompressedSize, localOffset });
    at = extraEnd + commentLength;
  }
  if (entries.length < count) {
    throw new InputError(`corrupt central directory: ${entries.length} of ${count} entries readable`, { file: path });
  }
  return entries;
}

/**
 * Calls `onEntry` for every `.json`/`.yaml` entry of a zip, one at a time (OSV publishes per-ecosystem `all.zip`).
 * A corrupt entry is passed to `onProblem` and skipped; a corrupt archive structure throws InputError.
 */
export function readZipEntries(
  path: string,
  onEntry: (name: string, text: string) => void,
  onProblem: (err: InputError) => void = (err) => {
    throw err;
  },
): void {
  const data = readFileSync(path);
  const decoder = new TextDecoder();
  for (const e of centralDirectory(data, path)) {
    if (!/\.(json|ya?ml)$/i.test(e.name)) continue;
    const file = `${path}!${e.name}`;
    try {
      if (e.localOffset + 30 > data.length || data.readUInt32LE(e.localOffset) !== LOCAL) {
        throw new InputError('corrupt local header', { file });
      }
      const start = e.localOffset + 30 + data.readUInt16LE(e.localOffset + 26) + data.readUInt16LE(e.localOffset + 28);
      const raw = data.subarray(start, start + e.compressedSize);
      let bytes: Uint8Array;
      if (e.method === 0) bytes = raw;
      // Sized from the central directory: letting inflate grow its buffer costs more than the inflating itself.
      else if (e.method === 8) bytes = inflateSync(raw, { out: new Uint8Array(e.uncompressedSize) });
      else throw new InputError(`unsupported compression method ${e.method}`, { file });
      onEntry(e.name, decoder.decode(bytes));
    } catch (err) {
      onProblem(
        err instanceof InputError ? err : new InputError(`corrupt zip entry: ${(err as Error).message}`, { file }),
      );
    }
  }
}
