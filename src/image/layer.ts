import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { InputError, RampartError } from '../core/index.js';
import { type BlobFile, runBlobWorker } from './blob-worker.js';
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
import { EntryLimitError, type EntrySink, type TarEntryHandler, TarWalker } from './tar-walk.js';

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
  /** File blobs at least this large are hashed (and gunzipped) in a worker thread; default BLOB_WORKER_MIN_BYTES. */
  workerMinBytes?: number;
}

/**
 * Starting a worker costs tens of ms of CPU (measured ~15 ms on this thread, ~90 ms in all under load): images with
 * many small layers would pay more than the worker saves, so small blobs are hashed on this thread.
 */
export const BLOB_WORKER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Where a layer's bytes come from. `open` always works (and is called again for the rare second pass); `file` is set
 * when the blob sits in a regular file (OCI layout blob, entry of a `docker save` tar), which allows the fast path:
 * digest in a worker thread, positioned reads that skip unwanted bodies.
 */
export interface LayerSource {
  open(): Promise<Readable>;
  file?: BlobFile;
}

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
/** zlib output chunk: the 16 KiB default costs a stream round-trip per 16 KiB; 256 KiB measured faster. */
const GUNZIP_CHUNK = 256 * 1024;
/** Positioned reads of a plain tar: one read covers many small entries; larger unwanted bodies are skipped. */
const READ_WINDOW = 512 * 1024;

/** A streaming scan that needs byte ranges of its file once more (read in a second pass over the layer). */
interface PendingEntry {
  ordinal: number;
  path: string;
  scans: PendingScan[];
}

/** Catalogers' work on entries already read; awaited as the walk goes so buffered files do not pile up. */
type Work = Array<Promise<void>>;

async function drain(work: Work): Promise<void> {
  while (work.length > 0) await Promise.all(work.splice(0));
}

/**
 * Reads one layer blob (gzip, zstd or plain tar, sniffed from the magic bytes), verifying its digest on the way.
 * Nothing is written to disk; only files a cataloger wants are buffered, one at a time, and binaries are scanned
 * chunk by chunk without being held.
 */
export async function analyzeLayer(source: LayerSource, opts: LayerReadOptions): Promise<LayerAnalysis> {
  const result = emptyLayerAnalysis();
  const pending: PendingEntry[] = [];
  const hardlinks: Array<{ path: string; target: string }> = [];
  const work: Work = [];
  const read = await walkLayer(source, opts, true, work, entryHandler(result, pending, hardlinks, work, opts));
  // A hardlink shares the content of an earlier entry of the same layer: reuse what was found there.
  for (const { path, target } of hardlinks) {
    const found = result.files[target];
    if (found && result.entries[path]?.[0] === 'h') result.files[path] = relocate(found, target, path);
  }
  result.uncompressedBytes = read.uncompressedBytes;
  if (read.diffId) result.diffId = read.diffId;
  if (pending.length > 0) await completePending(source, pending, result, opts);
  return result;
}

