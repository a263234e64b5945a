import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { InventoryPackage } from '../../core/index.js';
import { InputError } from '../../core/index.js';
import type { CatalogContext, Cataloger } from './types.js';

/** rpm header tags we read (rpmtag.h). */
const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  VENDOR: 1011,
  SIZE: 1009,
  ARCH: 1022,
  SOURCERPM: 1044,
  MODULARITYLABEL: 5096,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  size?: number;
  modularityLabel?: string;
  /** Installed files (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]). */
  files?: string[];
}

/**
 * Parses an rpm header blob as the databases store it: big-endian index count and data length, then 16-byte index
 * entries (tag, type, offset, count), then the data store. Only the scalar tags above are read; every offset is
 * checked against the blob so a corrupt header is an error, not a crash.
 */
export function parseRpmHeaderBlob(blob: Buffer, where: string): RpmHeader {
  if (blob.length < 8) throw new InputError(`rpm header too short (${blob.length} bytes)`, { file: where });
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 100_000 || dl > 256 * 1024 * 1024 || dataStart + dl > blob.length) {
    throw new InputError(`rpm header index (${il} entries, ${dl} data bytes) does not fit the blob`, { file: where });
  }
  const values = new Map<number, string | number>();
  const arrays = new Map<number, string[] | number[]>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (!Object.values(TAG).includes(tag as never)) continue;
    if (offset < 0 || offset >= dl) throw new InputError(`rpm tag ${tag} points outside the data`, { file: where });
    const start = dataStart + offset;
    if (tag === TAG.BASENAMES || tag === TAG.DIRNAMES || tag === TAG.DIRINDEXES) {
      arrays.set(tag, readArray(blob, tag, type, start, count, dataStart + dl, where));
      continue;
    }
    if (type === TYPE_STRING || type === TYPE_I18NSTRING || type === TYPE_STRING_ARRAY) {
      const end = blob.indexOf(0, start);
      if (end === -1 || end > dataStart + dl)
        throw new InputError(`rpm tag ${tag}: unterminated string`, { file: where });
      values.set(tag, blob.toString('utf8', start, end));
    } else if (type === TYPE_INT32 && count >= 1) {
      if (start + 4 > dataStart + dl) throw new InputError(`rpm tag ${tag}: value past the data`, { file: where });
      values.set(tag, blob.readInt32BE(start));
    }
  }
  const str = (t: number) => {
    const v = values.get(t);
    return typeof v === 'string' ? v : undefined;
  };
  const name = str(TAG.NAME);
  const version = str(TAG.VERSION);
  if (!name || version === undefined) throw new InputError('rpm header without NAME or VERSION', { file: where });
  const h: RpmHeader = { name, version, release: str(TAG.RELEASE) ?? '' };
  const epoch = values.get(TAG.EPOCH);
  if (typeof epoch === 'number') h.epoch = epoch;
  const optional: Array<[keyof RpmHeader, number]> = [
    ['arch', TAG.ARCH],
    ['sourceRpm', TAG.SOURCERPM],
    ['license', TAG.LICENSE],
    ['vendor', TAG.VENDOR],
    ['modularityLabel', TAG.MODULARITYLABEL],
  ];
  for (const [key, tag] of optional) {
    const v = str(tag);
    if (v) (h as unknown as Record<string, string>)[key] = v;
  }
  const size = values.get(TAG.SIZE);
  if (typeof size === 'number') h.size = size;
  const bases = arrays.get(TAG.BASENAMES) as string[] | undefined;
  const dirs = arrays.get(TAG.DIRNAMES) as string[] | undefined;
  const indexes = arrays.get(TAG.DIRINDEXES) as number[] | undefined;
  if (bases && dirs && indexes && indexes.length === bases.length) {
    h.files = bases.map((b, i) => `${dirs[indexes[i] as number] ?? ''}${b}`.replace(/^\/+/, ''));
  }
  return h;
}

/** A STRING_ARRAY (count NUL-terminated strings) or INT32 array value, bounds-checked against the data store. */
function readArray(
  blob: Buffer,
  tag: number,
  type: number,
  start: number,
  count: number,
  end: number,
  where: string,
): string[] | number[] {
  if (count > 1_000_000) throw new InputError(`rpm tag ${tag}: ${count} values`, { file: where });
  if (type === TYPE_INT32) {
    if (start + count * 4 > end) throw new InputError(`rpm tag ${tag}: values past the data`, { file: where });
    return Array.from({ length: count }, (_, i) => blob.readInt32BE(start + i * 4));
  }
  if (type !== TYPE_STRING_ARRAY) throw new InputError(`rpm tag ${tag}: unexpected type ${type}`, { file: where });
  const out: string[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const nul = blob.indexOf(0, at);
    if (nul === -1 || nul >= end) throw new InputError(`rpm tag ${tag}: unterminated string`, { file: where });
    out.push(blob.toString('utf8', at, nul));
    at = nul + 1;
  }
  return out;
}

