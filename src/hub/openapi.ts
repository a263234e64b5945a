/**
 * The hub's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`. The query parameters of the list
 * endpoints are defined here once and reused as the routes' validation schemas.
 */
const str = { type: 'string' } as const;
const csv = (description: string) => ({ type: 'string', description: `${description} (comma-separated)` }) as const;

export const FINDINGS_QUERY = {
  severity: csv('CRITICAL, HIGH, MEDIUM, LOW, INFO'),
  status: csv('workflow NEW, NOTIFIED, RESOLVED, SUPPRESSED and/or verdict fail, unknown'),
  pillar: csv('image, vulnerability, config, access, boundary, network'),
  cluster: { type: 'string', description: "cluster name ('' for cluster-less scans)" },
  namespace: str,
  resource: {
    type: 'string',
    description:
      'prefix of the resource name (object name, image reference, ARN, path) or of its label (`Kind ns/name`)',
  },
  image: { type: 'string', description: 'image reference, or digest prefix' },
  rule: { type: 'string', description: 'rule id' },
  sort: {
    type: 'string',
    description:
      'comma-separated keys, `-` for descending: severity, last_seen, first_seen, title, rule, resource, namespace, workflow (default -severity,-last_seen)',
  },
  page: { type: 'integer', minimum: 1, default: 1 },
  per_page: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: {
    type: 'string',
    description: 'keyset paging: the `next` of the previous page (same filters and sort); cost independent of depth',
  },
} as const;

export const PAGE_QUERY = {
  page: { type: 'integer', minimum: 1, default: 1 },
  per_page: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
} as const;

function params(query: Record<string, object>) {
  return Object.entries(query).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
}

