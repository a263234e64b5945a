import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { RampartError, type ScanResult, UsageError } from '../core/index.js';
import { FINDINGS_QUERY, openApiDocument, PAGE_QUERY } from './openapi.js';
import type { ScanQueue } from './queue.js';
import { IMAGE_SCAN_JOB } from './scan.js';
import type { SecurityHubSync } from './securityhub.js';
import { type HubStore, hashToken, type IngestRequest } from './store.js';
import { bearerMatches, type PushEvent, parseEcrEvents, parseRegistryEnvelope } from './webhooks.js';

export interface HubAppOptions {
  store: HubStore;
  queue?: ScanQueue;
  /** false only with --no-auth on a loopback address. */
  authRequired: boolean;
  webhookSecret?: string;
  securityHub?: SecurityHubSync;
  /** Built dashboard (index.html + assets); absent → no dashboard. */
  webRoot?: string;
  version: string;
  /** Re-match stored SBOMs against the current advisory DB (`POST /api/v1/images:rematch`). */
  rematch?: () => Promise<{ images: number; new: number; resolved: number }>;
  /** Largest accepted request body (ingest batches). */
  bodyLimit?: number;
}

const REGISTRY_EVENTS = 'application/vnd.docker.distribution.events.v1+json';

/** Builds the hub's HTTP app (not listening): REST API, webhooks, dashboard. */
export async function buildHubApp(o: HubAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimit ?? 64 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false } },
  });
  app.addContentTypeParser(
    [REGISTRY_EVENTS, 'application/vnd.docker.distribution.events.v2+json'],
    { parseAs: 'string' },
    (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof RampartError) {
      return reply.code(400).send({ error: err.message, ...(err.location.field ? { field: err.location.field } : {}) });
    }
    if (err.validation || (err.statusCode && err.statusCode < 500)) {
      return reply.code(err.statusCode ?? 400).send({ error: err.message });
    }
    return reply.code(500).send({ error: 'internal error' });
  });

  // Verified token hashes, so a busy API does not hit the database for every request.
  const verified = new Set<string>();
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!o.authRequired || !path.startsWith('/api/') || path === '/api/v1/openapi.json') return;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1];
    if (!token) return reply.code(401).send({ error: 'missing API token: send Authorization: Bearer <token>' });
    const h = hashToken(token);
    if (verified.has(h)) return;
    if (!(await o.store.verifyToken(token))) return reply.code(401).send({ error: 'wrong API token' });
    verified.add(h);
  });

  app.get('/healthz', async () => ({ status: 'ok', db: o.store.hub.dialect }));
  app.get('/api/v1/openapi.json', async () => openApiDocument(o.version));
  app.get('/api/v1/overview', async () => o.store.overview());

  app.get(
    '/api/v1/findings',
    { schema: { querystring: { type: 'object', properties: FINDINGS_QUERY } } },
    async (req) => {
      const q = req.query as Record<string, string | number | undefined>;
      const list = (k: string) =>
        typeof q[k] === 'string' && q[k] !== ''
          ? (q[k] as string)
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined;
      const text = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
      return o.store.listFindings({
        severity: list('severity'),
        status: list('status'),
        pillar: list('pillar'),
        cluster: text('cluster'),
        namespace: text('namespace') || undefined,
        resource: text('resource') || undefined,
        image: text('image') || undefined,
        rule: text('rule') || undefined,
        sort: text('sort'),
        page: Number(q.page ?? 1),
        perPage: Number(q.per_page ?? 50),
        cursor: text('cursor') || undefined,
      });
    },
  );

  app.post('/api/v1/findings::batch', async (req) => {
    const body = req.body as (Partial<IngestRequest> & Partial<ScanResult>) | undefined;
    const query = req.query as { cluster?: string; source?: string };
    const wrapped = body && typeof body === 'object' && 'result' in body && body.result;
    const request: IngestRequest = wrapped
      ? { ...(body as IngestRequest) }
      : { result: body as ScanResult, cluster: query.cluster, source: query.source };
    request.cluster ??= query.cluster;
    request.kind = 'ingest';
    return o.store.ingest(request);
  });

  app.get('/api/v1/findings/:uid', async (req, reply) => {
    const f = await o.store.getFinding((req.params as { uid: string }).uid);
    return f ?? reply.code(404).send({ error: 'no such finding' });
  });

  app.patch(
    '/api/v1/findings/:uid',
    {
      schema: {
        body: { type: 'object', required: ['workflow'], properties: { workflow: { enum: ['NEW', 'NOTIFIED'] } } },
      },
    },
    async (req, reply) => {
      const { workflow } = req.body as { workflow: 'NEW' | 'NOTIFIED' };
      const f = await o.store.setWorkflow((req.params as { uid: string }).uid, workflow);
      return f ?? reply.code(404).send({ error: 'no such finding' });
    },
  );

  app.get('/api/v1/images', { schema: { querystring: { type: 'object', properties: PAGE_QUERY } } }, async (req) => {
    const q = req.query as { page?: number; per_page?: number };
    return o.store.listImages(q.page ?? 1, q.per_page ?? 50);
  });
  app.post('/api/v1/images::rematch', async (_req, reply) => {
    if (!o.rematch) return reply.code(409).send({ error: 'this hub has no advisory matching' });
    return o.rematch();
  });
  app.get('/api/v1/images/:digest', async (req, reply) => {
    const image = await o.store.getImage((req.params as { digest: string }).digest);
    return image ?? reply.code(404).send({ error: 'no such image' });
  });
  app.get('/api/v1/clusters', async () => o.store.listClusters());
  app.get(
    '/api/v1/reachability',
    { schema: { querystring: { type: 'object', properties: { cluster: { type: 'string' } } } } },
    async (req) => o.store.reachability((req.query as { cluster?: string }).cluster ?? ''),
  );
  app.get(
    '/api/v1/access',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            cluster: { type: 'string' },
            namespace: { type: 'string' },
            q: { type: 'string' },
            filter: { type: 'string' },
          },
        },
      },
    },
    async (req) => {
      const { cluster, namespace, q, filter } = req.query as Record<string, string | undefined>;
      return o.store.access(cluster ?? '', { namespace, question: q, filter });
    },
  );
  app.get('/api/v1/namespaces', async (req) => {
    const { cluster } = req.query as { cluster?: string };
    return o.store.listNamespaces(cluster);
  });

  app.get('/api/v1/scans', { schema: { querystring: { type: 'object', properties: PAGE_QUERY } } }, async (req) => {
    const q = req.query as { page?: number; per_page?: number };
    return o.store.listScans(q.page ?? 1, q.per_page ?? 50);
  });
  app.get('/api/v1/scans/queue', async (req) => {
    if (!o.queue) return { counts: null, jobs: [] };
    const { status } = req.query as { status?: string };
    return { counts: await o.queue.counts(), jobs: await o.queue.list(100, status) };
  });
  app.get('/api/v1/scans/:id', async (req, reply) => {
    const scan = await o.store.getScan((req.params as { id: string }).id);
    return scan ?? reply.code(404).send({ error: 'no such scan' });
  });
  app.post(
    '/api/v1/scans',
    { schema: { body: { type: 'object', required: ['reference'], properties: { reference: { type: 'string' } } } } },
    async (req, reply) => {
      if (!o.queue) return reply.code(409).send({ error: 'this hub has no scan queue' });
      const { reference } = req.body as { reference: string };
      const m = /^([^/]+)\/(.+)@(sha256:[a-f0-9]{64})$/.exec(reference);
      if (!m?.[1] || !m[2] || !m[3]) {
        return reply.code(400).send({ error: 'reference must be host/repository@sha256:<digest>', field: 'reference' });
      }
      const event: PushEvent = { reference, registry: m[1], repository: m[2], digest: m[3], source: 'api' };
      const queued = await enqueue(o.queue, [event], { force: true });
      return reply.code(202).send(queued);
    },
  );

  app.get('/api/v1/suppressions', async () => o.store.listSuppressions());
  app.post('/api/v1/suppressions', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const s = await o.store.addSuppression({
      findingId: body.findingId,
      ruleId: body.ruleId,
      cluster: body.cluster,
      reason: body.reason ?? '',
      expiresAt: body.expiresAt,
      createdBy: body.createdBy,
    });
    return reply.code(201).send(s);
  });
  app.delete('/api/v1/suppressions/:id', async (req, reply) => {
    const ok = await o.store.deleteSuppression((req.params as { id: string }).id);
    return ok ? reply.code(204).send() : reply.code(404).send({ error: 'no such suppression' });
  });

  app.post('/api/v1/securityhub::sync', async (_req, reply) => {
    if (!o.securityHub) {
      return reply
        .code(409)
        .send({ error: 'Security Hub sync is not configured (--securityhub-region/--aws-account-id)' });
    }
    return o.securityHub.syncOnce();
  });

  const webhook = (parse: (body: unknown) => PushEvent[]) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!o.webhookSecret || !o.queue) {
      return reply.code(503).send({ error: 'webhooks are off: start the hub with --webhook-secret' });
    }
    if (!bearerMatches(req.headers.authorization, o.webhookSecret)) {
      return reply.code(401).send({ error: 'wrong or missing webhook secret' });
    }
    const events = parse(req.body);
    return reply.code(202).send(await enqueue(o.queue, events));
  };
  app.post('/webhooks/registry', webhook(parseRegistryEnvelope));
  app.post('/webhooks/ecr', webhook(parseEcrEvents));

  if (o.webRoot) {
    await app.register(fastifyStatic, { root: o.webRoot, prefix: '/', index: ['index.html'] });
  }
  return app;
}

