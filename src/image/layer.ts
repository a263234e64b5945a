import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import * as tar from 'tar-stream';
import { InputError, RampartError } from '../core/index.js';
import { StreamScanner } from './catalog/stream-scan.js';
import {
  type CatalogContext,
  type Cataloger,
  type FileFindings,
  type FileScan,
  isPendingScan,
  type PendingScan,
} from './catalog/types.js';
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
  /** Opens the same blob again, for the rare second pass (see `PendingScan`). */
  reopen?: () => Promise<Readable>;
}

/** A tar entry's content stream as tar-stream hands it out. */
type EntryStream = tar.Extract extends AsyncIterable<infer S> ? S : never;

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
/** zlib output chunk: the 16 KiB default costs a stream round-trip per 16 KiB; 256 KiB measured faster. */
const GUNZIP_CHUNK = 256 * 1024;

/** A streaming scan that needs byte ranges of its file once more (read in a second pass over the layer). */
interface PendingEntry {
  ordinal: number;
  path: string;
  scans: PendingScan[];
}

/** Returns a promise only when the entry needs asynchronous work; the common case stays synchronous. */
type LayerEntryHandler = (header: tar.Header, stream: EntryStream, ordinal: number) => Promise<void> | undefined;

/**
 * Streams one layer blob (gzip, zstd or plain tar, sniffed from the magic bytes) through tar-stream, verifying its
 * digest on the way. Nothing is written to disk; only files a cataloger wants are buffered, one at a time, and
 * binaries are scanned chunk by chunk without being held.
 */
export async function analyzeLayer(raw: Readable, opts: LayerReadOptions): Promise<LayerAnalysis> {
  const result = emptyLayerAnalysis();
  const pending: PendingEntry[] = [];
  const read = await streamLayer(raw, opts, (header, stream, ordinal) =>
    handleEntry(header, stream, ordinal, result, pending, opts),
  );
  result.uncompressedBytes = read.uncompressedBytes;
  if (read.diffId) result.diffId = read.diffId;
  if (pending.length > 0) await completePending(pending, result, opts);
  return result;
}

/** Second pass for scans that need ranges which passed before they knew about them (rare: cargo-auditable). */
async function completePending(pending: PendingEntry[], result: LayerAnalysis, opts: LayerReadOptions) {
  const byOrdinal = new Map(pending.map((p) => [p.ordinal, p]));
  const parts = new Map<number, Buffer[][]>();
  if (opts.reopen) {
    await streamLayer(await opts.reopen(), { ...opts, computeDiffId: false }, (_header, stream, ordinal) => {
      const entry = byOrdinal.get(ordinal);
      if (!entry) {
        stream.resume();
        return undefined;
      }
      const scanner = new StreamScanner();
      const captures = entry.scans.map((scan) => scan.needs.map((n) => scanner.capture(n.offset, n.length)));
      stream.on('data', (chunk) => scanner.push(chunk as Buffer));
      return new Promise<void>((done, fail) => {
        stream.on('end', () => {
          parts.set(
            ordinal,
            captures.map((list) => list.map((c) => c.buf.subarray(0, c.filled))),
          );
          done();
        });
        stream.on('error', fail);
      });
    });
  }
  for (const entry of pending) {
    const got = parts.get(entry.ordinal);
    if (!got) {
      result.problems.push({
        path: `/${entry.path}`,
        message: 'needs a second read of its layer, which this source cannot give',
      });
      continue;
    }
    const findings = entry.scans.map((scan, i) => scan.complete(got[i] ?? []));
    const merged = mergeFindings([result.files[entry.path], ...findings]);
    if (merged) result.files[entry.path] = merged;
  }
}

interface StreamedLayer {
  uncompressedBytes: number;
  diffId?: string;
}

