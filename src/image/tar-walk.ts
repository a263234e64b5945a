import {
  decodeTarHeader,
  ExtendedHeaders,
  MAX_EXTENDED_HEADER,
  type RawTarHeader,
  TAR_BLOCK,
  type TarHeader,
} from './tar-header.js';

/** Receives the body of one entry. */
export interface EntrySink {
  /** A piece of the body, in order. Valid only during the call: the caller may reuse the buffer afterwards. */
  data(chunk: Buffer): void;
  end(): void;
}

/**
 * Called for every entry (extended headers already applied); returns a sink for the body, or undefined when nobody
 * wants it (the body is then discarded without a copy, or skipped unread by a positioned reader).
 */
export type TarEntryHandler = (header: TarHeader, ordinal: number) => EntrySink | undefined;

const padOf = (size: number) => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/**
 * A synchronous push parser for one tar stream: bytes go in through `push` in any chunking, entries come out
 * through the handler. Unlike a stream-per-entry parser, an unwanted body costs nothing but arithmetic, and a reader
 * that can seek asks `skippable()` and jumps over it (the layer's digest is computed elsewhere over every byte).
 */
export class TarWalker {
  /** Bytes consumed so far (pushed or skipped). */
  position = 0;
  entries = 0;
  private readonly extended = new ExtendedHeaders();
  private readonly headerBlock = Buffer.alloc(TAR_BLOCK);
  private headerFill = 0;
  /** Body bytes of the current entry still to come. */
  private remaining = 0;
  private paddingAfter = 0;
  private padding = 0;
  private sink: EntrySink | undefined;
  private extendedRaw: RawTarHeader | undefined;
  private extendedBody: Buffer | undefined;
  private extendedFill = 0;

  constructor(
    private readonly onEntry: TarEntryHandler,
    private readonly maxEntries: number,
  ) {}

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        if (this.sink) this.sink.data(take === n && i === 0 ? chunk : chunk.subarray(i, i + take));
        else if (this.extendedBody) {
          chunk.copy(this.extendedBody, this.extendedFill, i, i + take);
          this.extendedFill += take;
        }
        this.remaining -= take;
        i += take;
        this.position += take;
        if (this.remaining === 0) this.bodyDone();
      } else if (this.padding > 0) {
        const take = Math.min(this.padding, n - i);
        this.padding -= take;
        i += take;
        this.position += take;
      } else if (this.headerFill === 0 && n - i >= TAR_BLOCK) {
        const at = this.position;
        this.position += TAR_BLOCK;
        this.header(chunk.subarray(i, i + TAR_BLOCK), at);
        i += TAR_BLOCK;
      } else {
        const take = Math.min(TAR_BLOCK - this.headerFill, n - i);
        chunk.copy(this.headerBlock, this.headerFill, i, i + take);
        this.headerFill += take;
        i += take;
        this.position += take;
        if (this.headerFill === TAR_BLOCK) {
          this.headerFill = 0;
          this.header(this.headerBlock, this.position - TAR_BLOCK);
        }
      }
    }
  }

  /** Bytes that may be skipped without being read: the rest of an unwanted body and its padding. */
  skippable(): number {
    if (this.remaining > 0) return this.sink || this.extendedBody ? 0 : this.remaining + this.paddingAfter;
    return this.padding;
  }

  /** Skips exactly `skippable()` bytes. */
  skip(bytes: number): void {
    if (bytes !== this.skippable()) throw new Error('tar walker: skip must cover the whole unwanted body');
    this.position += bytes;
    this.remaining = 0;
    this.paddingAfter = 0;
    this.padding = 0;
  }

  /** The input ended: fails when it stopped inside a header or an entry's body. */
  end(): void {
    if (this.remaining > 0 || this.headerFill > 0) {
      throw new Error(`unexpected end of tar data at byte ${this.position} (truncated layer)`);
    }
  }

  private header(block: Buffer, at: number): void {
    let raw: RawTarHeader | undefined;
    try {
      raw = decodeTarHeader(block);
    } catch (err) {
      throw new Error(`tar header at byte ${at}: ${(err as Error).message}`);
    }
    if (!raw) return; // zero block: end-of-archive marker or padding
    if (!Number.isSafeInteger(raw.size) || raw.size < 0) throw new Error(`tar header at byte ${at}: invalid size`);
    this.paddingAfter = padOf(raw.size);
    if (ExtendedHeaders.isExtended(raw)) {
      if (raw.size > MAX_EXTENDED_HEADER) throw new Error(`tar header at byte ${at}: oversized extended header`);
      this.extendedRaw = raw;
      this.extendedBody = Buffer.alloc(raw.size);
      this.extendedFill = 0;
      this.remaining = raw.size;
      if (raw.size === 0) this.bodyDone();
      return;
    }
    if (++this.entries > this.maxEntries) throw new EntryLimitError(this.maxEntries);
    const header = this.extended.apply(raw);
    if (!Number.isSafeInteger(header.size) || header.size < 0) {
      throw new Error(`tar header at byte ${at}: invalid size`);
    }
    this.paddingAfter = padOf(header.size);
    this.sink = this.onEntry(header, this.entries - 1);
    this.remaining = header.size;
    if (header.size === 0) this.bodyDone();
  }

  private bodyDone(): void {
    const sink = this.sink;
    this.sink = undefined;
    if (this.extendedBody && this.extendedRaw) {
      this.extended.take(this.extendedRaw, this.extendedBody);
      this.extendedBody = undefined;
      this.extendedRaw = undefined;
    }
    this.padding = this.paddingAfter;
    this.paddingAfter = 0;
    sink?.end();
  }
}

/** More entries than the limit allows (the layer reader words the message). */
export class EntryLimitError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} entries`);
  }
}
