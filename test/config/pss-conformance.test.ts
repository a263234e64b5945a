import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { admissionMessage, evaluatePod, parsePssLevel, parsePssVersion } from '../../src/config/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

interface FixtureRow {
  path: string;
  level: string;
  version: string;
  expect: 'allow' | 'deny';
  checkLower: string | null;
}

/**
 * What upstream's fixture test asserts the denial message contains: the check's expectErrorSubstring, or its id
 * when it has none (kubernetes/pod-security-admission test/fixtures_*.go, listed in the shared MANIFEST.md).
 */
const EXPECTED_SUBSTRING: Record<string, string> = {
  apparmorprofile: 'forbidden AppArmor profile',
  capabilities_baseline: 'capabilities',
  hostnamespaces: 'host namespaces',
  hostpathvolumes: 'hostPath',
  hostports: 'hostPort',
  hostprobesandhostlifecycle: 'probe or lifecycle host',
  privileged: 'privileged',
  procmount: 'procMount',
  seccompprofile_baseline: 'seccompProfile',
  selinuxoptions: 'seLinuxOptions',
  sysctls: 'forbidden sysctl',
  windowshostprocess: 'hostProcess',
  allowprivilegeescalation: 'allowPrivilegeEscalation',
  capabilities_restricted: 'unrestricted capabilities',
  procmount_restricted: 'procMount',
  restrictedvolumes: 'restricted volume types',
  runasnonroot: 'runAsNonRoot',
  runasuser: 'runAsUser',
  seccompprofile_restricted: 'seccompProfile',
};

const ROOT = 'conformance/pod-security';

test('Pod Security Admission: every upstream fixture (4,537 pods) allowed/denied as upstream, with its check', {
  skip: sharedSkipReason(ROOT, 'index.json'),
}, () => {
  const base = sharedPath(ROOT) as string;
  const index = JSON.parse(readFileSync(join(base, 'index.json'), 'utf8')) as { fixtures: FixtureRow[] };
  const failures: string[] = [];
  const counts = { allow: 0, deny: 0, passed: 0 };
  for (const row of index.fixtures) {
    const pod = parse(readFileSync(join(base, row.path), 'utf8')) as {
      metadata?: { annotations?: Record<string, string> };
      spec?: unknown;
    };
    const e = evaluatePod(pod.metadata ?? {}, pod.spec, parsePssLevel(row.level), parsePssVersion(row.version));
    counts[row.expect]++;
    if (row.expect === 'allow') {
      if (e.allowed) counts.passed++;
      else failures.push(`${row.path}: expected allow, got ${admissionMessage(e, 'enforce')}`);
      continue;
    }
    if (e.allowed) {
      failures.push(`${row.path}: expected deny, got allow`);
      continue;
    }
    const want = row.checkLower ? EXPECTED_SUBSTRING[row.checkLower] : undefined;
    const message = admissionMessage(e, 'enforce');
    if (want && !message.includes(want)) {
      failures.push(`${row.path}: denied, but the message lacks ${JSON.stringify(want)}: ${message}`);
      continue;
    }
    counts.passed++;
  }
  assert.equal(index.fixtures.length, 4537);
  assert.deepEqual(failures.slice(0, 40), [], `${failures.length} of ${index.fixtures.length} fixtures differ`);
  assert.equal(counts.passed, 4537);
});

test('Pod Security Admission: `latest` and versions newer than the newest policy evaluate as v1.37', {
  skip: sharedSkipReason(ROOT, 'testdata', 'restricted', 'v1.37'),
}, () => {
  const dir = sharedPath(ROOT, 'testdata', 'baseline', 'v1.37') as string;
  for (const [outcome, allowed] of [
    ['pass', true],
    ['fail', false],
  ] as const) {
    for (const name of ['sysctls0.yaml']) {
      const pod = parse(readFileSync(join(dir, outcome, name), 'utf8')) as { metadata?: object; spec?: unknown };
      for (const v of ['latest', 'v1.37', 'v1.99']) {
        assert.equal(
          evaluatePod(pod.metadata ?? {}, pod.spec, 'baseline', parsePssVersion(v)).allowed,
          allowed,
          `${outcome}/${name} at ${v}`,
        );
      }
    }
  }
});