/** Header blobs of an ndb `Packages.db` (rpm ≥ 4.16, SUSE): slot pages point at 16-byte-aligned blobs. */
export function readNdbBlobs(db: Buffer, where: string): Buffer[] {
  if (db.length < 32 || db.toString('latin1', 0, 4) !== 'RpmP')
    throw new InputError('not an ndb Packages.db', { file: where });
  const slotPages = db.readUInt32LE(12);
  const slotBytes = slotPages * 4096;
  if (slotBytes > db.length) throw new InputError('ndb slot pages run past the file', { file: where });
  const blobs: Buffer[] = [];
  for (let at = 32; at + 16 <= slotBytes; at += 16) {
    if (db.toString('latin1', at, at + 4) !== 'Slot') continue;
    const pkgIndex = db.readUInt32LE(at + 4);
    const blkOffset = db.readUInt32LE(at + 8);
    if (pkgIndex === 0) continue;
    const start = blkOffset * 16;
    if (start + 16 > db.length || db.toString('latin1', start, start + 4) !== 'BlbS') {
      throw new InputError(`ndb slot for package ${pkgIndex} points at no blob`, { file: where });
    }
    const len = db.readUInt32LE(start + 12);
    if (start + 16 + len > db.length)
      throw new InputError(`ndb blob of package ${pkgIndex} is truncated`, { file: where });
    blobs.push(db.subarray(start + 16, start + 16 + len));
  }
  return blobs;
}

/**
 * Values of a Berkeley DB hash database (rpm's legacy `Packages`): every hash page's data items, inline or on
 * overflow page chains. Byte order comes from the metadata page's magic.
 */
export function readBdbHashValues(db: Buffer, where: string): Buffer[] {
  if (db.length < 512) throw new InputError('file too short for Berkeley DB', { file: where });
  const HASH_MAGIC = 0x061561;
  let le = true;
  if (db.readUInt32LE(12) !== HASH_MAGIC) {
    if (db.readUInt32BE(12) !== HASH_MAGIC) throw new InputError('not a Berkeley DB hash database', { file: where });
    le = false;
  }
  const u32 = (at: number) => (le ? db.readUInt32LE(at) : db.readUInt32BE(at));
  const u16 = (at: number) => (le ? db.readUInt16LE(at) : db.readUInt16BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536)
    throw new InputError(`odd Berkeley DB page size ${pageSize}`, { file: where });
  const pages = Math.floor(db.length / pageSize);
  const values: Buffer[] = [];
  const P_HASH_UNSORTED = 2;
  const P_OVERFLOW = 7;
  const P_HASH = 13;
  const H_KEYDATA = 1;
  const H_OFFPAGE = 3;
  for (let pg = 1; pg < pages; pg++) {
    const base = pg * pageSize;
    const type = db[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    for (let i = 1; i < entries; i += 2) {
      const itemOffset = u16(base + 26 + i * 2);
      if (itemOffset >= pageSize) continue;
      const item = base + itemOffset;
      const itemType = db[item];
      if (itemType === H_OFFPAGE) {
        let next = u32(item + 4);
        const total = u32(item + 8);
        const parts: Buffer[] = [];
        let got = 0;
        let guard = 0;
        while (next !== 0 && got < total) {
          if (next >= pages || ++guard > pages)
            throw new InputError('Berkeley DB overflow chain is broken', { file: where });
          const ob = next * pageSize;
          if (db[ob + 25] !== P_OVERFLOW) throw new InputError(`page ${next} is not an overflow page`, { file: where });
          const len = u16(ob + 22);
          parts.push(db.subarray(ob + 26, ob + 26 + Math.min(len, pageSize - 26)));
          got += len;
          next = u32(ob + 16);
        }
        values.push(Buffer.concat(parts).subarray(0, total));
      } else if (itemType === H_KEYDATA) {
        const prev = u16(base + 26 + (i - 1) * 2);
        const end = i === 0 ? pageSize : prev;
        values.push(db.subarray(item + 1, base + end));
      }
    }
  }
  return values;
}

function readSqliteBlobs(data: Buffer, ctx: CatalogContext, where: string): Buffer[] {
  const file = join(ctx.scratchDir(), `rpmdb-${process.hrtime.bigint()}.sqlite`);
  writeFileSync(file, data, { mode: 0o600 });
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT blob FROM Packages').all() as Array<{ blob: Buffer }>;
      return rows.map((r) => r.blob);
    } finally {
      db.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`rpmdb.sqlite: ${err instanceof Error ? err.message : String(err)}`, { file: where });
  } finally {
    rmSync(file, { force: true });
    rmSync(`${file}-journal`, { force: true });
  }
}

