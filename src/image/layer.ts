import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import * as tar from 'tar-stream';
import { InputError, RampartError } from '../core/index.js';
import type { CatalogContext, Cataloger, FileFindings } from './catalog/types.js';
import type { ImageLimits } from './limits.js';
import { baseName, normalizeTarPath, parentOf } from './paths.js';

/** Kind of a path in a layer: file, directory, symlink, hardlink, other (devices, fifos). */
export type EntryKind = 'f' | 'd' | 'l' | 'h' | 'o';

/** Everything the merge step needs from one layer; small enough to cache as JSON. */
export interface LayerAnalysis {
  /** path → kind, and for links their target as written. */
  entries: Record<string, [EntryKind] | [EntryKind, string]>;
  /** Paths deleted from lower layers (`.wh.<name>`). */
  whiteouts: string[];
  /** Directories whose lower-layer contents are hidden (`.wh..wh..opq`). */
  opaque: string[];
  /** Findings per analysed path. */
  files: Record<string, FileFindings>;
  /** Problems reading the layer itself (entries skipped, limits hit). */
  problems: Array<{ path?: string; message: string }>;
  /** SHA-256 of the uncompressed tar when it was computed. */
  diffId?: string;
  uncompressedBytes: number;
}

export function emptyLayerAnalysis(): LayerAnalysis {
  return { entries: {}, whiteouts: [], opaque: [], files: {}, problems: [], uncompressedBytes: 0 };
}

export interface LayerReadOptions {
  /** Names the layer in errors. */
  label: string;
  /** Digest the raw bytes must have (`sha256:…`); a mismatch is an error. */
  expectedDigest?: string;
  /** Also hash the uncompressed stream (docker-archive layers are named by it). */
  computeDiffId?: boolean;
  limits: ImageLimits;
  catalogers: Cataloger[];
  context: CatalogContext;
}

/** A tar entry's content stream as tar-stream hands it out. */
type EntryStream = tar.Extract extends AsyncIterable<infer S> ? S : never;

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Streams one layer blob (gzip, zstd or plain tar, sniffed from the magic bytes) through tar-stream, verifying its
 * digest on the way. Nothing is written to disk; only files a cataloger wants are buffered, one at a time.
 */
