import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ImageInventory } from '../core/index.js';
import type { AdvisoryRecord } from './advisory.js';
import { ADVISORY_DB_SCHEMA_VERSION, AdvisoryDb } from './db.js';
import { matchInventory } from './match.js';

/** The layout Rampart wrote before schema versions were checked (schema_version 1), as it created it. */
const SCHEMA_1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL, updated_at TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, state TEXT);
CREATE TABLE advisories (
  source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT NOT NULL, published TEXT, withdrawn TEXT,
  summary TEXT, details TEXT, cvss TEXT NOT NULL, vendor_severity TEXT, informational TEXT, refs TEXT NOT NULL,
  PRIMARY KEY (source, id));
CREATE TABLE aliases (source TEXT NOT NULL, advisory_id TEXT NOT NULL, alias TEXT NOT NULL,
  PRIMARY KEY (source, advisory_id, alias));
CREATE INDEX aliases_by_alias ON aliases (alias);
CREATE TABLE affected (
  source TEXT NOT NULL, advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,
  ranges TEXT NOT NULL, versions TEXT NOT NULL, cvss TEXT, vendor_severity TEXT, fix_state TEXT);
CREATE INDEX affected_by_package ON affected (ecosystem, package);
CREATE INDEX affected_by_advisory ON affected (source, advisory_id);
CREATE TABLE problems (source TEXT NOT NULL, location TEXT NOT NULL, message TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
`;

const RECORDS: AdvisoryRecord[] = [
  {
    id: 'GHSA-aaaa-bbbb-cccc',
    source: 'osv',
    modified: '2026-01-02T00:00:00Z',
    published: '2025-12-01T00:00:00Z',
    summary: 'prototype pollution in left-pad',
    aliases: ['GHSA-zzzz-0000-1111', 'CVE-2026-0001'],
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 }],
    references: ['https://example.invalid/a'],
    affected: [
      {
        ecosystem: 'npm',
        name: 'left-pad',
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.1' }] }],
        versions: [],
      },
    ],
  },
  {
    id: 'DSA-0001-1',
    source: 'osv',
    modified: '2026-01-03T00:00:00Z',
    details: 'openssl fixed in bookworm',
    aliases: ['CVE-2026-0002'],
    cvss: [],
    vendorSeverity: 'high',
    references: [],
    affected: [
      {
        ecosystem: 'Debian:12',
        name: 'openssl',
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }],
        versions: [],
      },
    ],
  },
  {
    id: 'GHSA-with-drawn',
    source: 'osv',
    modified: '2026-01-04T00:00:00Z',
    withdrawn: '2026-01-05T00:00:00Z',
    aliases: [],
    cvss: [],
    references: [],
    affected: [
      {
        ecosystem: 'npm',
        name: 'left-pad',
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
        versions: [],
      },
    ],
  },
];

/** Writes RECORDS the way schema 1's upsert did: one aliases row per alias, JSON texts, no rowid links. */
function writeSchema1(path: string): void {
  const db = new Database(path);
  db.exec(SCHEMA_1);
  const advisory = db.prepare(
    `INSERT INTO advisories (source, id, modified, published, withdrawn, summary, details, cvss, vendor_severity,
       informational, refs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const alias = db.prepare('INSERT INTO aliases (source, advisory_id, alias) VALUES (?, ?, ?)');
  const affected = db.prepare(
    `INSERT INTO affected (source, advisory_id, ecosystem, package, ranges, versions, cvss, vendor_severity, fix_state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const r of RECORDS) {
    advisory.run(
      r.source,
      r.id,
      r.modified,
      r.published ?? null,
      r.withdrawn ?? null,
      r.summary ?? null,
      r.details ?? null,
      JSON.stringify(r.cvss),
      r.vendorSeverity ?? null,
      null,
      JSON.stringify(r.references),
    );
    for (const a of r.aliases) alias.run(r.source, r.id, a);
    for (const a of r.affected) {
      affected.run(r.source, r.id, a.ecosystem, a.name, JSON.stringify(a.ranges), '[]', null, null, null);
    }
  }
  db.prepare(
    "INSERT INTO sources (name, kind, location, updated_at, records) VALUES ('osv', 'osv', 'x', 'y', 3)",
  ).run();
  db.close();
}

const inventory: ImageInventory = {
  reference: 'example.com/app:1',
  distro: { id: 'debian', versionId: '12' },
  layers: [],
  packages: [
    { type: 'npm', name: 'left-pad', version: '1.3.0', locations: ['/app/package-lock.json'] },
    { type: 'deb', name: 'libssl3', sourceName: 'openssl', version: '3.0.11-1~deb12u2', locations: ['/var/lib/dpkg'] },
  ],
  problems: [],
};

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-vuln-db-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a schema-1 cache DB is upgraded in place when opened read-only, and matches exactly like a fresh DB', () => {
  const old = join(dir, 'old.sqlite');
  writeSchema1(old);
  const upgraded = AdvisoryDb.open(old, { readonly: true });
  const fresh = AdvisoryDb.open(join(dir, 'fresh.sqlite'));
  try {
    assert.equal(upgraded.schemaVersion(), ADVISORY_DB_SCHEMA_VERSION);
    const columns = (table: string) =>
      (upgraded.db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).join(',');
    assert.match(columns('advisories'), /,aliases$/);
    assert.match(columns('affected'), /,advisory_rowid$/);
    fresh.upsert(RECORDS);
    const before = matchInventory(inventory, upgraded);
    assert.deepEqual(
      before.matches.map((m) => [m.package.name, m.advisory.id, m.vulnerabilityId, m.advisory.aliases, m.fixedIn]),
      [
        ['left-pad', 'GHSA-aaaa-bbbb-cccc', 'CVE-2026-0001', ['CVE-2026-0001', 'GHSA-zzzz-0000-1111'], ['1.3.1']],
        ['libssl3', 'DSA-0001-1', 'CVE-2026-0002', ['CVE-2026-0002'], ['3.0.15-1~deb12u1']],
      ],
      'aliases sorted as schema 1 returned them; the withdrawn advisory stays out',
    );
    assert.equal(JSON.stringify(before), JSON.stringify(matchInventory(inventory, fresh)));
    assert.equal(upgraded.status().sources[0]?.records, 3, 'import state survives the upgrade');
  } finally {
    upgraded.close();
    fresh.close();
  }
  // Writing into the upgraded file links re-imported affected rows to the advisory's new rowid.
  const writable = AdvisoryDb.open(old);
  try {
    const changed = { ...(RECORDS[1] as AdvisoryRecord), modified: '2026-02-01T00:00:00Z', aliases: ['CVE-2026-0009'] };
    assert.equal(writable.upsert([changed], { onlyIfNewer: true }), 1);
    const hit = matchInventory(inventory, writable).matches.find((m) => m.package.name === 'libssl3');
    assert.equal(hit?.vulnerabilityId, 'CVE-2026-0009');
    assert.equal(writable.db.prepare('SELECT count(*) FROM affected WHERE advisory_rowid IS NULL').pluck().get(), 0);
    // A package's advisories stay in write order across the upgrade (schema 4 keeps the old rowid as the order):
    // a new advisory comes after the migrated one, and a re-imported one moves to the end, as before.
    const leftPad = RECORDS[0] as AdvisoryRecord;
    const second = { ...leftPad, id: 'GHSA-2222-3333-4444', aliases: ['CVE-2026-0010'] };
    writable.upsert([second]);
    const leftPadIds = () =>
      matchInventory(inventory, writable)
        .matches.filter((m) => m.package.name === 'left-pad')
        .map((m) => m.advisory.id);
    assert.deepEqual(leftPadIds(), ['GHSA-aaaa-bbbb-cccc', 'GHSA-2222-3333-4444']);
    writable.upsert([{ ...leftPad, modified: '2026-03-01T00:00:00Z' }], { onlyIfNewer: true });
    assert.deepEqual(leftPadIds(), ['GHSA-2222-3333-4444', 'GHSA-aaaa-bbbb-cccc']);
  } finally {
    writable.close();
  }
});

test('a DB of a newer schema, or a file that is no advisory DB, is refused with a clear error', () => {
  const newer = join(dir, 'newer.sqlite');
  writeSchema1(newer);
  const raw = new Database(newer);
  raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
  raw.close();
  assert.throws(() => AdvisoryDb.open(newer, { readonly: true }), /schema version 99 is newer than this Rampart reads/);
  assert.throws(() => AdvisoryDb.open(newer), /schema version 99 is newer than this Rampart reads/);
  const other = join(dir, 'other.sqlite');
  const foreign = new Database(other);
  foreign.exec('CREATE TABLE t (x)');
  foreign.close();
  assert.throws(() => AdvisoryDb.open(other, { readonly: true }), /not a Rampart advisory DB/);
});