export function rpmPackage(h: RpmHeader, path: string): InventoryPackage {
  const pkg: InventoryPackage = {
    type: 'rpm',
    name: h.name,
    version: h.version,
    release: h.release,
    locations: [`/${path}`],
  };
  if (h.epoch !== undefined) pkg.epoch = h.epoch;
  if (h.arch) pkg.arch = h.arch;
  if (h.license) pkg.licenses = [h.license];
  if (h.vendor) pkg.vendor = h.vendor;
  if (h.modularityLabel) pkg.modularityLabel = h.modularityLabel;
  if (h.sourceRpm) {
    // name-version-release.src.rpm: the last two dashes split version and release.
    const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(h.sourceRpm);
    if (m?.[1]) {
      pkg.sourceName = m[1];
      pkg.sourceVersion = `${m[2]}-${m[3]}`;
    }
    pkg.sourceRpm = h.sourceRpm;
  }
  return pkg;
}

/** Packages in an rpm database of any of the three formats; gpg-pubkey pseudo-packages are left out. */
export async function parseRpmDb(
  data: Buffer,
  path: string,
  ctx: CatalogContext,
): Promise<{ packages: InventoryPackage[]; ownedFiles: string[] }> {
  const where = `/${path}`;
  let blobs: Buffer[];
  if (data.toString('latin1', 0, 16).startsWith('SQLite format 3')) blobs = readSqliteBlobs(data, ctx, where);
  else if (data.toString('latin1', 0, 4) === 'RpmP') blobs = readNdbBlobs(data, where);
  else blobs = readBdbHashValues(data, where);
  const packages: InventoryPackage[] = [];
  const ownedFiles: string[] = [];
  for (const blob of blobs) {
    // Berkeley DB Packages also holds a 4-byte bookkeeping record (next instance number): not a header.
    if (blob.length < 16) continue;
    const h = parseRpmHeaderBlob(blob, where);
    if (h.name === 'gpg-pubkey') continue;
    packages.push(rpmPackage(h, path));
    if (h.files) ownedFiles.push(...h.files);
  }
  return { packages, ownedFiles };
}

/** CBL-Mariner distroless: `name\tversion-release\t…\tarch\t…` lines. */
export function parseContainerManifest(text: string, path: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const cols = line.split('\t');
    const name = cols[0];
    const vr = cols[1];
    if (!name || !vr) throw new InputError('expected name<TAB>version-release', { file: `/${path}`, line: i + 1 });
    const dash = vr.lastIndexOf('-');
    const h: RpmHeader = {
      name,
      version: dash > 0 ? vr.slice(0, dash) : vr,
      release: dash > 0 ? vr.slice(dash + 1) : '',
    };
    // Columns: name, version-release, install time, build time, vendor, epoch, size, arch, ?, source rpm.
    if (cols[4]) h.vendor = cols[4];
    if (cols[5] && /^\d+$/.test(cols[5])) h.epoch = Number(cols[5]);
    if (cols[7]) h.arch = cols[7];
    if (cols[9]) h.sourceRpm = cols[9];
    out.push(rpmPackage(h, path));
  });
  return out;
}

const RPMDB = /^(?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm|usr\/share\/rpm)\/(?:Packages|Packages\.db|rpmdb\.sqlite)$/;

export const rpmCataloger: Cataloger = {
  name: 'rpm',
  wants: (path) => RPMDB.test(path) || path === 'var/lib/rpmmanifest/container-manifest-2',
  async catalog(file, ctx) {
    if (file.path.endsWith('container-manifest-2')) {
      return { packages: parseContainerManifest(file.data.toString('utf8'), file.path) };
    }
    return await parseRpmDb(file.data, file.path, ctx);
  },
};