export async function analyzeLayer(raw: Readable, opts: LayerReadOptions): Promise<LayerAnalysis> {
  const { limits, label } = opts;
  const rawHash = createHash('sha256');
  const diffHash = opts.computeDiffId ? createHash('sha256') : undefined;
  let compressedBytes = 0;
  let uncompressedBytes = 0;

  const result = emptyLayerAnalysis();

  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      compressedBytes += chunk.length;
      rawHash.update(chunk);
      cb(null, chunk);
    },
  });
  const sniffer = new Sniffer();
  let failed = false;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (failed) {
        cb();
        return;
      }
      uncompressedBytes += chunk.length;
      diffHash?.update(chunk);
      if (uncompressedBytes > limits.maxLayerBytes) {
        failed = true;
        cb(new InputError(`layer ${label} is larger than ${limits.maxLayerBytes} bytes uncompressed (limit)`));
        return;
      }
      if (
        uncompressedBytes > 64 * 1024 * 1024 &&
        sniffer.compressed &&
        uncompressedBytes > compressedBytes * limits.maxCompressionRatio
      ) {
        failed = true;
        cb(new InputError(`layer ${label} expands more than ${limits.maxCompressionRatio}x (decompression bomb?)`));
        return;
      }
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  // pipeline() reports the first error and then destroys every stage with it; these late re-emissions have
  // nobody left to listen.
  for (const stage of [meter, sniffer, counter, extract]) stage.on('error', () => {});
  let entryCount = 0;

  extract.on('entry', (header, stream, next) => {
    // An entry stream is destroyed with the layer's error when the layer fails; the layer reports it.
    stream.on('error', () => {});
    entryCount++;
    if (entryCount > limits.maxEntries) {
      stream.resume();
      next(new InputError(`layer ${label} has more than ${limits.maxEntries} entries (limit)`));
      return;
    }
    handleEntry(header, stream, result, opts).then(
      () => next(),
      (err: unknown) => {
        stream.resume();
        next(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });

  try {
    await pipeline(raw, meter, sniffer, counter, extract);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes(label)) throw err;
    throw new InputError(`cannot read layer ${label}: ${message}`, {}, { cause: err });
  }
  const actual = `sha256:${rawHash.digest('hex')}`;
  if (opts.expectedDigest && opts.expectedDigest !== actual) {
    throw new InputError(`digest mismatch for layer ${label}: expected ${opts.expectedDigest}, got ${actual}`);
  }
  result.uncompressedBytes = uncompressedBytes;
  if (diffHash) result.diffId = `sha256:${diffHash.digest('hex')}`;
  return result;
}

async function handleEntry(
  header: tar.Header,
  stream: EntryStream,
  result: LayerAnalysis,
  opts: LayerReadOptions,
): Promise<void> {
  const path = normalizeTarPath(header.name);
  if (path === '') {
    stream.resume();
    return;
  }
  const name = baseName(path);
  if (name.startsWith('.wh.')) {
    if (name === '.wh..wh..opq') result.opaque.push(parentOf(path));
    else {
      const dir = parentOf(path);
      const target = name.slice(4);
      result.whiteouts.push(dir ? `${dir}/${target}` : target);
    }
    stream.resume();
    return;
  }
  switch (header.type) {
    case 'directory':
      result.entries[path] = ['d'];
      stream.resume();
      return;
    case 'symlink':
      result.entries[path] = ['l', header.linkname ?? ''];
      stream.resume();
      return;
    case 'link': {
      const target = normalizeTarPath(header.linkname ?? '');
      result.entries[path] = ['h', target];
      // A hardlink shares the content of an earlier entry of the same layer: reuse what was found there.
      const found = result.files[target];
      if (found && opts.catalogers.some((c) => c.wants(path, header.mode ?? 0, header.size ?? 0))) {
        result.files[path] = relocate(found, target, path);
      }
      stream.resume();
      return;
    }
    case 'file':
    case 'contiguous-file':
      break;
    default:
      result.entries[path] = ['o'];
      stream.resume();
      return;
  }
  result.entries[path] = ['f'];
  const mode = header.mode ?? 0;
  const size = header.size ?? 0;
  const wanting = opts.catalogers.filter((c) => c.wants(path, mode, size));
  if (wanting.length === 0) {
    stream.resume();
    return;
  }
  if (size > opts.limits.maxFileBytes) {
    result.problems.push({ path, message: `not read: ${size} bytes is over the per-file limit` });
    stream.resume();
    return;
  }
  const data = await readEntry(stream, wanting);
  if (!data) return;
  const found = await runCatalogers(wanting, { path, data, mode }, opts.context);
  if (found) result.files[path] = found;
}

/** Buffers an entry unless no cataloger's magic matches its first bytes (then it is drained unbuffered). */
async function readEntry(stream: EntryStream, wanting: Cataloger[]): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  let rejected = false;
  const needsMagic = wanting.every((c) => c.magic);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (rejected) continue;
    if (needsMagic && total === 0 && chunk.length >= 8) {
      if (!wanting.some((c) => c.magic?.(chunk))) {
        rejected = true;
        continue;
      }
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  if (rejected) return undefined;
  const data = Buffer.concat(chunks, total);
  if (needsMagic && total < 8 && !wanting.some((c) => c.magic?.(data))) return undefined;
  return data;
}

export async function runCatalogers(
  catalogers: Cataloger[],
  file: { path: string; data: Buffer; mode: number },
  ctx: CatalogContext,
): Promise<FileFindings | undefined> {
  const merged: FileFindings = {};
  for (const c of catalogers) {
    if (c.magic && !c.magic(file.data)) continue;
    try {
      const found = await c.catalog(file, ctx);
      if (found.packages?.length) (merged.packages ??= []).push(...found.packages);
      if (found.distro) merged.distro = found.distro;
      if (found.problems?.length) (merged.problems ??= []).push(...found.problems.map((p) => `${c.name}: ${p}`));
    } catch (err) {
      const message = err instanceof RampartError ? err.toLine() : err instanceof Error ? err.message : String(err);
      (merged.problems ??= []).push(`${c.name}: ${message}`);
    }
  }
  return merged.packages || merged.distro || merged.problems ? merged : undefined;
}

function relocate(found: FileFindings, from: string, to: string): FileFindings {
  return {
    ...found,
    packages: found.packages?.map((p) => ({
      ...p,
      locations: p.locations.map((l) => (l === `/${from}` ? `/${to}` : l)),
    })),
  };
}

/** Passes bytes through and decompresses gzip or zstd when the first bytes say so. */
class Sniffer extends Transform {
  compressed = false;
  private mode: 'unknown' | 'plain' | 'gzip' | 'zstd' = 'unknown';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private gunzip?: ReturnType<typeof createGunzip>;
  private zstd?: ZstdDecompress;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.mode === 'unknown') {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < 4) {
        cb();
        return;
      }
      const head = Buffer.concat(this.pending);
      this.pending = [];
      this.start(head);
      this.feed(head, cb);
      return;
    }
    this.feed(chunk, cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.mode === 'unknown') {
      const head = Buffer.concat(this.pending);
      this.start(head);
      if (head.length > 0) {
        this.feed(head, (err) => {
          if (err) cb(err);
          else this.finish(cb);
        });
        return;
      }
    }
    this.finish(cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.gunzip?.destroy();
    cb(err);
  }

  private start(head: Buffer): void {
    if (GZIP.every((b, i) => head[i] === b)) {
      this.mode = 'gzip';
      this.compressed = true;
      this.gunzip = createGunzip();
      this.gunzip.on('data', (d: Buffer) => {
        if (!this.destroyed) this.push(d);
      });
      // zlib does not always call the write callback on corrupt data: fail the whole pipeline from here.
      this.gunzip.on('error', (err) => this.destroy(new InputError(`gzip: ${err.message}`)));
    } else if (ZSTD.every((b, i) => head[i] === b)) {
      this.mode = 'zstd';
      this.compressed = true;
      this.zstd = new ZstdDecompress((data) => {
        this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      });
    } else this.mode = 'plain';
  }

  private feed(chunk: Buffer, cb: TransformCallback): void {
    if (this.mode === 'gzip' && this.gunzip) {
      this.gunzip.write(chunk, (err) => {
        if (!err) cb();
      });
    } else if (this.mode === 'zstd' && this.zstd) {
      try {
        this.zstd.push(chunk);
        cb();
      } catch (err) {
        cb(new InputError(`zstd: ${err instanceof Error ? err.message : String(err)}`));
      }
    } else cb(null, chunk);
  }

  private finish(cb: TransformCallback): void {
    if (this.mode === 'gzip' && this.gunzip) {
      const gz = this.gunzip;
      gz.once('end', () => cb());
      gz.end();
    } else if (this.mode === 'zstd' && this.zstd) {
      try {
        this.zstd.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(new InputError(`zstd: ${err instanceof Error ? err.message : String(err)}`));
      }
    } else cb();
  }
}
