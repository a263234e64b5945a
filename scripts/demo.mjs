#!/usr/bin/env node
// `npm run demo`: runs the engines that exist against examples/acme, one after another, through the built CLI.
// Exit codes 1 (findings) are expected here: the example has deliberate mistakes. Only 2+ (errors) fail the demo.
import { spawnSync } from 'node:child_process';

const steps = [
  ['snapshot', 'summary', 'examples/acme'],
  ['access', 'risks', 'examples/acme', '--aws-snapshot', 'examples/acme-aws'],
  ['access', 'who-can', 'examples/acme', '--aws-snapshot', 'examples/acme-aws', 'get', 'secrets', '-n', 'payments'],
  // Dockerfiles, scripts, CI, compose and manifests: the deliberate mistakes in docker/ and scripts/.
  ['lint', 'examples/acme', '--fail-on', 'HIGH'],
  ['pss', 'check', 'examples/acme', '--level', 'restricted', '--version', 'v1.30'],
  // NetworkPolicy: the AND/OR trap, missing DNS and IMDS egress in examples/acme/network/; then who can reach what.
  ['netpol', 'lint', 'examples/acme'],
  ['netpol', 'matrix', 'examples/acme', '--focus-workload', 'payments/payments-api'],
  // One report across every engine, a boundary verdict per namespace; the HTML goes to dist/ (git-ignored).
  [
    'audit',
    'examples/acme',
    '--aws-snapshot',
    'examples/acme-aws',
    '-o',
    'html',
    '--output-file',
    'dist/acme-audit.html',
  ],
];

let failed = false;
for (const args of steps) {
  process.stdout.write(`\n$ rampart ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['bin/rampart.js', ...args], { stdio: 'inherit' });
  if (r.status === null || r.status >= 2) {
    process.stderr.write(`demo step failed (exit ${r.status}): rampart ${args.join(' ')}\n`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
