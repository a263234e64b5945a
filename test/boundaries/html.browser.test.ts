import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { renderAuditHtml, runAudit } from '../../src/boundaries/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { missingTool } from '../support/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = missingTool(CHROMIUM);

// One temp dir for the report, the browser profile and the screenshot; its path is printed so a person can look.
const out = mkdtempSync(join(tmpdir(), 'rampart-audit-html-'));
let browser: BrowserContext | undefined;

before(async () => {
  if (skip) return;
  // A fresh profile in the temp dir (playwright wants it as launchPersistentContext's first argument).
  browser = await chromium.launchPersistentContext(join(out, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  // Keep the screenshot when asked to (RAMPART_KEEP_SCREENSHOTS=1), else leave nothing behind.
  if (process.env.RAMPART_KEEP_SCREENSHOTS !== '1') rmSync(out, { recursive: true, force: true });
});

test('audit HTML report of examples/acme renders in headless Debian chromium with no external request', {
  skip,
}, async () => {
  const result = await runAudit([join(REPO_ROOT, 'examples/acme')]);
  const html = renderAuditHtml(result, { toolVersion: 'test', now: new Date('2026-11-27T00:00:00Z') });
  const file = join(out, 'audit.html');
  writeFileSync(file, html);
  assert.ok(browser);
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(pathToFileURL(file).href);

  // Self-contained: the only request is the file itself.
  assert.deepEqual(
    requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')),
    [],
  );
  assert.deepEqual(consoleErrors, []);

  // Summary and one card per namespace, with the verdicts the audit computed.
  assert.equal(await page.locator('#summary').count(), 1);
  const judged = result.audit.namespaces;
  assert.equal(await page.locator('.ns-card').count(), judged.length);
  for (const n of judged) {
    const card = page.locator(`.ns-card[data-namespace="${n.namespace}"]`);
    assert.equal(await card.getAttribute('data-verdict'), n.verdict ?? 'not judged');
  }
  assert.equal((await page.locator('#count-open b').textContent())?.trim(), String(result.audit.summary.verdicts.open));
  assert.match((await page.locator('#enforcement').textContent()) ?? '', /NetworkPolicy enforcement: enforced/);

  // The reachability picture: a node per namespace (+ external) and an arrow per allowed namespace pair.
  const svg = page.locator('svg#reachability');
  assert.equal(await svg.count(), 1);
  assert.ok(await svg.isVisible());
  const edges = (result.audit.reachability ?? []).filter((e) => e.from !== e.to);
  assert.equal(await page.locator('svg#reachability line.edge').count(), edges.length);
  assert.ok((await page.locator('svg#reachability g.node').count()) >= judged.length);
  assert.ok((await page.locator('svg#reachability line.cross-tenant').count()) > 0);

  // Findings table with working filters.
  const rows = page.locator('#findings tbody tr');
  assert.equal(await rows.count(), result.findings.length);
  await page.selectOption('#f-status', 'fail');
  const fails = result.findings.filter((f) => f.status === 'fail').length;
  assert.equal(await page.locator('#findings tbody tr:not([hidden])').count(), fails);
  assert.equal(await page.locator('#f-count').textContent(), `${fails} of ${result.findings.length} findings`);
  await page.selectOption('#f-namespace', 'payments');
  const paymentsFails = await page.locator('#findings tbody tr:not([hidden])').count();
  assert.ok(paymentsFails > 0 && paymentsFails < fails);
  await page.selectOption('#f-status', '');
  await page.fill('#f-text', 'boundary/verdict');
  assert.equal(await page.locator('#findings tbody tr:not([hidden])').count(), 1);
  await page.selectOption('#f-namespace', '');
  await page.fill('#f-text', '');
  assert.equal(await page.locator('#findings tbody tr:not([hidden])').count(), result.findings.length);

  const shot = join(out, 'audit.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(readFileSync(shot).length > 10_000);
  process.stdout.write(`# screenshot: ${shot}\n`);
  await page.close();
});
