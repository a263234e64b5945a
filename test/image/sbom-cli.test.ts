import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ImageInventory } from '../../src/core/index.js';
import { inventoryImage, toCycloneDx, toSpdx } from '../../src/image/index.js';
import { runCli } from '../support/cli.js';
import { compileSchemaFile, schemaErrors } from '../support/schemas.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { makeTar, writeOciLayout } from './support.js';

const CDX = 'schemas/cyclonedx';
const skipSchemas =
  sharedSkipReason('schemas', 'cyclonedx', 'bom-1.6.schema.json') ?? sharedSkipReason('schemas', 'spdx');
const ctx = { toolVersion: '0.0.0-test', now: new Date('2026-01-02T03:04:05Z') };

describe('SBOM writers validated against ../shared/schemas (CycloneDX 1.6, SPDX 2.3)', () => {
  let inv: ImageInventory;
  let cleanup: () => void;
  let source: string;
  before(async () => {
    const l1 = await makeTar([
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      {
        name: 'var/lib/dpkg/status',
        content:
          'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nSource: bash (5.2.15-2)\nVersion: 5.2.15-2+b7\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u7\n\n',
      },
      { name: 'lib/apk/db/installed', content: 'P:busybox\nV:1.36.1-r2\nA:x86_64\nL:GPL-2.0-only\no:busybox\n\n' },
    ]);
    const layout = writeOciLayout([l1]);
    cleanup = layout.cleanup;
    source = `oci:${layout.dir}`;
    inv = await inventoryImage(source, { cacheDir: false });
  });
  after(() => cleanup?.());

  test('inventory: dpkg Source with and without version, purls with distro', () => {
    const bash = inv.packages.find((p) => p.name === 'bash');
    assert.equal(bash?.sourceName, 'bash');
    assert.equal(bash?.sourceVersion, '5.2.15-2');
    assert.equal(bash?.purl, 'pkg:deb/debian/bash@5.2.15-2+b7?arch=amd64&distro=debian-12');
    const libc = inv.packages.find((p) => p.name === 'libc6');
    assert.equal(libc?.sourceName, 'glibc');
    assert.equal(libc?.sourceVersion, '2.36-9+deb12u7');
  });

  test('CycloneDX 1.6 JSON is schema-valid', { skip: skipSchemas }, () => {
    const validate = compileSchemaFile(sharedPath(CDX, 'bom-1.6.schema.json') as string, {
      siblings: ['spdx.schema.json', 'jsf-0.82.schema.json', 'cryptography-defs.schema.json'],
    });
    const doc = JSON.parse(toCycloneDx(inv, ctx)) as {
      specVersion: string;
      components: Array<{ type: string; purl?: string }>;
    };
    assert.ok(validate(doc), schemaErrors(validate));
    assert.equal(doc.specVersion, '1.6');
    assert.equal(doc.components.filter((c: { type: string }) => c.type === 'library').length, 3);
    assert.ok(doc.components.some((c: { purl?: string }) => c.purl?.startsWith('pkg:apk/debian/busybox@1.36.1-r2')));
  });

  test('SPDX 2.3 JSON is schema-valid', { skip: skipSchemas }, () => {
    const validate = compileSchemaFile(sharedPath('schemas', 'spdx', 'spdx-2.3-schema.json') as string);
    const doc = JSON.parse(toSpdx(inv, ctx)) as {
      packages: unknown[];
      relationships: Array<{ relationshipType: string }>;
    };
    assert.ok(validate(doc), schemaErrors(validate));
    assert.equal(doc.packages.length, 4);
    assert.equal(
      doc.relationships.filter((r: { relationshipType: string }) => r.relationshipType === 'CONTAINED_BY').length,
      3,
    );
  });

  test('CLI: image inventory (table) and image sbom -o spdx; bad source exits 2 with one line', () => {
    const table = runCli(['image', 'inventory', source, '--no-cache']);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /Packages: 3/);
    assert.match(table.stdout, /deb\s+libc6\s+2\.36-9\+deb12u7\s+glibc/);
    const spdx = runCli(['image', 'sbom', source, '-o', 'spdx', '--no-cache']);
    assert.equal(JSON.parse(spdx.stdout).spdxVersion, 'SPDX-2.3');
    const bad = runCli(['image', 'inventory', 'oci:/nonexistent/layout', '--no-cache']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /nonexistent\/layout.*no such OCI layout directory/);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
  });
});
