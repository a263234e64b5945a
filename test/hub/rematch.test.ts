import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ImageInventory } from '../../src/core/index.js';
import { advisoryDbVersion, HubStore, openHubDb, rematchStoredImages } from '../../src/hub/index.js';
import { importAdvisories } from '../../src/vuln/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

const SECDB = ['vulndb', 'Alpine', 'secdb-2020', 'v3.11'];

test('continuous: when the advisory DB appears or changes, stored SBOMs are re-matched without a pull', {
  skip: sharedSkipReason(...SECDB),
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-rematch-'));
  const hub = await openHubDb(join(dir, 'hub.sqlite'), dir);
  try {
    const store = new HubStore(hub);
    const digest = `sha256:${'d'.repeat(64)}`;
    // Our own small inventory: an Alpine 3.11 image with an openssl older than the secdb fix 1.1.1d-r3.
    const inventory: ImageInventory = {
      reference: 'registry.local/app:1',
      digest,
      distro: { id: 'alpine', versionId: '3.11.5' },
      layers: [],
      packages: [
        {
          type: 'apk',
          name: 'openssl',
          version: '1.1.1d-r2',
          sourceName: 'openssl',
          locations: ['lib/apk/db/installed'],
        },
        { type: 'apk', name: 'musl', version: '1.1.24-r0', sourceName: 'musl', locations: ['lib/apk/db/installed'] },
      ],
      problems: [],
    };
    await store.recordImage({ digest, reference: 'registry.local/app:1', inventory });

    assert.equal(advisoryDbVersion(join(dir, 'cache')), 0);
    const before = await rematchStoredImages(store, join(dir, 'cache'));
    assert.equal(before.images, 1);
    const unknown = await store.listFindings({ image: digest });
    assert.deepEqual(
      unknown.items.map((f) => [f.ruleId, f.status]),
      [['HUB-IMAGE-NOT-MATCHED', 'unknown']],
      'no advisory DB: unknown, not clean',
    );

    importAdvisories([sharedPath(...SECDB) ?? ''], join(dir, 'cache'));
    assert.ok(advisoryDbVersion(join(dir, 'cache')) > 0, 'the DB change is visible to the hub timer');
    const after = await rematchStoredImages(store, join(dir, 'cache'));
    assert.ok(after.new >= 1, 'new advisories open findings');
    const open = await store.listFindings({ image: digest, status: ['NEW'] });
    const cves = open.items.map((f) => (f.finding.details?.vulnerability as { id?: string } | undefined)?.id);
    assert.ok(
      cves.includes('CVE-2019-1551'),
      `openssl 1.1.1d-r2 < 1.1.1d-r3 fixes CVE-2019-1551 (got ${cves.join(', ')})`,
    );
    assert.ok(!cves.some((c) => c === 'CVE-2019-14697'), 'musl 1.1.24 already has the 1.1.23-r2 fix');
    const resolved = await store.listFindings({ image: digest, status: ['RESOLVED'] });
    assert.deepEqual(
      resolved.items.map((f) => f.ruleId),
      ['HUB-IMAGE-NOT-MATCHED'],
      'the earlier unknown resolves once matched',
    );

    // The package is fixed in a newer push of the same image name? That is another digest. Here the same digest is
    // matched again with no change: nothing opens or resolves twice.
    const again = await rematchStoredImages(store, join(dir, 'cache'));
    assert.deepEqual([again.new, again.resolved], [0, 0]);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