const pathId = (name: string) => [{ name, in: 'path', required: true, schema: str }];
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const page = (item: string) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: ref(item) },
    page: { type: 'integer' },
    perPage: { type: 'integer' },
    total: { type: 'integer' },
    next: { type: 'string', description: 'cursor of the following page (findings)' },
  },
});
const errors = {
  '400': { description: 'bad request; `field` names the offending field', ...json(ref('Error')) },
  '401': { description: 'missing or wrong API token', ...json(ref('Error')) },
};

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rampart hub API',
      version,
      description:
        'Findings from every Rampart engine, per cluster, with history. Authenticate with `Authorization: Bearer <token>` (the token printed on first start).',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: {
      '/healthz': { get: { summary: 'liveness', security: [], responses: { '200': { description: 'ok' } } } },
      '/api/v1/overview': {
        get: {
          summary: 'open findings by severity and pillar, opened/resolved per day',
          responses: { '200': json(ref('Overview')), ...errors },
        },
      },
      '/api/v1/findings': {
        get: {
          summary: 'list findings',
          parameters: params(FINDINGS_QUERY),
          responses: { '200': { description: 'a page of findings', ...json(page('Finding')) }, ...errors },
        },
      },
      '/api/v1/findings:batch': {
        post: {
          summary:
            'ingest one scan (a ScanResult, optionally wrapped with cluster/source/covered/context; context.reachability = namespace edges {from, to, connections}; context.access = who-can answers {questions, subjectCap, answers})',
          requestBody: json({
            oneOf: [
              ref('ScanResult'),
              {
                type: 'object',
                required: ['result'],
                properties: {
                  result: ref('ScanResult'),
                  cluster: str,
                  source: str,
                  covered: { type: 'array', items: { type: 'object' }, description: 'resources scanned completely' },
                },
              },
            ],
          }),
          responses: { '200': json(ref('IngestSummary')), ...errors },
        },
      },
      '/api/v1/findings/{uid}': {
        get: {
          summary: 'one finding',
          parameters: pathId('uid'),
          responses: { '200': json(ref('Finding')), '404': { description: 'not found' } },
        },
        patch: {
          summary: 'set the workflow to NEW or NOTIFIED',
          parameters: pathId('uid'),
          requestBody: json({
            type: 'object',
            required: ['workflow'],
            properties: { workflow: { enum: ['NEW', 'NOTIFIED'] } },
          }),
          responses: { '200': json(ref('Finding')), '404': { description: 'not found' }, ...errors },
        },
      },
      '/api/v1/images': {
        get: {
          summary: 'images with open finding counts',
          parameters: params(PAGE_QUERY),
          responses: { '200': json(page('Image')), ...errors },
        },
      },
      '/api/v1/images:rematch': {
        post: {
          summary: 'match every stored SBOM against the current advisory DB (runs by itself when the DB changes)',
          responses: { '200': json({ type: 'object' }), ...errors },
        },
      },
      '/api/v1/images/{digest}': {
        get: {
          summary: 'image detail: layers, SBOM (inventory), vulnerabilities, fix versions',
          parameters: pathId('digest'),
          responses: { '200': json(ref('Image')), '404': { description: 'not found' }, ...errors },
        },
      },
      '/api/v1/clusters': {
        get: { summary: 'clusters that pushed findings', responses: { '200': json({ type: 'array' }), ...errors } },
      },
      '/api/v1/namespaces': {
        get: {
          summary: 'namespaces with open findings by pillar and the boundary verdict',
          parameters: params({ cluster: str }),
          responses: { '200': json({ type: 'array' }), ...errors },
        },
      },
      '/api/v1/reachability': {
        get: {
          summary:
            'namespace-to-namespace reachability of a cluster, from the latest scan that carried one (`rampart audit --push`); edges null with a reason when none did',
          parameters: params({ cluster: str }),
          responses: {
            '200': json({
              type: 'object',
              properties: {
                cluster: str,
                scanId: { type: ['string', 'null'] },
                createdAt: { type: ['string', 'null'] },
                namespaces: { type: 'array', items: str },
                edges: {
                  type: ['array', 'null'],
                  items: {
                    type: 'object',
                    properties: { from: str, to: str, connections: str, ranges: { type: 'array', items: str } },
                  },
                },
                reason: str,
              },
            }),
            ...errors,
          },
        },
      },
      '/api/v1/access': {
        get: {
          summary:
            'who-can answers of a cluster from the latest scan that carried them (`rampart audit --push`): per namespace and sensitive question, the subjects (capped at subjectCap; total counts all), the IAM principals behind them and the granting binding; q = question id, filter = text in subject, binding or principal',
          parameters: params({ cluster: str, namespace: str, q: str, filter: str }),
          responses: {
            '200': json({
              type: 'object',
              properties: {
                cluster: str,
                scanId: { type: ['string', 'null'] },
                createdAt: { type: ['string', 'null'] },
                questions: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { id: str, verb: str, group: str, resource: str, subresource: str, scope: str },
                  },
                },
                namespaces: { type: 'array', items: str },
                subjectCap: { type: ['integer', 'null'] },
                answers: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      namespace: str,
                      question: str,
                      total: { type: 'integer' },
                      unknowns: { type: 'array', items: str },
                      subjects: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            kind: str,
                            name: str,
                            namespace: str,
                            via: str,
                            file: str,
                            line: { type: 'integer' },
                            iam: {
                              type: 'array',
                              items: {
                                type: 'object',
                                properties: { principalArn: str, via: str, inactive: str },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
                reason: str,
              },
            }),
            ...errors,
          },
        },
      },
      '/api/v1/scans': {
        get: {
          summary: 'scan history',
          parameters: params(PAGE_QUERY),
          responses: { '200': json(page('Scan')), ...errors },
        },
        post: {
          summary: 'queue a scan of an image by digest',
          requestBody: json({
            type: 'object',
            required: ['reference'],
            properties: { reference: { type: 'string', description: 'host/repo@sha256:…' } },
          }),
          responses: { '202': json({ type: 'object' }), ...errors },
        },
      },
      '/api/v1/scans/queue': {
        get: {
          summary: 'scan queue: counts and recent jobs',
          parameters: params({ status: str }),
          responses: { '200': json({ type: 'object' }), ...errors },
        },
      },
      '/api/v1/scans/{id}': {
        get: {
          summary: 'one scan',
          parameters: pathId('id'),
          responses: { '200': json(ref('Scan')), '404': { description: 'not found' } },
        },
      },
      '/api/v1/suppressions': {
        get: {
          summary: 'suppressions',
          responses: { '200': json({ type: 'array', items: ref('Suppression') }), ...errors },
        },
        post: {
          summary: 'suppress by finding id and/or rule id, with a reason and optional expiry',
          requestBody: json({
            type: 'object',
            required: ['reason'],
            properties: {
              findingId: str,
              ruleId: str,
              cluster: str,
              reason: str,
              expiresAt: { type: 'string', format: 'date-time' },
            },
          }),
          responses: { '201': json(ref('Suppression')), ...errors },
        },
      },
      '/api/v1/suppressions/{id}': {
        delete: {
          summary: 'lift a suppression',
          parameters: pathId('id'),
          responses: { '204': { description: 'deleted' }, '404': { description: 'not found' } },
        },
      },
      '/api/v1/securityhub:sync': {
        post: {
          summary: 'export new and changed findings to Security Hub now',
          responses: { '200': json({ type: 'object' }), '409': { description: 'not configured' } },
        },
      },
      '/webhooks/registry': {
        post: {
          summary: 'CNCF Distribution notification envelope; Authorization: Bearer <webhook secret>',
          security: [{ webhook: [] }],
          responses: { '202': json({ type: 'object' }), ...errors },
        },
      },
      '/webhooks/ecr': {
        post: {
          summary: 'EventBridge "ECR Image Action" event; Authorization: Bearer <webhook secret>',
          security: [{ webhook: [] }],
          responses: { '202': json({ type: 'object' }), ...errors },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'hub API token' },
        webhook: { type: 'http', scheme: 'bearer', description: '--webhook-secret' },
      },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: str, field: str } },
        ScanResult: {
          type: 'object',
          required: ['findings'],
          properties: {
            command: str,
            targets: { type: 'array', items: str },
            findings: { type: 'array', items: { type: 'object' } },
            errors: { type: 'array' },
          },
        },
        IngestSummary: {
          type: 'object',
          properties: {
            scanId: str,
            received: { type: 'integer' },
            stored: { type: 'integer' },
            new: { type: 'integer' },
            reopened: { type: 'integer' },
            resolved: { type: 'integer' },
          },
        },
        Finding: {
          type: 'object',
          properties: {
            uid: str,
            id: str,
            cluster: str,
            ruleId: str,
            pillar: str,
            title: str,
            severity: { enum: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] },
            status: { enum: ['fail', 'unknown'] },
            workflow: { enum: ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] },
            resource: str,
            namespace: str,
            image: str,
            imageDigest: str,
            firstSeen: str,
            lastSeen: str,
            resolvedAt: { type: ['string', 'null'] },
            finding: { type: 'object', description: 'the engine finding as pushed' },
          },
        },
        Image: {
          type: 'object',
          properties: {
            digest: str,
            reference: str,
            registry: str,
            repository: str,
            tags: { type: 'array', items: str },
            platform: str,
            layers: { type: 'array', items: { type: 'object' } },
            inventory: { description: 'package inventory (SBOM) when the scanner returned one' },
            vulnerabilities: { type: 'array', items: { type: 'object' } },
            fixes: { type: 'array', items: { type: 'object' } },
          },
        },
        Scan: {
          type: 'object',
          properties: { id: str, kind: str, command: str, source: str, cluster: str, createdAt: str },
        },
        Suppression: {
          type: 'object',
          properties: {
            id: str,
            findingId: str,
            ruleId: str,
            cluster: str,
            reason: str,
            expiresAt: { type: ['string', 'null'] },
          },
        },
        Overview: { type: 'object' },
      },
    },
  };
}