/** Second pass for scans that need ranges which passed before they knew about them (rare: cargo-auditable). */
async function completePending(
  source: LayerSource,
  pending: PendingEntry[],
  result: LayerAnalysis,
  opts: LayerReadOptions,
) {
  const byOrdinal = new Map(pending.map((p) => [p.ordinal, p]));
  const parts = new Map<number, Buffer[][]>();
  await walkLayer(source, { ...opts, computeDiffId: false }, false, [], (_header, ordinal) => {
    const entry = byOrdinal.get(ordinal);
    if (!entry) return undefined;
    const scanner = new StreamScanner();
    const captures = entry.scans.map((scan) => scan.needs.map((n) => scanner.capture(n.offset, n.length)));
    return {
      data: (chunk) => scanner.push(chunk),
      end: () => {
        parts.set(
          ordinal,
          captures.map((list) => list.map((c) => c.buf.subarray(0, c.filled))),
        );
      },
    };
  });
  for (const entry of pending) {
    const got = parts.get(entry.ordinal);
    if (!got) {
      result.problems.push({ path: `/${entry.path}`, message: 'not found again on the second read of its layer' });
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

/**
 * Decompresses, bounds, (with `verify`) hashes and untars one layer, handing every entry to `onEntry`. File blobs
 * in plain tar or gzip take the fast path; everything else (registry streams, zstd) streams through one pipeline.
 */
async function walkLayer(
  source: LayerSource,
  opts: LayerReadOptions,
  verify: boolean,
  work: Work,
  onEntry: TarEntryHandler,
): Promise<StreamedLayer> {
  const { label, limits } = opts;
  const walker = new TarWalker(onEntry, limits.maxEntries);
  try {
    let read: WalkResult;
    const format = source.file ? sniffFile(source.file) : undefined;
    const walk: Walk = { walker, work, opts, verify };
    const big = source.file !== undefined && source.file.length >= (opts.workerMinBytes ?? BLOB_WORKER_MIN_BYTES);
    if (source.file && format === 'plain') read = await walkPlainFile(source.file, walk, big);
    else if (source.file && format === 'gzip' && big) read = await walkGzipFile(source.file, walk);
    else read = await walkStream(await source.open(), walk);
    if (verify && opts.expectedDigest && opts.expectedDigest !== read.rawDigest) {
      throw new InputError(
        `digest mismatch for layer ${label}: expected ${opts.expectedDigest}, got ${read.rawDigest}`,
      );
    }
    return { uncompressedBytes: read.uncompressedBytes, ...(read.diffId ? { diffId: read.diffId } : {}) };
  } catch (err) {
    if (err instanceof EntryLimitError) {
      throw new InputError(`layer ${label} has more than ${err.limit} entries (limit)`);
    }
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes(label)) throw err;
    throw new InputError(`cannot read layer ${label}: ${message}`, {}, { cause: err });
  }
}

/** One walk over a layer: the parser, the catalogers' outstanding work, and whether to hash. */
interface Walk {
  walker: TarWalker;
  work: Work;
  opts: LayerReadOptions;
  verify: boolean;
}

interface WalkResult extends StreamedLayer {
  rawDigest?: string;
}

function sniffFile(file: BlobFile): 'plain' | 'gzip' | 'zstd' {
  const head = Buffer.alloc(4);
  const fd = openSync(file.path, 'r');
  try {
    readSync(fd, head, 0, Math.min(4, file.length), file.start);
  } finally {
    closeSync(fd);
  }
  if (file.length >= 2 && GZIP.every((b, i) => head[i] === b)) return 'gzip';
  if (file.length >= 4 && ZSTD.every((b, i) => head[i] === b)) return 'zstd';
  return 'plain';
}

const hex = (h: string | undefined) => (h ? `sha256:${h}` : undefined);

/**
 * A plain tar in a file, read by position READ_WINDOW at a time. With `inWorker`, a worker thread hashes every byte
 * (the blob digest, which is also the diffID) and this thread jumps over bodies nobody wants; otherwise (small
 * blobs) this thread reads and hashes every byte itself.
 */
async function walkPlainFile(
  file: BlobFile,
  { walker, work, opts, verify }: Walk,
  inWorker: boolean,
): Promise<WalkResult> {
  checkExpansion(file.length, file.length, false, opts.limits, opts.label);
  const hashing = verify && (opts.expectedDigest || opts.computeDiffId);
  const hasher = hashing && inWorker ? runBlobWorker(file, { hashRaw: true }) : undefined;
  hasher?.done.catch(() => {});
  const hashHere = hashing && !inWorker ? createHash('sha256') : undefined;
  try {
    const fd = openSync(file.path, 'r');
    try {
      const window = Buffer.allocUnsafe(Math.min(READ_WINDOW, Math.max(file.length, 1)));
      let pos = 0;
      while (pos < file.length) {
        const skip = hashHere ? 0 : walker.skippable();
        if (skip > 0 && pos + skip <= file.length) {
          walker.skip(skip);
          pos += skip;
          continue;
        }
        const got = readSync(fd, window, 0, Math.min(window.length, file.length - pos), file.start + pos);
        if (got === 0) break;
        const chunk = got === window.length ? window : window.subarray(0, got);
        hashHere?.update(chunk);
        walker.push(chunk);
        pos += got;
        if (work.length > 0) await drain(work);
      }
    } finally {
      closeSync(fd);
    }
    walker.end();
    await drain(work);
  } catch (err) {
    hasher?.cancel();
    throw err;
  }
  const digest = hashHere ? `sha256:${hashHere.digest('hex')}` : hex((await hasher?.done)?.rawSha256);
  const out: WalkResult = { uncompressedBytes: file.length };
  if (digest) out.rawDigest = digest;
  if (digest && opts.computeDiffId) out.diffId = digest;
  return out;
}

/**
 * A gzip blob in a file: a worker thread reads, hashes and gunzips it, this thread parses the output as it comes,
 * so inflating and parsing run side by side.
 */
async function walkGzipFile(file: BlobFile, { walker, work, opts, verify }: Walk): Promise<WalkResult> {
  const { limits, label } = opts;
  let uncompressed = 0;
  const run = runBlobWorker(file, {
    hashRaw: verify && Boolean(opts.expectedDigest),
    gunzip: {
      hashInflated: verify && Boolean(opts.computeDiffId),
      chunkSize: GUNZIP_CHUNK,
      onChunk: async (chunk, compressedBytes) => {
        uncompressed += chunk.length;
        checkExpansion(uncompressed, compressedBytes, true, limits, label);
        walker.push(chunk);
        if (work.length > 0) await drain(work);
      },
    },
  });
  const r = await run.done;
  walker.end();
  await drain(work);
  const out: WalkResult = { uncompressedBytes: uncompressed };
  const raw = hex(r.rawSha256);
  const inflated = hex(r.inflatedSha256);
  if (raw) out.rawDigest = raw;
  if (inflated) out.diffId = inflated;
  return out;
}

/** The layer bounds: absolute size, and (for compressed layers past 64 MiB) the expansion ratio. */
function checkExpansion(
  uncompressed: number,
  compressed: number,
  isCompressed: boolean,
  limits: ImageLimits,
  label: string,
): void {
  if (uncompressed > limits.maxLayerBytes) {
    throw new InputError(`layer ${label} is larger than ${limits.maxLayerBytes} bytes uncompressed (limit)`);
  }
  if (isCompressed && uncompressed > 64 * 1024 * 1024 && uncompressed > compressed * limits.maxCompressionRatio) {
    throw new InputError(`layer ${label} expands more than ${limits.maxCompressionRatio}x (decompression bomb?)`);
  }
}

/** Any readable (registry blob, zstd layer): hashed and decompressed on this thread, parsed by the same walker. */
async function walkStream(raw: Readable, { walker, work, opts, verify }: Walk): Promise<WalkResult> {
  const { limits, label } = opts;
  const computeDiffId = verify && opts.computeDiffId;
  // Plain tar layers: the blob digest is also the diffID, so the bytes are hashed once.
  const rawHash = verify && (opts.expectedDigest || computeDiffId) ? createHash('sha256') : undefined;
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
  const parser = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        uncompressedBytes += chunk.length;
        if (computeDiffId && sniffer.compressed) {
          diffHash ??= createHash('sha256');
          diffHash.update(chunk);
        }
        checkExpansion(uncompressedBytes, compressedBytes, sniffer.compressed, limits, label);
        walker.push(chunk);
      } catch (err) {
        cb(err as Error);
        return;
      }
      if (work.length === 0) cb();
      else drain(work).then(() => cb(), cb);
    },
    final(cb) {
      try {
        walker.end();
      } catch (err) {
        cb(err as Error);
        return;
      }
      drain(work).then(() => cb(), cb);
    },
  });
  // pipeline() reports the first error and then destroys every stage with it; these late re-emissions have
  // nobody left to listen.
  for (const stage of [meter, sniffer, parser]) stage.on('error', () => {});
  await pipeline(raw, meter, sniffer, parser);
  const rawDigest = rawHash ? `sha256:${rawHash.digest('hex')}` : undefined;
  const out: WalkResult = { uncompressedBytes };
  if (rawDigest) out.rawDigest = rawDigest;
  if (computeDiffId) {
    const diffId = sniffer.compressed ? diffHash && `sha256:${diffHash.digest('hex')}` : rawDigest;
    if (diffId) out.diffId = diffId;
  }
  return out;
}

