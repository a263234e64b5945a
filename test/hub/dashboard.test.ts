import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { type Finding, makeFinding } from '../../src/core/index.js';
import { startHub } from '../../src/hub/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { missingTool } from '../support/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const DIGEST = `sha256:${'f'.repeat(64)}`;
/** Screenshots outlive the test here (never in the repository). */
const OUTPUT = process.env.RAMPART_TEST_OUTPUT ?? join(tmpdir(), 'rampart-test-output');

function sampleFindings(): Finding[] {
  const out: Finding[] = [];
  const namespaces = ['shop', 'pay', 'kube-system'];
  for (let i = 0; i < 30; i++) {
    out.push(
      makeFinding({
        ruleId: i % 2 ? 'CFG-RUN-AS-ROOT' : 'ACC-WILDCARD-VERBS',
        title: i % 2 ? 'Container runs as root' : 'Role grants * verbs',
        severity: i % 5 === 0 ? 'HIGH' : 'MEDIUM',
        status: 'fail',
        pillar: i % 2 ? 'config' : 'access',
        resource: { type: 'kubernetes', kind: 'Deployment', namespace: namespaces[i % 3], name: `app-${i}` },
      }),
    );
  }
  out.push(
    makeFinding({
      ruleId: 'BND-NO-DEFAULT-DENY',
      title: 'Namespace has no default-deny NetworkPolicy',
      severity: 'HIGH',
      status: 'fail',
      pillar: 'boundary',
      resource: { type: 'kubernetes', kind: 'Namespace', namespace: 'pay', name: 'pay' },
    }),
    makeFinding({
      ruleId: 'vuln/apk',
      title: 'CVE-2019-1551 in openssl 1.1.1d-r2',
      severity: 'CRITICAL',
      status: 'fail',
      pillar: 'vulnerability',
      resource: {
        type: 'image',
        reference: '127.0.0.1:5000/shop/web:1.4',
        digest: DIGEST,
        package: { name: 'openssl', version: '1.1.1d-r2' },
      },
      details: {
        vulnerability: {
          id: 'CVE-2019-1551',
          package: { name: 'openssl', version: '1.1.1d-r2', ecosystem: 'apk', fixedVersion: '1.1.1d-r3' },
        },
      },
    }),
  );
  return out;
}

function sampleAccess() {
  const masters = {
    kind: 'Group',
    name: 'system:masters',
    iam: [{ principalArn: 'arn:aws:iam::111122223333:role/ops-admin', via: 'aws-auth mapRoles' }],
    via: 'system:masters (unconditional)',
  };
  const deployer = {
    kind: 'ServiceAccount',
    namespace: 'ci',
    name: 'deployer',
    iam: [],
    via: 'RoleBinding shop/deployer → ClusterRole edit',
    file: 'rbac.yaml',
    line: 12,
  };
  const devs = {
    kind: 'Group',
    name: 'shop-devs',
    iam: [
      { principalArn: 'arn:aws:iam::111122223333:role/shop-dev', via: 'access entry' },
      {
        principalArn: 'arn:aws:iam::111122223333:role/aws-reserved/sso/dev',
        via: 'aws-auth mapRoles',
        inactive: 'role ARN has a path; aws-auth never matches it',
      },
    ],
    via: 'RoleBinding shop/devs → Role secret-reader',
  };
  return {
    questions: [
      { id: 'get secrets', verb: 'get', group: '', resource: 'secrets', scope: 'namespace' as const },
      { id: '* * (cluster-wide)', verb: '*', group: '*', resource: '*', scope: 'cluster' as const },
    ],
    subjectCap: 50,
    answers: [
      { namespace: 'shop', question: 'get secrets', subjects: [masters, deployer, devs], total: 3, unknowns: [] },
      { namespace: 'pay', question: 'get secrets', subjects: [masters], total: 1, unknowns: [] },
      { namespace: '(cluster)', question: '* * (cluster-wide)', subjects: [masters], total: 1, unknowns: [] },
    ],
  };
}

