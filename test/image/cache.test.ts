import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CATALOG_VERSION, inventoryImage } from '../../src/image/index.js';
import { makeTar, writeOciLayout } from './support.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'rampart-cache-'));
const cleanups: Array<() => void> = [];
after(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  for (const c of cleanups) c();
});

test('layer cache: keyed by verified layer digest + cataloger version; a shared base layer is not read again', async () => {
  const base = await makeTar([
    { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' },
    { name: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n' },
  ]);
  const app1 = await makeTar([{ name: 'app/node_modules/a/package.json', content: '{"name":"a","version":"1.0.0"}' }]);
  const app2 = await makeTar([{ name: 'app/node_modules/b/package.json', content: '{"name":"b","version":"2.0.0"}' }]);
  const first = writeOciLayout([base, app1]);
  const second = writeOciLayout([base, app2]);
  cleanups.push(first.cleanup, second.cleanup);

  const events: Array<{ cached: boolean }> = [];
  const inv1 = await inventoryImage(`oci:${first.dir}`, { cacheDir, onProgress: (e) => events.push(e) });
  assert.deepEqual(
    events.map((e) => e.cached),
    [false, false],
  );
  const cached = readdirSync(join(cacheDir, 'image-layers', CATALOG_VERSION));
  assert.equal(cached.length, 2);

  events.length = 0;
  const inv2 = await inventoryImage(`oci:${second.dir}`, {
    cacheDir,
    onProgress: (e) => events.push(e),
    concurrency: 1,
  });
  assert.deepEqual(
    events.map((e) => e.cached),
    [true, false],
    'base layer from the cache, app layer read',
  );
  assert.deepEqual(inv2.packages.map((p) => p.name).sort(), ['b', 'musl']);
  assert.deepEqual(inv1.packages.map((p) => p.name).sort(), ['a', 'musl']);

  // A corrupt cache entry is ignored (re-read), never trusted.
  for (const f of cached) writeFileSync(join(cacheDir, 'image-layers', CATALOG_VERSION, f), '{not json');
  events.length = 0;
  const again = await inventoryImage(`oci:${first.dir}`, { cacheDir, onProgress: (e) => events.push(e) });
  assert.deepEqual(
    events.map((e) => e.cached),
    [false, false],
  );
  assert.equal(again.packages.length, 2);
});
