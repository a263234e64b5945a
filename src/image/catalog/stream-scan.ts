/**
 * Pattern search and byte-range capture over a file that arrives in chunks, so large binaries are inspected
 * without ever being held in memory whole. Matches that straddle two chunks are found through a short carried tail.
 */

/** A byte range of the file being copied out as the chunks pass by. */
export interface Capture {
  start: number;
  end: number;
  buf: Buffer;
  /** Bytes copied so far, contiguous from `start`. */
  filled: number;
  onComplete?: (c: Capture) => void;
}

export function captureComplete(c: Capture): boolean {
  return c.filled === c.end - c.start;
}

interface Needle {
  bytes: Buffer;
  /** The part searched for in whole chunks (a full match is then checked around it). */
  key: Buffer;
  keyAt: number;
  onMatch: (offset: number) => void;
}

/** The longest needle minus one: how much of the previous chunk is kept for straddling matches. */
const CARRY = 31;

export class StreamScanner {
  /** Absolute offset of the next chunk. */
  pos = 0;
  private tail = Buffer.alloc(0);
  private open: Capture[] = [];
  private readonly needles: Needle[] = [];

  /**
   * Calls `onMatch(offset)` for every occurrence of `bytes` (at most 32 bytes) in the file, in file order. `key`
   * (start, end) picks the part of `bytes` that Buffer.indexOf looks for: its speed depends a lot on the needle
   * (measured on 111 MB of binaries: a 16-byte needle ~65 ms, a 4-byte part of it ~13 ms; `.dep-v0\0` ~88 ms,
   * `dep-v0\0` ~15 ms). Every hit of the key is checked against the whole of `bytes`, so the matches are the same.
   */
  watch(bytes: Buffer, onMatch: (offset: number) => void, key: [number, number] = [0, bytes.length]): void {
    if (bytes.length > CARRY + 1) throw new Error('needle too long');
    const [start, end] = key;
    if (start < 0 || end > bytes.length || end <= start) throw new Error('bad needle key');
    this.needles.push({ bytes, key: bytes.subarray(start, end), keyAt: start, onMatch });
  }

  /**
   * Copies [start, start + length) as it streams by. A range that already passed (beyond the carried tail) stays
   * incomplete: the caller sees `captureComplete` false and can ask for a second read.
   */
  capture(start: number, length: number, onComplete?: (c: Capture) => void): Capture {
    const c: Capture = { start, end: start + length, buf: Buffer.allocUnsafe(length), filled: 0 };
    if (onComplete) c.onComplete = onComplete;
    if (length === 0) {
      onComplete?.(c);
      return c;
    }
    this.open.push(c);
    this.fill(c, this.tail, this.pos - this.tail.length);
    return c;
  }

  push(chunk: Buffer): void {
    const pos = this.pos;
    if (this.needles.length > 0) {
      if (this.tail.length > 0) {
        const boundary = Buffer.concat([this.tail, chunk.subarray(0, CARRY)]);
        const base = pos - this.tail.length;
        for (const n of this.needles) {
          // Only matches that start in the tail and end in this chunk: the others were or will be seen whole.
          const from = Math.max(0, this.tail.length - n.bytes.length + 1);
          for (let at = boundary.indexOf(n.bytes, from); at !== -1 && at < this.tail.length; ) {
            n.onMatch(base + at);
            at = boundary.indexOf(n.bytes, at + 1);
          }
        }
      }
      for (const n of this.needles) {
        const { bytes, key, keyAt } = n;
        const last = chunk.length - bytes.length;
        for (let k = chunk.indexOf(key, keyAt); k !== -1; k = chunk.indexOf(key, k + 1)) {
          const at = k - keyAt;
          // Matches that straddle the chunk's edges are the boundary search's (above, or on the next push).
          if (at > last) break;
          if (key.length === bytes.length || chunk.compare(bytes, 0, bytes.length, at, at + bytes.length) === 0) {
            n.onMatch(pos + at);
          }
        }
      }
    }
    // Captures registered while filling (from onComplete) are appended and filled in the same loop.
    for (let i = 0; i < this.open.length; i++) this.fill(this.open[i] as Capture, chunk, pos);
    const next = pos + chunk.length;
    // Keep what can still be filled: incomplete and not already skipped past.
    if (this.open.length > 0) this.open = this.open.filter((c) => !captureComplete(c) && c.start + c.filled >= next);
    this.pos = next;
    if (chunk.length >= CARRY) this.tail = Buffer.from(chunk.subarray(chunk.length - CARRY));
    else this.tail = Buffer.concat([this.tail, chunk]).subarray(-CARRY);
  }

  private fill(c: Capture, buf: Buffer, bufStart: number): void {
    const from = c.start + c.filled;
    const to = Math.min(c.end, bufStart + buf.length);
    if (from < bufStart || from >= to) return;
    buf.copy(c.buf, c.filled, from - bufStart, to - bufStart);
    c.filled += to - from;
    if (captureComplete(c)) c.onComplete?.(c);
  }
}