test('dashboard in Debian chromium (playwright-core, headless): token prompt, overview, filter findings, open an image, namespaces, reachability matrix, who-can explorer; no external requests', {
  skip: missingTool('chromium'),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-web-'));
  mkdirSync(OUTPUT, { recursive: true });
  const webRoot = join(dir, 'web');
  const build = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.mjs'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, RAMPART_WEB_OUT: webRoot },
      encoding: 'utf8',
    },
  );
  assert.equal(build.status, 0, build.stderr);

  const hub = await startHub({
    port: 0,
    db: join(dir, 'hub.sqlite'),
    cacheDir: dir,
    version: 'test',
    webRoot,
    rematchIntervalMs: 0,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    await hub.store.ingest({
      result: { command: 'audit', targets: [], findings: sampleFindings(), errors: [] },
      cluster: 'prod',
      // The namespace graph `rampart audit` computes, pushed with its findings.
      context: {
        reachability: [
          { from: 'shop', to: 'pay', connections: 'TCP 8443' },
          { from: 'external', to: 'shop', connections: 'TCP 80', ranges: ['0.0.0.0-255.255.255.255'] },
          { from: 'shop', to: 'shop', connections: 'All Connections' },
        ],
        // The who-can answers `rampart audit --push` sends (shape of src/boundaries/access-context.ts).
        access: sampleAccess(),
      },
    });
    await hub.store.recordImage({
      digest: DIGEST,
      reference: '127.0.0.1:5000/shop/web:1.4',
      platform: 'linux/amd64',
      layers: [{ digest: `sha256:${'1'.repeat(64)}`, size: 3_000_000 }],
      inventory: {
        reference: '127.0.0.1:5000/shop/web:1.4',
        distro: { id: 'alpine', versionId: '3.11.5', prettyName: 'Alpine Linux v3.11' },
        layers: [],
        packages: [
          { type: 'apk', name: 'openssl', version: '1.1.1d-r2', locations: [] },
          { type: 'apk', name: 'musl', version: '1.1.24-r0', locations: [] },
        ],
        problems: [],
      },
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(hub.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) consoleErrors.push(m.text());
    });

    // 1. Without a token the dashboard asks for it; with it the overview loads.
    await page.goto(`${hub.url}/`);
    await page.getByLabel('API token').fill(hub.newToken ?? '');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByTestId('count-CRITICAL').waitFor();
    assert.equal(await page.getByTestId('count-CRITICAL').textContent(), '1');
    assert.equal(await page.getByTestId('count-HIGH').textContent(), '7');
    await page.screenshot({ path: join(OUTPUT, 'hub-dashboard-overview.png'), fullPage: true });

    // 2. Findings: 32 open; filter to HIGH, then to namespace pay.
    await page.getByRole('link', { name: 'Findings' }).click();
    await page.getByTestId('findings-total').filter({ hasText: '32 findings' }).waitFor();
    await page.locator('select[name=severity]').selectOption('HIGH');
    await page.getByTestId('findings-total').filter({ hasText: '7 findings' }).waitFor();
    await page.locator('input[name=namespace]').fill('pay');
    await page.getByTestId('findings-total').filter({ hasText: '3 findings' }).waitFor();
    const rows = await page.locator('table.findings tbody tr.row').count();
    assert.equal(rows, 3);
    await page.screenshot({ path: join(OUTPUT, 'hub-dashboard-findings.png'), fullPage: true });

    // 3. Images → image detail: packages, fix version, layers.
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('link', { name: 'shop/web' }).click();
    await page.getByTestId('image-title').waitFor();
    const detail = await page.locator('main').textContent();
    assert.match(detail ?? '', /linux\/amd64 · 1 layers · 2 packages · Alpine Linux v3\.11/);
    assert.match(detail ?? '', /openssl1\.1\.1d-r21\.1\.1d-r31/, 'fix table: openssl 1.1.1d-r2 → 1.1.1d-r3, 1 fix');
    assert.match(detail ?? '', /CVE-2019-1551/);
    await page.screenshot({ path: join(OUTPUT, 'hub-dashboard-image.png'), fullPage: true });

    // 4. Namespace boundary cards.
    await page.getByRole('link', { name: 'Namespaces' }).click();
    await page.locator('.card.ns.boundary-fail').waitFor();
    assert.equal(await page.locator('.card.ns').count(), 3);
    assert.match((await page.locator('.card.ns.boundary-fail').textContent()) ?? '', /pay/);
    await page.screenshot({ path: join(OUTPUT, 'hub-dashboard-namespaces.png'), fullPage: true });

    // 5. Reachability matrix of the latest audit of the cluster.
    await page.getByRole('link', { name: 'Reachability' }).click();
    await page.getByTestId('reachability-matrix').waitFor();
    assert.equal(await page.getByTestId('reach-shop-pay').textContent(), 'TCP 8443');
    assert.equal(await page.getByTestId('reach-external-shop').textContent(), 'TCP 80');
    assert.equal(await page.getByTestId('reach-pay-shop').textContent(), '', 'nothing allowed pay → shop');
    await page.screenshot({ path: join(OUTPUT, 'hub-dashboard-reachability.png'), fullPage: true });

    // 6. Who can: get secrets in shop → three subjects; filter by text to the IAM-backed group.
    await page.getByRole('link', { name: 'Who can' }).click();
    await page.getByTestId('whocan-table').waitFor();
    await page.locator('select[name=namespace]').selectOption('shop');
    await page.locator('select[name=question]').selectOption('get secrets');
    await page.getByTestId('whocan-row').nth(2).waitFor();
    assert.equal(await page.getByTestId('whocan-row').count(), 3);
    await page.locator('input[name=subject-filter]').fill('shop-dev');
    await page.getByTestId('whocan-row').nth(1).waitFor({ state: 'detached' });
    const only = (await page.getByTestId('whocan-row').textContent()) ?? '';
    assert.match(only, /Group shop-devs/);
    assert.match(only, /arn:aws:iam::111122223333:role\/shop-dev \(access entry\)/);
    assert.match(only, /inactive: role ARN has a path/);
    assert.match(only, /RoleBinding shop\/devs → Role secret-reader/);
    await page.screenshot({ path: join(OUTPUT, 'hub-dashboard-whocan.png'), fullPage: true });
    // The cluster-wide question is answered once, whatever namespace is picked.
    await page.locator('input[name=subject-filter]').fill('');
    await page.locator('select[name=question]').selectOption('* * (cluster-wide)');
    await page.getByTestId('whocan-row').nth(1).waitFor({ state: 'detached' });
    assert.match((await page.getByTestId('whocan-row').textContent()) ?? '', /system:masters.*ops-admin/);

    assert.deepEqual(foreign, [], 'the dashboard makes no external requests');
    assert.deepEqual(consoleErrors, []);
    t.diagnostic(`screenshots: ${OUTPUT}/hub-dashboard-{overview,findings,image,namespaces,reachability,whocan}.png`);
  } finally {
    await browser.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
