import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { InventoryPackage } from '../../src/core/index.js';
import { pomPropertiesCataloger } from '../../src/image/catalog/java.js';
import { ALL_CATALOGERS, type Cataloger, LOCKFILE_CATALOGERS } from '../../src/image/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

/**
 * Every fixture of ../shared/fixtures/catalog/expected.json whose format a cataloger covers: the (name, version)
 * set we read must equal the reference parse (or, where there is none, the pairs syft's tests state). Known,
 * explained deviations are listed below and in docs/conformance.md.
 */
interface Expected {
  format?: string;
  reference?: Array<Record<string, unknown>> | { packages?: Array<Record<string, unknown>> };
  syft_test?: Array<{ packages: Array<{ name: string; version: string | null }> }>;
}

/** expected.json format → (cataloger name, path inside an image the file would have; '' = the fixture's own path). */
const FORMAT_TO_CATALOGER: Record<string, [string, string]> = {
  'python-pkginfo': ['python', ''],
  'pom.properties': ['pom-properties', ''],
  '.deps.json': ['dotnet-deps', ''],
  'composer installed.json v1': ['composer', 'vendor/composer/installed.json'],
  'composer installed.json v2': ['composer', 'vendor/composer/installed.json'],
  'package-lock.json': ['package-lock', 'package-lock.json'],
  'yarn.lock': ['yarn-lock', ''],
  'pnpm-lock.yaml': ['pnpm-lock', ''],
  'poetry.lock': ['poetry-lock', ''],
  'uv.lock': ['poetry-lock', ''],
  'pdm.lock': ['poetry-lock', ''],
  'Cargo.lock': ['cargo-lock', 'Cargo.lock'],
  'Pipfile.lock': ['pipfile-lock', ''],
  'requirements.txt': ['requirements', ''],
  'Gemfile.lock': ['gemfile-lock', ''],
  'go.mod': ['go-mod', ''],
  'packages.lock.json': ['nuget-lock', ''],
  'composer.lock': ['composer-lock', ''],
  'dpkg-status': ['dpkg', 'var/lib/dpkg/status'],
  'opkg-status': ['dpkg', 'var/lib/opkg/status'],
  'apk-installed': ['apk', 'lib/apk/db/installed'],
  'rpmdb sqlite (Packages table of header blobs)': ['rpm', 'var/lib/rpm/rpmdb.sqlite'],
  'rpmdb ndb (SUSE, rpm>=4.16 native db)': ['rpm', 'usr/lib/sysimage/rpm/Packages.db'],
  'rpmdb Berkeley DB hash (Packages)': ['rpm', 'var/lib/rpm/Packages'],
};

/** Fixtures without a `format` that a cataloger still reads (syft states their packages). */
const EXTRA: Record<string, [string, string]> = {
  'syft/redhat/testdata/Packages': ['rpm', 'var/lib/rpm/Packages'],
  'syft/redhat/testdata/container-manifest-2': ['rpm', 'var/lib/rpmmanifest/container-manifest-2'],
};

/** Known deviations: fixture → reason (also in docs/conformance.md). */
export const KNOWN_DEVIATIONS: Record<string, string> = {
  'syft/golang/testdata/go-mod-fixtures/many-packages/go.mod':
    'we apply `replace` directives (as go and syft do); the reference parse lists the replaced versions',
  'syft/golang/testdata/go-source-replacements/go.mod': 'same: `replace` applied',
  'syft/golang/testdata/go-sum-hashes/go.mod': 'same: `replace` applied',
  'syft/javascript/testdata/yarn-berry/yarn.lock':
    'the workspace root (`@workspace:.`, the project itself) is not reported as a dependency',
  'syft/javascript/testdata/pkg-lock/alias-package-lock-1.json':
    'npm aliases are reported under the real package (`case@1.6.3`, as installed); the reference keeps `case-alias@npm:case@1.6.3`',
  'syft/python/testdata/requires/requirements.txt':
    'only exact pins are versions: `requests==2.8.*` is skipped and `===1.26.20` read as 1.26.20; the reference keeps both spellings',
  'syft/python/testdata/site-packages/no-version/no-version-py3.8.egg-info':
    'a distribution without Version is not a package we can match; skipped (reference keeps it with an empty version)',
};

const skip = sharedSkipReason('fixtures', 'catalog', 'expected.json');

/** The reference list when there is one (entries not installed and nameless paragraphs dropped). */
function referenceList(e: Expected): Array<Record<string, unknown>> | undefined {
  if (!e.reference) return undefined;
  return Array.isArray(e.reference) ? e.reference : (e.reference.packages ?? []);
}