interface WantedFile {
  path: string;
  mode: number;
  size: number;
  buffering: Cataloger[];
  streaming: Cataloger[];
}

/** Shared, never mutated: one small array per entry was a measurable share of the garbage. */
const FILE: [EntryKind] = ['f'];
const DIRECTORY: [EntryKind] = ['d'];
const OTHER: [EntryKind] = ['o'];

function entryHandler(
  result: LayerAnalysis,
  pending: PendingEntry[],
  hardlinks: Array<{ path: string; target: string }>,
  work: Work,
  opts: LayerReadOptions,
): TarEntryHandler {
  return (header, ordinal) => {
    const path = normalizeTarPath(header.name);
    if (path === '') return undefined;
    const name = baseName(path);
    if (name.startsWith('.wh.')) {
      if (name === '.wh..wh..opq') result.opaque.push(parentOf(path));
      else {
        const dir = parentOf(path);
        const target = name.slice(4);
        result.whiteouts.push(dir ? `${dir}/${target}` : target);
      }
      return undefined;
    }
    switch (header.type) {
      case 'directory':
        result.entries[path] = DIRECTORY;
        return undefined;
      case 'symlink':
        result.entries[path] = ['l', header.linkname];
        return undefined;
      case 'link': {
        const target = normalizeTarPath(header.linkname);
        result.entries[path] = ['h', target];
        if (opts.catalogers.some((c) => c.wants(path, header.mode, header.size))) hardlinks.push({ path, target });
        return undefined;
      }
      case 'file':
        break;
      default:
        result.entries[path] = OTHER;
        return undefined;
    }
    result.entries[path] = FILE;
    const { mode, size } = header;
    let wanting: Cataloger[] | undefined;
    for (const c of opts.catalogers) if (c.wants(path, mode, size)) (wanting ??= []).push(c);
    if (!wanting) return undefined;
    const streaming = wanting.filter((c) => c.scan);
    const buffering = wanting.filter((c) => !c.scan);
    if (buffering.length > 0 && size > opts.limits.maxFileBytes) {
      result.problems.push({ path, message: `not read: ${size} bytes is over the per-file limit` });
      if (streaming.length === 0) return undefined;
      buffering.length = 0;
    }
    const file: WantedFile = { path, mode, size, buffering, streaming };
    return new EntryReader(file, (data, scans) => {
      const done = finishEntry(file, data, scans, ordinal, result, pending, opts);
      done.catch(() => {});
      work.push(done);
    });
  };
}

