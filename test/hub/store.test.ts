import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Finding, InputError, makeFinding, type ResourceRef, type ScanResult } from '../../src/core/index.js';
import { HubStore, hashToken } from '../../src/hub/index.js';
import { type Backend, postgresBackend, sqliteBackend } from './support/backends.js';

const web: ResourceRef = { type: 'kubernetes', kind: 'Deployment', namespace: 'shop', name: 'web' };
const api: ResourceRef = { type: 'kubernetes', kind: 'Deployment', namespace: 'shop', name: 'api' };
const image = (pkg: string): ResourceRef => ({
  type: 'image',
  reference: 'registry.local/shop/web:1.0',
  digest: `sha256:${'a'.repeat(64)}`,
  package: { name: pkg, version: '1.0' },
});

function finding(ruleId: string, resource: ResourceRef, extra: Partial<Finding> = {}): Finding {
  return makeFinding({
    ruleId,
    title: `${ruleId} on ${resource.type}`,
    severity: 'HIGH',
    status: 'fail',
    pillar: 'config',
    resource,
    ...extra,
  });
}

function result(findings: Finding[], command = 'audit'): ScanResult {
  return { command, targets: ['examples/acme'], findings, errors: [] };
}

class Clock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now = () => new Date(this.t);
  advance(ms: number) {
    this.t += ms;
  }
}