function referencePairs(e: Expected): string[] | undefined {
  const list = referenceList(e);
  if (list) {
    return [
      ...new Set(
        list
          .map((r) =>
            typeof r.groupId === 'string' && typeof r.artifactId === 'string'
              ? { ...r, name: `${r.groupId}:${r.artifactId}` }
              : r,
          )
          .filter((r) => typeof r.name === 'string' && r.name !== '' && r.installed !== false)
          .map((r) => {
            const release = typeof r.release === 'string' && r.release ? `-${r.release}` : '';
            const epoch = typeof r.epoch === 'number' ? `${r.epoch}:` : '';
            return `${r.name}@${epoch}${r.version ?? ''}${release}`;
          }),
      ),
    ].sort();
  }
  return undefined;
}

/** Syft's test tables state some packages twice (`dive@0.9.2` and `dive@0.9.2-1`): any one spelling will do. */
function syftPairs(e: Expected): Set<string> {
  const pairs = new Set<string>();
  for (const t of e.syft_test ?? []) for (const p of t.packages) pairs.add(`${p.name}@${p.version ?? ''}`);
  return pairs;
}

/** Arch and source package per package, in the reference's terms (apk origin, dpkg Source, rpm SOURCERPM). */
function referenceDetails(e: Expected): string[] {
  return (referenceList(e) ?? [])
    .filter((r) => typeof r.name === 'string' && r.name !== '' && r.installed !== false)
    .map((r) => {
      const source =
        'sourceRpm' in r
          ? r.sourceRpm
          : 'origin' in r
            ? r.origin
            : typeof r.source === 'string' && r.source
              ? r.source.split(' ')[0]
              : r.name;
      return `${r.name} ${r.arch || '-'} ${source ?? '-'}`;
    })
    .sort();
}

function detailsOf(pkgs: InventoryPackage[]): string[] {
  return pkgs.map((p) => `${p.name} ${p.arch || '-'} ${(p.type === 'rpm' ? p.sourceRpm : p.sourceName) ?? '-'}`).sort();
}

function gotPairs(pkgs: InventoryPackage[]): string[] {
  return [
    ...new Set(
      pkgs.map((p) => {
        if (p.type !== 'rpm') return `${p.name}@${p.version}`;
        const epoch = p.epoch !== undefined ? `${p.epoch}:` : '';
        return `${p.name}@${epoch}${p.version}${p.release ? `-${p.release}` : ''}`;
      }),
    ),
  ].sort();
}

describe('catalog conformance: ../shared/fixtures/catalog/expected.json', { skip }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rampart-conf-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const results = { pass: 0, fail: 0, deviation: 0, failures: [] as string[] };
  const expected: Record<string, Expected> = skip
    ? {}
    : JSON.parse(readFileSync(sharedPath('fixtures', 'catalog', 'expected.json') as string, 'utf8')).fixtures;
  const byName = new Map<string, Cataloger>(
    [...ALL_CATALOGERS, ...LOCKFILE_CATALOGERS, pomPropertiesCataloger].map((c) => [c.name, c]),
  );
  const cases = Object.entries(expected)
    .map(([key, e]) => [key, e, (e.format && FORMAT_TO_CATALOGER[e.format]) || EXTRA[key]] as const)
    .filter((c): c is readonly [string, Expected, [string, string]] => c[2] !== undefined);

  for (const [key, e, [catalogerName, pathInImage]] of cases) {
    const imagePath = pathInImage || key;
    test(key, async () => {
      const file = sharedPath('fixtures', 'catalog', key) as string;
      assert.ok(statSync(file).isFile(), `${key} is a file`);
      const cataloger = byName.get(catalogerName) as Cataloger;
      assert.ok(cataloger.wants(imagePath, 0o644, 1), `${catalogerName} wants ${imagePath}`);
      let packages: InventoryPackage[] = [];
      try {
        const found = await cataloger.catalog(
          { path: imagePath, data: readFileSync(file), mode: 0o644 },
          { scratchDir: () => scratch, maxArchiveDepth: 4, maxFileBytes: 1 << 28 },
        );
        packages = found.packages ?? [];
      } catch {
        packages = [];
      }
      const got = gotPairs(packages);
      if (KNOWN_DEVIATIONS[key]) {
        results.deviation++;
        return;
      }
      try {
        const want = referencePairs(e);
        if (want) {
          assert.deepEqual(got, want);
          if (referenceList(e)?.some((r) => 'arch' in r)) {
            assert.deepEqual(detailsOf(packages), referenceDetails(e), 'arch and source package');
          }
        } else {
          const syft = syftPairs(e);
          assert.deepEqual(
            got.filter((p) => !syft.has(p)),
            [],
            'every package we read is one syft states',
          );
          const names = (pairs: Iterable<string>) => [...new Set([...pairs].map((p) => p.split('@')[0]))].sort();
          assert.deepEqual(names(got), names(syft), 'the same package names as syft');
        }
        results.pass++;
      } catch (err) {
        results.fail++;
        results.failures.push(key);
        throw err;
      }
    });
  }

  after(() => {
    console.log(
      `catalog conformance: ${results.pass}/${cases.length} fixtures pass, ${results.deviation} known deviations, ${results.fail} fail`,
    );
  });
});