async function finishEntry(
  file: WantedFile,
  data: Buffer | undefined,
  scans: FileScan[],
  ordinal: number,
  result: LayerAnalysis,
  pending: PendingEntry[],
  opts: LayerReadOptions,
): Promise<void> {
  const { path, mode } = file;
  const found: Array<FileFindings | undefined> = [];
  if (data) found.push(await runCatalogers(file.buffering, { path, data, mode }, opts.context));
  const waiting: PendingScan[] = [];
  for (const scan of scans) {
    const r = scan.finish();
    if (isPendingScan(r)) waiting.push(r);
    else found.push(r);
  }
  const merged = mergeFindings(found);
  if (merged) result.files[path] = merged;
  if (waiting.length > 0) pending.push({ ordinal, path, scans: waiting });
}

/**
 * Reads one wanted entry: buffers it for `buffering` catalogers (unless no cataloger's magic matches its first bytes)
 * and feeds every chunk to the streaming scans, which keep only what they look for.
 */
class EntryReader implements EntrySink {
  private buffer: Buffer | undefined;
  private filled = 0;
  private scans: FileScan[] | undefined;
  private first = true;

  constructor(
    private readonly file: WantedFile,
    private readonly onEnd: (data: Buffer | undefined, scans: FileScan[]) => void,
  ) {}

  data(chunk: Buffer): void {
    const { buffering, streaming, path, size } = this.file;
    if (this.first) {
      this.first = false;
      // Magic bytes decide on the first chunk: files that are nobody's format are drained unread.
      const sure = chunk.length >= 8;
      const keep = buffering.length > 0 && (!sure || buffering.some((c) => !c.magic || c.magic(chunk)));
      this.scans = streaming.filter((c) => !sure || !c.magic || c.magic(chunk)).map((c) => startScan(c, path, size));
      if (keep) this.buffer = Buffer.allocUnsafe(size);
    }
    if (this.buffer) {
      const n = Math.min(chunk.length, size - this.filled);
      chunk.copy(this.buffer, this.filled, 0, n);
      this.filled += n;
    }
    if (this.scans) for (const scan of this.scans) scan.push(chunk);
  }

  end(): void {
    let data: Buffer | undefined;
    if (this.buffer) {
      const whole = this.buffer.subarray(0, this.filled);
      const { buffering } = this.file;
      if (buffering.some((c) => !c.magic) || buffering.some((c) => c.magic?.(whole))) data = whole;
    }
    this.onEnd(data, this.scans ?? []);
  }
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
