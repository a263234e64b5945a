import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sharedPath, sharedSkipReason } from '../../../test/support/shared.js';
import { readGoBuildInfo } from './binary.js';
import { goPackages } from './golang.js';
import { parseJavaArchive } from './java.js';
import { npmPackageJsonCataloger, parseGemspec, pythonCataloger } from './lang.js';

const ctx = { scratchDir: () => '/nonexistent', maxArchiveDepth: 4, maxFileBytes: 1 << 28 };
const ESBUILD = fileURLToPath(new URL('../../../node_modules/@esbuild/linux-x64/bin/esbuild', import.meta.url));

test('Go build info of a real binary (@esbuild/linux-x64 from node_modules): deps and stdlib', {
  skip: existsSync(ESBUILD) ? undefined : 'no @esbuild/linux-x64',
}, () => {
  const info = readGoBuildInfo(readFileSync(ESBUILD));
  assert.ok(info);
  const pkgs = goPackages(info, '/usr/bin/esbuild').map((p) => `${p.name}@${p.version}`);
  assert.ok(pkgs.includes('golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8'), pkgs.join(', '));
  assert.ok(pkgs.some((p) => /^stdlib@v1\.\d+/.test(p)));
});

test('non-Go ELF and non-ELF files yield no build info', () => {
  assert.equal(readGoBuildInfo(Buffer.from('#!/bin/sh\necho hi\n'.repeat(400))), undefined);
});

const FAT = 'fixtures/catalog/syft/java/testdata/jar-metadata/cache/helper-fat-app-1.0.0.jar';
test('Spring-Boot style fat jar: own pom.properties plus nested BOOT-INF/lib jars', {
  skip: sharedSkipReason(FAT),
}, () => {
  const pkgs = parseJavaArchive(readFileSync(sharedPath(FAT) as string), '/app/app.jar', ctx);
  assert.deepEqual(
    pkgs.map((p) => `${p.name}@${p.version} ${p.locations[0]}`),
    [
      'com.example:helper-fat-app@1.0.0 /app/app.jar',
      'com.fasterxml.jackson.core:jackson-core@2.15.2 /app/app.jar:BOOT-INF/lib/jackson-core-2.15.2.jar',
      'org.opensaml:opensaml-core@3.4.6 /app/app.jar:BOOT-INF/lib/opensaml-core-3.4.6.jar',
    ],
  );
  assert.throws(
    () => parseJavaArchive(Buffer.from('not a zip at all, really not'), '/x.jar', ctx),
    /not a zip archive/,
  );
});

test('node_modules package.json, Python METADATA, gemspec', async () => {
  assert.ok(npmPackageJsonCataloger.wants('usr/lib/node_modules/@babel/core/package.json', 0o644, 10));
  assert.ok(!npmPackageJsonCataloger.wants('app/package.json.bak', 0o644, 10));
  const npm = await npmPackageJsonCataloger.catalog(
    {
      path: 'app/node_modules/left-pad/package.json',
      data: Buffer.from('{"name":"left-pad","version":"1.3.0","license":"WTFPL"}'),
      mode: 0o644,
    },
    ctx,
  );
  assert.deepEqual(npm.packages?.[0], {
    type: 'npm',
    name: 'left-pad',
    version: '1.3.0',
    licenses: ['WTFPL'],
    locations: ['/app/node_modules/left-pad/package.json'],
  });
  assert.ok(pythonCataloger.wants('usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA', 0o644, 10));
  const py = await pythonCataloger.catalog(
    {
      path: 'x.dist-info/METADATA',
      data: Buffer.from(
        'Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nLicense: Apache 2.0\n\nName: not-this\n',
      ),
      mode: 0o644,
    },
    ctx,
  );
  assert.deepEqual(
    py.packages?.map((p) => `${p.name}@${p.version}`),
    ['requests@2.28.1'],
  );
  assert.deepEqual(
    parseGemspec(
      'Gem::Specification.new do |s|\n  s.name = "rake".freeze\n  s.version = "13.0.6"\n  s.licenses = ["MIT".freeze]\nend\n',
    ),
    {
      name: 'rake',
      version: '13.0.6',
      licenses: ['MIT'],
    },
  );
});