/** Decompresses, bounds, hashes and untars one layer, handing every entry to `onEntry`. */
async function streamLayer(raw: Readable, opts: LayerReadOptions, onEntry: LayerEntryHandler): Promise<StreamedLayer> {
  const { limits, label } = opts;
  // Plain tar layers: the blob digest is also the diffID, so the bytes are hashed once.
  const rawHash = opts.expectedDigest || opts.computeDiffId ? createHash('sha256') : undefined;
  let diffHash: ReturnType<typeof createHash> | undefined;
  let compressedBytes = 0;
  let uncompressedBytes = 0;

  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      compressedBytes += chunk.length;
      rawHash?.update(chunk);
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
      if (opts.computeDiffId && sniffer.compressed) {
        diffHash ??= createHash('sha256');
        diffHash.update(chunk);
      }
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
    const ordinal = entryCount++;
    if (entryCount > limits.maxEntries) {
      stream.resume();
      next(new InputError(`layer ${label} has more than ${limits.maxEntries} entries (limit)`));
      return;
    }
    let work: Promise<void> | undefined;
    try {
      work = onEntry(header, stream, ordinal);
    } catch (err) {
      stream.resume();
      next(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // A microtask, not a direct call: a direct next() re-enters tar-stream once per entry of the chunk.
    if (!work) queueMicrotask(next);
    else
      work.then(
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
  const rawDigest = rawHash ? `sha256:${rawHash.digest('hex')}` : undefined;
  if (opts.expectedDigest && opts.expectedDigest !== rawDigest) {
    throw new InputError(`digest mismatch for layer ${label}: expected ${opts.expectedDigest}, got ${rawDigest}`);
  }
  const out: StreamedLayer = { uncompressedBytes };
  if (opts.computeDiffId) {
    const diffId = sniffer.compressed ? diffHash && `sha256:${diffHash.digest('hex')}` : rawDigest;
    if (diffId) out.diffId = diffId;
  }
  return out;
}

function handleEntry(
  header: tar.Header,
  stream: EntryStream,
  ordinal: number,
  result: LayerAnalysis,
  pending: PendingEntry[],
  opts: LayerReadOptions,
): Promise<void> | undefined {
  const path = normalizeTarPath(header.name);
  if (path === '') {
    stream.resume();
    return undefined;
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
    return undefined;
  }
  switch (header.type) {
    case 'directory':
      result.entries[path] = ['d'];
      stream.resume();
      return undefined;
    case 'symlink':
      result.entries[path] = ['l', header.linkname ?? ''];
      stream.resume();
      return undefined;
    case 'link': {
      const target = normalizeTarPath(header.linkname ?? '');
      result.entries[path] = ['h', target];
      // A hardlink shares the content of an earlier entry of the same layer: reuse what was found there.
      const found = result.files[target];
      if (found && opts.catalogers.some((c) => c.wants(path, header.mode ?? 0, header.size ?? 0))) {
        result.files[path] = relocate(found, target, path);
      }
      stream.resume();
      return undefined;
    }
    case 'file':
    case 'contiguous-file':
      break;
    default:
      result.entries[path] = ['o'];
      stream.resume();
      return undefined;
  }
  result.entries[path] = ['f'];
  const mode = header.mode ?? 0;
  const size = header.size ?? 0;
  let wanting: Cataloger[] | undefined;
  for (const c of opts.catalogers) if (c.wants(path, mode, size)) (wanting ??= []).push(c);
  if (!wanting) {
    stream.resume();
    return undefined;
  }
  const streaming = wanting.filter((c) => c.scan);
  const buffering = wanting.filter((c) => !c.scan);
  if (buffering.length > 0 && size > opts.limits.maxFileBytes) {
    result.problems.push({ path, message: `not read: ${size} bytes is over the per-file limit` });
    if (streaming.length === 0) {
      stream.resume();
      return undefined;
    }
    buffering.length = 0;
  }
  return readEntry(stream, path, size, buffering, streaming).then(async ({ data, scans }) => {
    const found: Array<FileFindings | undefined> = [];
    if (data) found.push(await runCatalogers(buffering, { path, data, mode }, opts.context));
    const waiting: PendingScan[] = [];
    for (const scan of scans) {
      const r = scan.finish();
      if (isPendingScan(r)) waiting.push(r);
      else found.push(r);
    }
    const merged = mergeFindings(found);
    if (merged) result.files[path] = merged;
    if (waiting.length > 0) pending.push({ ordinal, path, scans: waiting });
  });
}

/**
 * Reads one entry: buffers it for `buffering` catalogers (unless no cataloger's magic matches its first bytes) and
 * feeds every chunk to the streaming scans, which keep only what they look for.
 */
function readEntry(
  stream: EntryStream,
  path: string,
  size: number,
  buffering: Cataloger[],
  streaming: Cataloger[],
): Promise<{ data?: Buffer; scans: FileScan[] }> {
  return new Promise((resolve, reject) => {
    let data: Buffer | undefined;
    let filled = 0;
    let scans: FileScan[] | undefined;
    let first = true;
    let keep = buffering.length > 0;
    stream.on('data', (data_: unknown) => {
      const chunk = data_ as Buffer;
      if (first) {
        first = false;
        // Magic bytes decide on the first chunk: files that are nobody's format are drained unread.
        const head = chunk;
        const sure = head.length >= 8;
        keep = keep && (!sure || buffering.some((c) => !c.magic || c.magic(head)));
        scans = streaming.filter((c) => !sure || !c.magic || c.magic(head)).map((c) => startScan(c, path, size));
        if (keep) data = Buffer.allocUnsafe(size);
      }
      if (data) {
        const n = Math.min(chunk.length, size - filled);
        chunk.copy(data, filled, 0, n);
        filled += n;
      }
      if (scans) for (const scan of scans) scan.push(chunk);
    });
    stream.on('end', () => {
      const out: { data?: Buffer; scans: FileScan[] } = { scans: scans ?? [] };
      if (data) {
        const whole = data.subarray(0, filled);
        if (buffering.some((c) => !c.magic) || buffering.some((c) => c.magic?.(whole))) out.data = whole;
      }
      resolve(out);
    });
    stream.on('error', reject);
  });
}

function startScan(c: Cataloger, path: string, size: number): FileScan {
  if (!c.scan) throw new Error(`${c.name} cannot stream`);
  return c.scan(path, size);
}

function mergeFindings(list: Array<FileFindings | undefined>): FileFindings | undefined {
  const merged: FileFindings = {};
  for (const found of list) {
    if (!found) continue;
    if (found.packages?.length) (merged.packages ??= []).push(...found.packages);
    if (found.distro) merged.distro = found.distro;
    if (found.problems?.length) (merged.problems ??= []).push(...found.problems);
    if (found.ownedFiles?.length) (merged.ownedFiles ??= []).push(...found.ownedFiles);
  }
  return merged.packages || merged.distro || merged.problems || merged.ownedFiles ? merged : undefined;
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
      if (found.ownedFiles?.length) (merged.ownedFiles ??= []).push(...found.ownedFiles);
    } catch (err) {
      const message = err instanceof RampartError ? err.toLine() : err instanceof Error ? err.message : String(err);
      (merged.problems ??= []).push(`${c.name}: ${message}`);
    }
  }
  return merged.packages || merged.distro || merged.problems || merged.ownedFiles ? merged : undefined;
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
      this.gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
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
