/**
 * The one tar header decoder of the image engine, used both for the outer archives (`docker save`, `oci-archive`:
 * indexed by position, see tar-index.ts) and for layers (tar-walk.ts).
 *
 * Why not tar-stream here: tar-stream only offers a stream interface that pushes every entry body through a
 * stream (no way to skip a body by file position, which is most of the cost of reading a layer whose files are
 * mostly unwanted), and its header decoder is not exported (`exports` lists only the stream API). The rules below
 * follow tar-stream's decoder (ustar prefix, GNU long names, PAX path/linkpath/size, base-256 numbers, an
 * old-style trailing `/` meaning a directory) so layers read the same as before.
 */

export const TAR_BLOCK = 512;
/** Largest PAX or GNU long-name record accepted (tar-stream's bound too). */
export const MAX_EXTENDED_HEADER = 1024 * 1024;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

/** Raw type of one header block, including the extended-header records that describe the next entry. */
type RawType = TarEntryType | 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link';

export interface RawTarHeader {
  type: RawType;
  name: string;
  linkname: string;
  size: number;
  mode: number;
}

/** One entry with its extended headers applied. */
export interface TarHeader {
  type: TarEntryType;
  name: string;
  linkname: string;
  size: number;
  mode: number;
}

/**
 * Decodes one 512-byte header block. Returns undefined for an all-zero block (end-of-archive marker; tar-stream skips
 * those and reads on). Throws on a checksum mismatch.
 */
export function decodeTarHeader(block: Buffer): RawTarHeader | undefined {
  const sum = checksumOf(block);
  if (sum === 8 * 32) return undefined;
  if (sum !== parseTarNumber(block, 148, 8)) {
    throw new Error('invalid tar header (checksum mismatch: corrupt, or compressed in an unknown way)');
  }
  let name = cString(block, 0, 100);
  // POSIX ustar ("ustar\0") has a name prefix; GNU ("ustar  \0") keeps other fields there.
  if (block[345] !== 0 && isPosixUstar(block)) {
    name = `${cString(block, 345, 155)}/${name}`;
  }
  const flag = block[156] ?? 0;
  let type = rawTypeOf(flag);
  if ((flag === 0 || flag === 0x30) && name.endsWith('/')) type = 'directory';
  return {
    type,
    name,
    linkname: cString(block, 157, 100),
    size: parseTarNumber(block, 124, 12),
    mode: parseTarNumber(block, 100, 8),
  };
}

/** Magic `ustar\0` at 257. */
function isPosixUstar(b: Buffer): boolean {
  return b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 && b[261] === 0x72 && b[262] === 0;
}

function rawTypeOf(flag: number): RawType {
  switch (flag) {
    case 0:
    case 0x30: // '0'
    case 0x37: // '7' contiguous file
      return 'file';
    case 0x31:
      return 'link';
    case 0x32:
      return 'symlink';
    case 0x35:
      return 'directory';
    case 0x78: // 'x'
      return 'pax';
    case 0x67: // 'g'
      return 'pax-global';
    case 0x4c: // 'L'
      return 'gnu-long-name';
    case 0x4b: // 'K'
      return 'gnu-long-link';
    default:
      return 'other';
  }
}

function checksumOf(block: Buffer): number {
  let sum = 8 * 32; // the checksum field itself counts as spaces
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < TAR_BLOCK; i++) sum += block[i] as number;
  return sum;
}

/** Octal text, or GNU base-256 (high bit set) for values that do not fit. */
export function parseTarNumber(block: Buffer, offset: number, length: number): number {
  const first = block[offset] ?? 0;
  if ((first & 0x80) !== 0) {
    let n = first & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + (block[offset + i] ?? 0);
    return n;
  }
  let n = 0;
  let seen = false;
  for (let i = offset; i < offset + length; i++) {
    const c = block[i] as number;
    if (c >= 0x30 && c <= 0x37) {
      n = n * 8 + (c - 0x30);
      seen = true;
    } else if (seen || (c !== 0x20 && c !== 0)) break; // leading spaces and NULs are padding
  }
  return n;
}

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** PAX records `<len> <key>=<value>\n`. */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(data.toString('latin1', pos, space), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/**
 * Carries GNU long names and PAX records from their own header blocks to the entry they describe. Feed every raw
 * header to `isExtended`; extended ones then get their body through `take`, the others come back from `apply`.
 */
export class ExtendedHeaders {
  private longName?: string;
  private longLink?: string;
  private pax?: Record<string, string>;
  private paxGlobal?: Record<string, string>;

  static isExtended(h: RawTarHeader): boolean {
    return h.type === 'pax' || h.type === 'pax-global' || h.type === 'gnu-long-name' || h.type === 'gnu-long-link';
  }

  take(h: RawTarHeader, body: Buffer): void {
    if (h.type === 'gnu-long-name') this.longName = cString(body, 0, body.length);
    else if (h.type === 'gnu-long-link') this.longLink = cString(body, 0, body.length);
    else if (h.type === 'pax-global') this.paxGlobal = parsePax(body);
    else if (h.type === 'pax') this.pax = { ...this.paxGlobal, ...parsePax(body) };
  }

  apply(h: RawTarHeader): TarHeader {
    const out: TarHeader = {
      type: h.type as TarEntryType,
      name: this.longName ?? h.name,
      linkname: this.longLink ?? h.linkname,
      size: h.size,
      mode: h.mode,
    };
    const pax = this.pax;
    if (pax) {
      if (pax.path) out.name = pax.path;
      if (pax.linkpath) out.linkname = pax.linkpath;
      if (pax.size) out.size = Number.parseInt(pax.size, 10);
    }
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = undefined;
    return out;
  }
}
