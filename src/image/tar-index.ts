import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../core/index.js';
import { normalizeTarPath } from './paths.js';
import {
  decodeTarHeader,
  ExtendedHeaders,
  MAX_EXTENDED_HEADER,
  type RawTarHeader,
  TAR_BLOCK,
  type TarEntryType,
} from './tar-header.js';

/** One entry of an uncompressed tar file, with where its data starts, for random access. */
export interface TarIndexEntry {
  path: string;
  type: TarEntryType;
  offset: number;
  size: number;
  linkname?: string;
}

/**
 * Indexes an uncompressed tar file (a `docker save` or `oci-archive` tar) by reading only its headers, so blobs
 * inside it can be streamed by offset without extracting anything. Understands ustar prefixes, PAX `path`/`linkpath`
 * and GNU long names (decoded by tar-header.ts); anything else is listed as `other`.
 */
export function indexTarFile(file: string, maxEntries = 1_000_000): Map<string, TarIndexEntry> {
  const fd = openSync(file, 'r');
  try {
    const total = fstatSync(fd).size;
    const entries = new Map<string, TarIndexEntry>();
    const block = Buffer.alloc(TAR_BLOCK);
    const extended = new ExtendedHeaders();
    let pos = 0;
    let count = 0;
    while (pos + TAR_BLOCK <= total) {
      readSync(fd, block, 0, TAR_BLOCK, pos);
      let raw: RawTarHeader | undefined;
      try {
        raw = decodeTarHeader(block);
      } catch (err) {
        throw new InputError(`corrupt tar header at byte ${pos}: ${(err as Error).message}`, { file });
      }
      if (!raw) break;
      if (++count > maxEntries) throw new InputError(`more than ${maxEntries} tar entries`, { file });
      const dataStart = pos + TAR_BLOCK;
      if (dataStart + raw.size > total)
        throw new InputError(`truncated tar: entry at byte ${pos} runs past the end`, { file });
      const next = dataStart + Math.ceil(raw.size / TAR_BLOCK) * TAR_BLOCK;
      if (ExtendedHeaders.isExtended(raw)) {
        if (raw.size > MAX_EXTENDED_HEADER)
          throw new InputError(`oversized tar extended header at byte ${pos}`, { file });
        const data = Buffer.alloc(raw.size);
        readSync(fd, data, 0, raw.size, dataStart);
        extended.take(raw, data);
        pos = next;
        continue;
      }
      const header = extended.apply(raw);
      const name = normalizeTarPath(header.name);
      const { type, size, linkname } = header;
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
