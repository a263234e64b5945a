/**
 * Every rule in the catalog has at least one failing and one passing fixture under src/config/fixtures/<prefix>/,
 * named `<rule>.bad…` and `<rule>.good…` (a file, or a directory when the case needs several files or a
 * `.rampart.yaml`). The failing fixture must produce the rule (fail or unknown), the passing one must not, and
 * neither may be unreadable. A rule added without fixtures fails this test. Fixtures that name an image source in
 * their `.rampart.yaml` are read through the images engine (user/image-not-readable.good holds a tiny OCI layout).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configRules, emptySettings, lintWithImages, loadSettings } from './index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function entriesFor(prefix: string, name: string, kind: 'bad' | 'good'): string[] {
  const dir = join(FIXTURES, prefix);
  if (!existsSync(dir)) return [];
  const stem = `${name}.${kind}`;
  return readdirSync(dir)
    .filter((e) => e === stem || e.startsWith(`${stem}.`))
    .map((e) => join(dir, e));
}

function lintFixture(path: string) {
  const settingsFile = join(path, '.rampart.yaml');
  const settings =
    statSync(path).isDirectory() && existsSync(settingsFile) ? loadSettings(settingsFile, [path]) : emptySettings();
  // Images named in imageSources are read through the images engine; no layer cache is written by tests.
  return lintWithImages([path], { settings }, { inventory: { cacheDir: false } });
}

async function reported(path: string, ruleId: string): Promise<{ hit: boolean; errors: string[] }> {
  const r = await lintFixture(path);
  return {
    hit: r.findings.some(
      (f) => f.ruleId === ruleId && (f.status === 'fail' || f.status === 'unknown') && !f.suppression,
    ),
    errors: r.errors.filter((e) => e.level === 'error').map((e) => `${e.file}:${e.line ?? ''} ${e.message}`),
  };
}

const rules = configRules();

test('every config rule has a failing and a passing fixture', () => {
  const missing: string[] = [];
  for (const rule of rules) {
    const [prefix, name] = rule.id.split('/') as [string, string];
    for (const kind of ['bad', 'good'] as const)
      if (entriesFor(prefix, name, kind).length === 0) missing.push(`${rule.id} (${kind})`);
  }
  assert.deepEqual(missing, [], `rules without fixtures under src/config/fixtures: ${missing.join(', ')}`);
});

test('every fixture belongs to a rule in the catalog', () => {
  const known = new Set(rules.map((r) => r.id));
  const orphans: string[] = [];
  for (const prefix of readdirSync(FIXTURES)) {
    for (const entry of readdirSync(join(FIXTURES, prefix))) {
      const m = /^(.+?)\.(?:bad|good)(?:\.|$)/.exec(entry);
      if (!m || !known.has(`${prefix}/${m[1]}`)) orphans.push(`${prefix}/${entry}`);
    }
  }
  assert.deepEqual(orphans, []);
});

for (const rule of rules) {
  const [prefix, name] = rule.id.split('/') as [string, string];
  test(`${rule.id}: failing fixtures report it, passing fixtures do not`, async () => {
    for (const path of entriesFor(prefix, name, 'bad')) {
      const r = await reported(path, rule.id);
      assert.deepEqual(r.errors, [], `${path}: unreadable`);
      assert.ok(r.hit, `${path} should report ${rule.id}`);
    }
    for (const path of entriesFor(prefix, name, 'good')) {
      const r = await reported(path, rule.id);
      assert.deepEqual(r.errors, [], `${path}: unreadable`);
      assert.ok(!r.hit, `${path} should not report ${rule.id}`);
    }
  });
}
