import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { AdvisoryDb, updateDb } from '../../src/vuln/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

const skip = sharedSkipReason('vulndb');
const GO_IDS = ['GO-2024-2575', 'GO-2024-2554', 'GO-2022-0617'];
let dir: string;
let server: Server;
let base: string;
const requests: string[] = [];
let goZip: Uint8Array;
let updatedRecord: Record<string, unknown>;
let cutFirstZipDownload = true;

function md5Base64(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-update-'));
  if (skip) return;
  // Archives are built in memory from the shared data, in the layout of the OSV bucket.
  const files: Record<string, Uint8Array> = {};
  for (const id of GO_IDS)
    files[`${id}.json`] = strToU8(readFileSync(sharedPath('vulndb', 'Go', `${id}.json`) as string, 'utf8'));
  goZip = zipSync(files);
  const original = JSON.parse(readFileSync(sharedPath('vulndb', 'Go', 'GO-2024-2554.json') as string, 'utf8'));
  updatedRecord = { ...original, modified: '2099-01-01T00:00:00Z', summary: 'updated upstream' };
  const alpine = readFileSync(sharedPath('vulndb', 'Alpine', 'secdb-2020', 'v3.10', 'main.json') as string);
  const tracker = readFileSync(
    sharedPath('vulndb', 'Debian', 'format-samples', 'osv.dev-tracker-json-mock.json') as string,
  );
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(
      `${req.method} ${url}${req.headers.range ? ` ${req.headers.range}` : ''}${req.headers['if-none-match'] ? ' if-none-match' : ''}`,
    );
    if (url === '/osv/Go/all.zip') {
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const body = goZip.subarray(start);
      res.setHeader('x-goog-hash', `crc32c=AAAAAA==,md5=${md5Base64(goZip)}`);
      if (start > 0) {
        res.writeHead(206, {
          'content-range': `bytes ${start}-${goZip.length - 1}/${goZip.length}`,
          'content-length': body.length,
        });
        res.end(body);
        return;
      }
      res.writeHead(200, { 'content-length': goZip.length });
      if (cutFirstZipDownload) {
        // The connection drops half way: the client must keep the part file and resume with a Range request.
        cutFirstZipDownload = false;
        // Give the client time to store the first half before the connection drops (else nothing is left to resume).
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.destroy(), 300));
        return;
      }
      res.end(body);
      return;
    }
    if (url === '/osv/crates.io/all.zip') {
      const body = zipSync({ 'X.json': strToU8('{}') });
      res.writeHead(200, {
        'content-length': body.length,
        'x-goog-hash': `md5=${md5Base64(strToU8('something else'))}`,
      });
      res.end(body);
      return;
    }
    if (url === '/osv/Go/modified_id.csv') {
      res.end(`2099-01-01T00:00:00Z,GO-2024-2554\n0001-01-01T00:00:00Z,GO-2022-0617\n`);
      return;
    }
    if (url === '/osv/Go/GO-2024-2554.json') {
      res.end(JSON.stringify(updatedRecord));
      return;
    }
    if (url === '/alpine/v3.10/main.json') {
      if (req.headers['if-none-match'] === '"secdb-1"') {
        res.writeHead(304);
        res.end();
        return;
      }
      res.writeHead(200, { etag: '"secdb-1"', 'content-length': alpine.length });
      res.end(alpine);
      return;
    }
    if (url === '/debian/json') {
      res.end(tracker);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('db update against a local HTTP server speaking the OSV bucket, secdb and tracker layouts: resumable, checksummed, incremental by modified', {
  skip,
}, async () => {
  const db = AdvisoryDb.open(join(dir, 'advisories.sqlite'));
  try {
    const options = {
      ecosystems: ['Go'],
      alpineBranches: ['v3.10/main'],
      debianTracker: true,
      osvBaseUrl: `${base}/osv`,
      alpineBaseUrl: `${base}/alpine`,
      debianTrackerUrl: `${base}/debian/json`,
      downloadDir: join(dir, 'downloads'),
      now: new Date('2026-11-27T12:00:00Z'),
    };
    // First run: the archive download is cut off; that source fails, the others still update.
    const first = await updateDb(db, options);
    assert.equal(first.errors.length, 1, JSON.stringify(first.errors));
    assert.match(first.errors[0]?.message ?? '', /all\.zip: (interrupted|got \d+ of \d+ bytes).*run again to resume/);
    assert.deepEqual(
      first.sources.map((s) => [s.source, s.mode]),
      [
        ['alpine-secdb:v3.10/main', 'full'],
        ['debian-tracker', 'full'],
      ],
    );
    // Second run resumes the archive with a Range request and checks the declared MD5.
    const second = await updateDb(db, options);
    assert.deepEqual(second.errors, []);
    const go = second.sources.find((s) => s.source === 'osv:Go');
    assert.deepEqual([go?.mode, go?.records], ['full', 3]);
    assert.ok(
      requests.some((r) => /^GET \/osv\/Go\/all\.zip bytes=\d+-$/.test(r)),
      requests.join('\n'),
    );
    assert.equal(second.sources.find((s) => s.source === 'alpine-secdb:v3.10/main')?.mode, 'unchanged', 'ETag → 304');
    // Third run is incremental: only the record modified after the newest stored one is fetched.
    const third = await updateDb(db, { ...options, alpineBranches: [], debianTracker: false });
    const inc = third.sources.find((s) => s.source === 'osv:Go');
    assert.deepEqual([inc?.mode, inc?.records, inc?.written], ['incremental', 1, 1]);
    assert.equal(db.modifiedOf('osv', 'GO-2024-2554'), '2099-01-01T00:00:00Z');
    assert.ok(!requests.includes('GET /osv/Go/GO-2022-0617.json'));
    const status = db.status();
    assert.ok(status.sources.some((s) => s.name === 'osv:Go'));
    assert.ok(status.ecosystems.some((e) => e.ecosystem === 'Alpine:v3.10'));
    assert.ok(status.ecosystems.some((e) => e.ecosystem === 'Debian:12'));
  } finally {
    db.close();
  }
});

test('db update: an archive whose MD5 does not match the declared one is discarded, not imported', {
  skip,
}, async () => {
  const db = AdvisoryDb.open(join(dir, 'md5.sqlite'));
  try {
    const r = await updateDb(db, {
      ecosystems: ['crates.io'],
      osvBaseUrl: `${base}/osv`,
      downloadDir: join(dir, 'dl2'),
    });
    assert.match(r.errors[0]?.message ?? '', /MD5 mismatch/);
    assert.equal(db.status().advisories, 0);
  } finally {
    db.close();
  }
});