/** A pushed digest scanned in the last day is not scanned again for a redelivered event; the API can force it. */
const RESCAN_AFTER_MS = 24 * 3600_000;

async function enqueue(
  queue: ScanQueue,
  events: PushEvent[],
  options: { force?: boolean } = {},
): Promise<{ received: number; queued: number }> {
  let queued = 0;
  for (const e of events) {
    const skip = options.force ? {} : { skipIfDoneWithinMs: RESCAN_AFTER_MS };
    if (await queue.enqueue(IMAGE_SCAN_JOB, e.digest, { ...e }, skip)) queued++;
  }
  return { received: events.length, queued };
}

/** The built dashboard: `dist/web` next to the compiled hub, or the repository's `dist/web` when run from sources. */
export function defaultWebRoot(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

/** `--insecure-registry` is for test and local registries: plain HTTP only on loopback. */
export function checkInsecureRegistries(list: string[]): Set<string> {
  const out = new Set<string>();
  for (const r of list) {
    const host = r.startsWith('[') ? r.slice(0, r.indexOf(']') + 1) : (r.split(':')[0] ?? '');
    if (!isLoopback(host)) {
      throw new UsageError(
        `--insecure-registry ${r}: plain HTTP is only allowed for loopback registries (127.0.0.1, ::1, localhost)`,
      );
    }
    out.add(r);
  }
  return out;
}
