#!/usr/bin/env node
// Side-by-side: Trivy's offline Dockerfile checks (`trivy config`, embedded checks, no policy download) and
// Rampart's Dockerfile rules on the same files. Prints a Markdown report for docs/conformance.md.
//   node bench/config/compare-trivy.mjs [dirs…]   (default: test/config/dockerfile-corpus examples/acme/docker)
// Trivy is installed on demand into the cache dir by bench/config/fetch-trivy.mjs (never a project dependency).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const dirs =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test/config/dockerfile-corpus', 'examples/acme/docker'];

const fetched = spawnSync(process.execPath, [join(root, 'bench/config/fetch-trivy.mjs')], { encoding: 'utf8' });
if (fetched.status !== 0) {
  process.stderr.write(fetched.stderr);
  process.exit(2);
}
const trivy = fetched.stdout.trim();
const trivyCache = mkdtempSync(join(tmpdir(), 'rampart-trivy-'));

/** Trivy hits: `file|DSxxx|line` (line 0 when Trivy reports none). */
const trivyHits = [];
const trivyTitles = new Map();
const trivyChecks = new Set();
const detected = new Set();
for (const dir of dirs) {
  const r = spawnSync(
    trivy,
    [
      'config',
      '--skip-policy-update',
      '--include-non-failures',
      '--format',
      'json',
      '--quiet',
      '--cache-dir',
      trivyCache,
      dir,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(2);
  }
  for (const res of JSON.parse(r.stdout).Results ?? []) {
    const file = relative(root, resolve(dir, res.Target));
    detected.add(file);
    for (const m of res.Misconfigurations ?? []) {
      trivyChecks.add(m.ID);
      trivyTitles.set(m.ID, `${m.Title} (${m.Severity})`);
      if (m.Status === 'FAIL') trivyHits.push({ file, id: m.ID, line: m.CauseMetadata?.StartLine ?? 0 });
    }
  }
}
rmSync(trivyCache, { recursive: true, force: true });

const ours = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'src/cli/dev.ts', 'lint', ...dirs, '-o', 'json', '--rules', 'dockerfile/*'],
  {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
const report = JSON.parse(ours.stdout);
const rampart = report.findings
  .filter((f) => f.status === 'fail')
  .map((f) => ({
    file: relative(root, resolve(root, f.resource.file)),
    line: f.resource.line ?? 0,
    rule: f.ruleId,
    trivyIds: (f.references ?? [])
      .map((r) => r.id)
      .filter((id) => /^Trivy DS/.test(id))
      .map((id) => id.slice(6)),
  }));

/** A Trivy hit is matched when Rampart reports a rule mapped to that check in the same file on the same line
 * (or anywhere in the file when Trivy gives no line). */
function matched(hit) {
  return rampart.some(
    (f) => f.file === hit.file && f.trivyIds.includes(hit.id) && (hit.line === 0 || f.line === hit.line),
  );
}

const out = [];
const DOCKERFILE_NAME = /^(?:(?:dockerfile|containerfile)(?:[.-][\w.-]+)?|[\w.-]+\.(?:dockerfile|containerfile))$/i;
const files = dirs
  .flatMap((d) =>
    readdirSync(resolve(root, d), { recursive: true }).map((f) => relative(root, resolve(root, d, String(f)))),
  )
  .filter((f) => DOCKERFILE_NAME.test(f.split('/').pop() ?? ''))
  .sort();
out.push(`Files: ${files.length} (${dirs.join(', ')}); Trivy parsed ${detected.size} of them.`, '');
out.push('| Trivy check | Trivy hits | matched by Rampart | Rampart rule |', '|---|---|---|---|');
for (const id of [...trivyChecks].sort()) {
  const hits = trivyHits.filter((h) => h.id === id);
  const m = hits.filter(matched).length;
  const rules = [...new Set(rampart.filter((f) => f.trivyIds.includes(id)).map((f) => f.rule))];
  out.push(`| ${id} ${trivyTitles.get(id) ?? ''} | ${hits.length} | ${m} | ${rules.join(', ') || '–'} |`);
}
const unmatched = trivyHits.filter((h) => !matched(h));
out.push('', `Trivy findings Rampart does not report: ${unmatched.length}`);
for (const h of unmatched) out.push(`- ${h.file}:${h.line || '-'} ${h.id}`);
const onlyOurs = rampart.filter(
  (f) => !trivyHits.some((h) => h.file === f.file && f.trivyIds.includes(h.id) && (h.line === 0 || h.line === f.line)),
);
const byRule = new Map();
for (const f of onlyOurs) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
out.push(
  '',
  `Rampart findings with no Trivy counterpart: ${onlyOurs.length}`,
  '',
  '| Rampart rule | findings |',
  '|---|---|',
);
for (const [rule, n] of [...byRule].sort()) out.push(`| ${rule} | ${n} |`);
const notParsed = files.filter((f) => !detected.has(f));
if (notParsed.length > 0) out.push('', `Files Trivy did not parse (no result at all): ${notParsed.join(', ')}`);
process.stdout.write(`${out.join('\n')}\n`);
