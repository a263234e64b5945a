import { Worker } from 'node:worker_threads';

/** A blob stored in a regular file: a whole file (OCI layout) or a byte range of one (an entry of a tar archive). */
export interface BlobFile {
  path: string;
  start: number;
  length: number;
}

export interface BlobWorkerResult {
  /** SHA-256 (hex) of the bytes as stored, when asked for. */
  rawSha256?: string;
  /** SHA-256 (hex) of the gunzipped bytes, when asked for. */
  inflatedSha256?: string;
  /** Bytes read from the file. */
  rawBytes: number;
}

export interface BlobWorkerOptions {
  hashRaw: boolean;
  /** Gunzip the blob and hand the output to `onChunk` (with the count of compressed bytes fed so far). */
  gunzip?: {
    hashInflated: boolean;
    chunkSize: number;
    onChunk: (chunk: Buffer, compressedBytes: number) => void | Promise<void>;
  };
}

export interface BlobWorkerRun {
  done: Promise<BlobWorkerResult>;
  /** Stops the worker (on an error of the caller); `done` then rejects. */
  cancel(): void;
}

/** Output chunks a worker may have in flight before it waits for the reader: bounds the memory held in messages. */
const MAX_IN_FLIGHT = 8;
const READ_SIZE = 1024 * 1024;

/**
 * The worker's code, evaluated as a CommonJS script so it runs the same from sources (tsx) and from dist/ and needs
 * no file of its own. It only uses Node built-ins: positioned reads, SHA-256, zlib.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { createGunzip } = require('node:zlib');
const { path, start, length, hashRaw, gunzip, hashInflated, chunkSize, readSize, maxInFlight } = workerData;
const fd = openSync(path, 'r');
const raw = hashRaw ? createHash('sha256') : null;
const inflated = hashInflated ? createHash('sha256') : null;
// One read buffer, reused: it is handed to zlib only until the write callback says zlib is done with it.
const readBuf = Buffer.allocUnsafe(Math.max(1, Math.min(readSize, length)));
let pos = 0;
function readNext() {
  if (pos >= length) return null;
  const n = readSync(fd, readBuf, 0, Math.min(readBuf.length, length - pos), start + pos);
  if (n === 0) return null;
  pos += n;
  const got = n === readBuf.length ? readBuf : readBuf.subarray(0, n);
  if (raw) raw.update(got);
  return got;
}
function finish() {
  closeSync(fd);
  parentPort.postMessage({
    done: true,
    rawBytes: pos,
    rawSha256: raw ? raw.digest('hex') : undefined,
    inflatedSha256: inflated ? inflated.digest('hex') : undefined,
  });
  parentPort.close();
}
try {
  if (!gunzip) {
    while (readNext() !== null);
    finish();
  } else {
    // Output travels in buffers of chunkSize that the reader transfers back once parsed: a fixed pool, so no
    // garbage piles up on either side.
    const free = [];
    let outstanding = 0;
    let paused = false;
    const gz = createGunzip({ chunkSize });
    gz.on('data', (d) => {
      if (inflated) inflated.update(d);
      for (let off = 0; off < d.length; off += chunkSize) {
        const part = d.subarray(off, Math.min(d.length, off + chunkSize));
        const out = free.pop() || new ArrayBuffer(chunkSize);
        new Uint8Array(out, 0, part.length).set(part);
        outstanding++;
        parentPort.postMessage({ chunk: out, length: part.length, fed: pos }, [out]);
      }
      if (outstanding >= maxInFlight && !paused) {
        paused = true;
        gz.pause();
      }
    });
    parentPort.on('message', (back) => {
      outstanding--;
      if (back instanceof ArrayBuffer && back.byteLength === chunkSize) free.push(back);
      if (paused && outstanding < maxInFlight) {
        paused = false;
        gz.resume();
      }
    });
    gz.on('error', (err) => {
      parentPort.postMessage({ error: 'gzip: ' + err.message });
      parentPort.close();
    });
    gz.on('end', finish);
    const feed = (err) => {
      if (err) return;
      const got = readNext();
      if (got === null) gz.end();
      else gz.write(got, feed);
    };
    feed();
  }
} catch (err) {
  parentPort.postMessage({ error: err && err.message ? err.message : String(err) });
  parentPort.close();
}
`;

interface WorkerMessage {
  done?: boolean;
  error?: string;
  chunk?: ArrayBuffer;
  length?: number;
  fed?: number;
  rawBytes?: number;
  rawSha256?: string;
  inflatedSha256?: string;
}

/**
 * Reads a blob file in a worker thread: SHA-256 of every byte (and optionally gunzip) run on the second core while
 * the main thread parses. Gunzipped output comes back in order through `onChunk`, at most MAX_IN_FLIGHT chunks
 * ahead of it. The worker reads the file by position on its own, so for a plain tar the main thread is free to skip
 * what it does not need; a blob modified in place while both read it would go unnoticed by that split (the image
 * files are the user's own input, not a concurrent adversary's).
 */
export function runBlobWorker(file: BlobFile, options: BlobWorkerOptions): BlobWorkerRun {
  const worker = new Worker(WORKER_CODE, {
    eval: true,
    workerData: {
      path: file.path,
      start: file.start,
      length: file.length,
      hashRaw: options.hashRaw,
      gunzip: Boolean(options.gunzip),
      hashInflated: options.gunzip?.hashInflated ?? false,
      chunkSize: options.gunzip?.chunkSize ?? 0,
      readSize: READ_SIZE,
      maxInFlight: MAX_IN_FLIGHT,
    },
  });
  let settled = false;
  let chain: Promise<void> = Promise.resolve();
  let resolveDone: (r: BlobWorkerResult) => void = () => {};
  let rejectDone: (e: Error) => void = () => {};
  const done = new Promise<BlobWorkerResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    void worker.terminate();
    rejectDone(err);
  };
  worker.on('message', (m: WorkerMessage) => {
    if (settled) return;
    if (m.error !== undefined) {
      fail(new Error(m.error));
    } else if (m.chunk) {
      const buffer = m.chunk;
      const chunk = Buffer.from(buffer, 0, m.length ?? buffer.byteLength);
      const fed = m.fed ?? 0;
      const onChunk = options.gunzip?.onChunk;
      chain = chain.then(async () => {
        if (settled || !onChunk) return;
        await onChunk(chunk, fed);
        // The chunk was only valid during onChunk: its buffer goes back to the worker's pool.
        if (!settled) worker.postMessage(buffer, [buffer]);
      });
      chain.catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
    } else if (m.done) {
      const result: BlobWorkerResult = { rawBytes: m.rawBytes ?? 0 };
      if (m.rawSha256) result.rawSha256 = m.rawSha256;
      if (m.inflatedSha256) result.inflatedSha256 = m.inflatedSha256;
      // Every chunk before `done` is handled before the run counts as done.
      chain.then(
        () => {
          if (settled) return;
          settled = true;
          resolveDone(result);
        },
        () => {},
      );
    }
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => {
    if (!settled) {
      // A normal exit right after `done` is handled by the chain above; anything else is a failure.
      chain.then(
        () => {
          if (!settled) fail(new Error(`blob reader stopped (exit code ${code})`));
        },
        () => {},
      );
    }
  });
  return { done, cancel: () => fail(new Error('cancelled')) };
}