for (const backend of [sqliteBackend(), postgresBackend()] as Backend[]) {
  describe(`hub store on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());

    async function fresh() {
      const hub = await backend.open();
      const clock = new Clock();
      return { hub, clock, store: new HubStore(hub, clock.now) };
    }

    test('dedupes by stable id and keeps first and last seen', async () => {
      const { hub, clock, store } = await fresh();
      try {
        const f = finding('CFG-001', web);
        const first = await store.ingest({ result: result([f]), cluster: 'prod' });
        assert.deepEqual([first.new, first.stored, first.resolved], [1, 1, 0]);
        clock.advance(60_000);
        const second = await store.ingest({ result: result([f, f]), cluster: 'prod' });
        assert.deepEqual([second.new, second.stored, second.resolved], [0, 1, 0]);
        const page = await store.listFindings({});
        assert.equal(page.total, 1);
        const row = page.items[0];
        assert.ok(row);
        assert.equal(row.id, f.id);
        assert.equal(row.firstSeen, '2026-01-01T00:00:00.000Z');
        assert.equal(row.lastSeen, '2026-01-01T00:01:00.000Z');
        assert.equal(row.workflow, 'NEW');
        assert.equal(row.scanId, second.scanId);
        // the same finding id in another cluster is another row
        await store.ingest({ result: result([f]), cluster: 'staging' });
        assert.equal((await store.listFindings({})).total, 2);
        assert.equal((await store.listFindings({ cluster: 'staging' })).total, 1);
      } finally {
        await hub.close();
      }
    });

    test('a newer scan of the same resource that lacks a finding resolves it; other resources stay open', async () => {
      const { hub, clock, store } = await fresh();
      try {
        const a = finding('CFG-001', web);
        const b = finding('CFG-002', web);
        const c = finding('CFG-001', api);
        await store.ingest({ result: result([a, b, c]), cluster: 'prod' });
        clock.advance(1000);
        // the next scan looks only at `web` and no longer has CFG-002 there
        const s = await store.ingest({ result: result([a]), cluster: 'prod' });
        assert.equal(s.resolved, 1);
        const byRule = async (rule: string, res: string) =>
          (await store.listFindings({ rule })).items.find((i) => i.resource.includes(res));
        assert.equal((await byRule('CFG-002', 'web'))?.workflow, 'RESOLVED');
        assert.equal((await byRule('CFG-002', 'web'))?.resolvedAt, '2026-01-01T00:00:01.000Z');
        assert.equal((await byRule('CFG-001', 'web'))?.workflow, 'NEW');
        assert.equal((await byRule('CFG-001', 'api'))?.workflow, 'NEW', 'api was not scanned again');
        // seen again later: reopened as NEW, first seen kept
        clock.advance(1000);
        const again = await store.ingest({ result: result([a, b]), cluster: 'prod' });
        assert.equal(again.reopened, 1);
        const reopened = await byRule('CFG-002', 'web');
        assert.equal(reopened?.workflow, 'NEW');
        assert.equal(reopened?.resolvedAt, null);
        assert.equal(reopened?.firstSeen, '2026-01-01T00:00:00.000Z');
      } finally {
        await hub.close();
      }
    });

    test('a pass result for the same id resolves; an image rescan with no vulnerabilities resolves through covered', async () => {
      const { hub, store } = await fresh();
      try {
        const f = finding('CFG-003', api);
        await store.ingest({ result: result([f]), cluster: 'prod' });
        await store.ingest({ result: result([{ ...f, status: 'pass' }]), cluster: 'prod' });
        assert.equal((await store.listFindings({ rule: 'CFG-003' })).items[0]?.workflow, 'RESOLVED');

        const v1 = finding('VULN', image('openssl'), { pillar: 'vulnerability' });
        const v2 = finding('VULN', image('zlib'), { pillar: 'vulnerability' });
        await store.ingest({ result: result([v1, v2], 'image scan') });
        // a rescan of the same digest that only has zlib left resolves openssl (image scope, not package scope)
        const s1 = await store.ingest({ result: result([v2], 'image scan') });
        assert.equal(s1.resolved, 1);
        const s2 = await store.ingest({
          result: result([], 'image scan'),
          covered: [{ type: 'image', reference: 'registry.local/shop/web:1.0', digest: `sha256:${'a'.repeat(64)}` }],
        });
        assert.equal(s2.resolved, 1);
        assert.equal((await store.listFindings({ pillar: ['vulnerability'], status: ['NEW'] })).total, 0);
        const images = await store.listImages();
        assert.equal(images.total, 1);
        assert.deepEqual(images.items[0]?.tags, ['1.0']);
      } finally {
        await hub.close();
      }
    });

    test('suppressions need a reason, apply to matching findings, and lapse at their expiry', async () => {
      const { hub, clock, store } = await fresh();
      try {
        const f = finding('CFG-004', web);
        const g = finding('CFG-005', web);
        await store.ingest({ result: result([f, g]), cluster: 'prod' });
        await assert.rejects(store.addSuppression({ ruleId: 'CFG-004', reason: ' ' }), InputError);
        await assert.rejects(store.addSuppression({ reason: 'x' }), /findingId or ruleId/);
        const s = await store.addSuppression({
          ruleId: 'CFG-004',
          reason: 'accepted risk until the migration',
          expiresAt: '2026-01-02T00:00:00Z',
        });
        assert.equal(s.expiresAt, '2026-01-02T00:00:00.000Z');
        assert.equal((await store.listFindings({ status: ['SUPPRESSED'] })).items[0]?.ruleId, 'CFG-004');
        // a finding first seen while a suppression matches starts SUPPRESSED
        await store.ingest({ result: result([f, g, finding('CFG-004', api)]), cluster: 'prod' });
        assert.equal((await store.listFindings({ status: ['SUPPRESSED'] })).total, 2);
        clock.advance(2 * 86_400_000);
        const page = await store.listFindings({ status: ['SUPPRESSED'] });
        assert.equal(page.total, 0, 'expired suppression lifted');
        assert.equal((await store.listFindings({ status: ['NEW'] })).total, 3);
        const t = await store.addSuppression({ findingId: g.id, reason: 'false positive' });
        assert.equal((await store.listFindings({ status: ['SUPPRESSED'] })).total, 1);
        assert.equal(await store.deleteSuppression(t.id), true);
        assert.equal((await store.listFindings({ status: ['SUPPRESSED'] })).total, 0);
        assert.equal((await store.listSuppressions()).length, 1);
      } finally {
        await hub.close();
      }
    });

    test('filters, sort and pagination', async () => {
      const { hub, store } = await fresh();
      try {
        const fs: Finding[] = [];
        for (let i = 0; i < 25; i++) {
          fs.push(
            finding(
              `R-${String(i).padStart(2, '0')}`,
              { ...web, namespace: i % 2 ? 'shop' : 'pay' },
              {
                severity: i % 5 === 0 ? 'CRITICAL' : 'LOW',
                pillar: i % 3 === 0 ? 'access' : 'config',
              },
            ),
          );
        }
        await store.ingest({ result: result(fs), cluster: 'prod' });
        const p1 = await store.listFindings({ perPage: 10, sort: 'rule' });
        assert.equal(p1.total, 25);
        assert.deepEqual(
          p1.items.map((i) => i.ruleId),
          Array.from({ length: 10 }, (_, i) => `R-${String(i).padStart(2, '0')}`),
        );
        const p3 = await store.listFindings({ perPage: 10, page: 3, sort: '-rule' });
        assert.deepEqual(
          p3.items.map((i) => i.ruleId),
          ['R-04', 'R-03', 'R-02', 'R-01', 'R-00'],
        );
        assert.equal((await store.listFindings({ severity: ['critical'] })).total, 5);
        assert.equal((await store.listFindings({ pillar: ['access'], namespace: 'pay' })).total, 5);
        assert.equal((await store.listFindings({ resource: 'Deployment shop/' })).total, 12);
        assert.equal((await store.listFindings({ resource: web.name })).total, 25, 'prefix of the object name');
        assert.equal((await store.listFindings({ resource: 'hop/' })).total, 0, 'a prefix, not a substring');
        // Keyset paging walks the same order as offsets, for ascending, descending and mixed sorts.
        for (const sort of ['rule', '-severity,-last_seen', 'namespace,-rule']) {
          const byOffset = (await store.listFindings({ perPage: 25, sort })).items.map((i) => i.uid);
          const byCursor: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listFindings({ perPage: 7, sort, cursor });
            byCursor.push(...page.items.map((i) => i.uid));
            cursor = page.next;
          } while (cursor);
          assert.deepEqual(byCursor, byOffset, `cursor order for sort=${sort}`);
        }
        await assert.rejects(store.listFindings({ cursor: 'garbage' }), /not a cursor/);
        const bySeverity = await store.listFindings({ perPage: 5 });
        assert.ok(
          bySeverity.items.every((i) => i.severity === 'CRITICAL'),
          'default sort is most severe first',
        );
        await assert.rejects(store.listFindings({ sort: 'nope' }), /unknown sort key nope/);
        const ns = await store.listNamespaces('prod');
        assert.deepEqual(
          ns.map((n) => [n.namespace, n.open]),
          [
            ['pay', 13],
            ['shop', 12],
          ],
        );
        const ov = await store.overview();
        assert.equal(ov.bySeverity.CRITICAL, 5);
        assert.equal(ov.byPillar.access, 9);
      } finally {
        await hub.close();
      }
    });

    test('bad pushed findings name the field; API tokens are stored only as hashes', async () => {
      const { hub, store } = await fresh();
      try {
        const bad = { ...finding('X', web), severity: 'SEVERE' } as unknown as Finding;
        await assert.rejects(
          store.ingest({ result: result([finding('Y', web), bad]) }),
          (e: InputError) => e instanceof InputError && e.location.field === 'findings[1].severity',
        );
        assert.equal((await store.listFindings({})).total, 0, 'nothing half-written');
        await assert.rejects(
          store.ingest({
            result: result([finding('Y', web)]),
            cluster: 'prod',
            context: { reachability: [{ from: 'a', to: 7 }] } as never,
          }),
          (e: InputError) => e instanceof InputError && e.location.field === 'context.reachability[0].to',
        );
        // The latest scan of a cluster that carried a reachability graph is the one shown.
        assert.equal((await store.reachability('prod')).edges, null);
        const edges = [{ from: 'shop', to: 'pay', connections: 'TCP 8443' }];
        await store.ingest({ result: result([finding('Y', web)]), cluster: 'prod', context: { reachability: edges } });
        await store.ingest({ result: result([finding('Y', web)]), cluster: 'prod' });
        const reach = await store.reachability('prod');
        assert.deepEqual([reach.edges, reach.namespaces], [edges, ['pay', 'shop']]);
        assert.equal((await store.reachability('other')).edges, null);
        const token = await store.createToken('first');
        assert.equal(await store.verifyToken(token), true);
        assert.equal(await store.verifyToken(`${token}x`), false);
        const rows = await hub.db.selectFrom('api_tokens').selectAll().execute();
        assert.equal(rows[0]?.hash, hashToken(token));
        assert.ok(!JSON.stringify(rows).includes(token));
      } finally {
        await hub.close();
      }
    });
  });
}
