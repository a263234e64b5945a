import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../core/index.js';
import { normalizeTarPath } from './paths.js';

/** One entry of an uncompressed tar file, with where its data starts, for random access. */
export interface TarIndexEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  offset: number;
  size: number;
  linkname?: string;
}

const BLOCK = 512;

/**
 * Indexes an uncompressed tar file (a `docker save` or `oci-archive` tar) by reading only its headers, so blobs
 * inside it can be streamed by offset without extracting anything. Understands ustar prefixes, PAX `path`/`linkpath`
 * and GNU long names; anything else is listed as `other`.
 */
export function indexTarFile(file: string, maxEntries = 1_000_000): Map<string, TarIndexEntry> {
  const fd = openSync(file, 'r');
  try {
    const total = fstatSync(fd).size;
    const entries = new Map<string, TarIndexEntry>();
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let count = 0;
    while (pos + BLOCK <= total) {
      readSync(fd, header, 0, BLOCK, pos);
      if (header.every((b) => b === 0)) break;
      if (!checksumOk(header)) throw new InputError(`corrupt tar header at byte ${pos}`, { file });
      if (++count > maxEntries) throw new InputError(`more than ${maxEntries} tar entries`, { file });
      const size = parseNumber(header.subarray(124, 136));
      const typeflag = String.fromCharCode(header[156] ?? 0);
      const dataStart = pos + BLOCK;
      if (dataStart + size > total)
        throw new InputError(`truncated tar: entry at byte ${pos} runs past the end`, { file });
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
      if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
        if (size > 1024 * 1024) throw new InputError(`oversized tar extended header at byte ${pos}`, { file });
        const data = Buffer.alloc(size);
        readSync(fd, data, 0, size, dataStart);
        if (typeflag === 'L') longName = cString(data);
        else if (typeflag === 'K') longLink = cString(data);
        else {
          const pax = parsePax(data);
          if (pax.path) longName = pax.path;
          if (pax.linkpath) longLink = pax.linkpath;
        }
        pos = next;
        continue;
      }
      let name = longName ?? ustarName(header);
      const linkname = longLink ?? cString(header.subarray(157, 257));
      longName = undefined;
      longLink = undefined;
      name = normalizeTarPath(name);
      const type =
        typeflag === '0' || typeflag === '\0' || typeflag === '7'
          ? 'file'
          : typeflag === '5'
            ? 'directory'
            : typeflag === '2'
              ? 'symlink'
              : typeflag === '1'
                ? 'link'
                : 'other';
      if (name) entries.set(name, { path: name, type, offset: dataStart, size, ...(linkname ? { linkname } : {}) });
      pos = next;
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

/** Follows symlinks and hardlinks inside the archive (never outside it) to a regular file. */
export function resolveInTar(
  entries: Map<string, TarIndexEntry>,
  name: string,
  file: string,
  maxHops = 40,
): TarIndexEntry {
  let current = normalizeTarPath(name);
  for (let hop = 0; hop <= maxHops; hop++) {
    const entry = entries.get(current);
    if (!entry) throw new InputError(`archive has no entry ${JSON.stringify(current)}`, { file });
    if (entry.type === 'file') return entry;
    if ((entry.type === 'symlink' || entry.type === 'link') && entry.linkname) {
      const base = entry.type === 'symlink' ? current.split('/').slice(0, -1).join('/') : '';
      const joined = entry.linkname.startsWith('/') ? entry.linkname : `${base}/${entry.linkname}`;
      const target = normalizeTarPath(joined, true);
      if (target === undefined) {
        throw new InputError(`${current} links outside the archive (${entry.linkname})`, { file });
      }
      current = target;
      continue;
    }
    throw new InputError(`archive entry ${current} is a ${entry.type}, not a file`, { file });
  }
  throw new InputError(`too many links while resolving ${name} (loop?)`, { file });
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumber(h.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  return sum === stored;
}

function parseNumber(field: Buffer): number {
  // GNU base-256 for sizes ≥ 8 GiB.
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = cString(field).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

function ustarName(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  if (h.subarray(257, 262).toString('latin1') === 'ustar') {
    const prefix = cString(h.subarray(345, 500));
    if (prefix) return `${prefix}/${name}`;
  }
  return name;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(data.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}
