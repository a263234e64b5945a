import type { Distro, InventoryPackage } from '../../core/index.js';

/** A file a cataloger asked for, held in memory only while the cataloger reads it. */
export interface CatalogFile {
  /** Path inside the image root, without a leading slash. */
  path: string;
  data: Buffer;
  mode: number;
}

export interface CatalogContext {
  /** Scratch directory for parsers that need a real file (SQLite rpmdb); removed after the scan. */
  scratchDir: () => string;
  maxArchiveDepth: number;
  maxFileBytes: number;
}

/** What one file yielded. Problems are files the cataloger could not fully read: reported as unknown, never hidden. */
export interface FileFindings {
  packages?: InventoryPackage[];
  distro?: Distro;
  problems?: string[];
  /**
   * Paths (no leading slash) an OS package database says its packages installed: language packages found in
   * those files are the distro's, matched against distro advisories only, and are not reported again.
   */
  ownedFiles?: string[];
}

/**
 * A cataloger looks at one file at a time: the layer reader asks `wants` for every regular file of every layer
 * (path, mode and size only), buffers the wanted ones (bounded) and hands them to `catalog`. Because findings
 * depend on one file only, they can be cached per layer and merged afterwards with whiteouts applied.
 */
export interface Cataloger {
  name: string;
  wants(path: string, mode: number, size: number): boolean;
  /** Cheap check of the first bytes, so large files that are not ours are never buffered. */
  magic?: (head: Buffer) => boolean;
  catalog(file: CatalogFile, ctx: CatalogContext): FileFindings | Promise<FileFindings>;
  /**
   * Streaming alternative to `catalog` for files too large to buffer (binaries): the layer reader feeds the chunks
   * as they pass and never holds the file. `catalog` stays the entry point for whole buffers (dir: sources).
   */
  scan?: (path: string, size: number) => FileScan;
}

/** A byte range of one file. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** What a streaming scan needs after the file passed: its layer is read once more to supply these ranges. */
export interface PendingScan {
  needs: ByteRange[];
  /** Called with the bytes of `needs`, in order (shorter when the file is shorter). */
  complete(parts: Buffer[]): FileFindings;
}

export interface FileScan {
  push(chunk: Buffer): void;
  finish(): FileFindings | PendingScan;
}

export function isPendingScan(r: FileFindings | PendingScan): r is PendingScan {
  return 'needs' in r;
}
