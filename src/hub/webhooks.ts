import { createHash, timingSafeEqual } from 'node:crypto';
import { InputError } from '../core/index.js';

/** One pushed manifest to scan: the exact digest, never a tag that may have moved on. */
export interface PushEvent {
  /** `host/repo@sha256:…`. */
  reference: string;
  registry: string;
  repository: string;
  digest: string;
  tag?: string;
  mediaType?: string;
  source: 'registry' | 'ecr' | 'api';
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * CNCF Distribution notification envelope (`application/vnd.docker.distribution.events.v1+json`):
 * `{events: [{action, target: {mediaType, digest, repository, url, tag}, request: {host}}]}`. Only manifest pushes
 * are scans; blob pushes and pulls are ignored.
 */
export function parseRegistryEnvelope(body: unknown): PushEvent[] {
  const events = (body as { events?: unknown })?.events;
  if (!Array.isArray(events))
    throw new InputError('expected a notification envelope with an events array', { field: 'events' });
  const out: PushEvent[] = [];
  events.forEach((e, i) => {
    const ev = e as {
      action?: string;
      target?: { mediaType?: string; digest?: string; repository?: string; url?: string; tag?: string };
      request?: { host?: string };
    };
    if (ev?.action !== 'push' || !ev.target) return;
    const t = ev.target;
    if (!t.mediaType || !MANIFEST_TYPES.includes(t.mediaType)) return;
    if (!t.digest || !DIGEST.test(t.digest))
      throw new InputError('not a sha256 digest', { field: `events[${i}].target.digest` });
    if (!t.repository || !/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(t.repository)) {
      throw new InputError('missing or invalid repository', { field: `events[${i}].target.repository` });
    }
    let registry = ev.request?.host;
    if (t.url) {
      try {
        registry = new URL(t.url).host;
      } catch {
        throw new InputError('invalid URL', { field: `events[${i}].target.url` });
      }
    }
    if (!registry) throw new InputError('no registry host (target.url or request.host)', { field: `events[${i}]` });
    out.push({
      reference: `${registry}/${t.repository}@${t.digest}`,
      registry,
      repository: t.repository,
      digest: t.digest,
      ...(t.tag ? { tag: t.tag } : {}),
      mediaType: t.mediaType,
      source: 'registry',
    });
  });
  return out;
}

/**
 * EventBridge "ECR Image Action" events (`source: aws.ecr`), one or an array: a successful PUSH becomes a scan of
 * `<account>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest>`.
 */
export function parseEcrEvents(body: unknown): PushEvent[] {
  const events = Array.isArray(body) ? body : [body];
  const out: PushEvent[] = [];
  events.forEach((e, i) => {
    const ev = e as {
      source?: string;
      'detail-type'?: string;
      account?: string;
      region?: string;
      detail?: Record<string, string | undefined>;
    };
    const at = (field: string) => ({ field: Array.isArray(body) ? `[${i}].${field}` : field });
    if (ev?.source !== 'aws.ecr' || ev['detail-type'] !== 'ECR Image Action') {
      throw new InputError('not an "ECR Image Action" event from aws.ecr', at('detail-type'));
    }
    const d = ev.detail ?? {};
    if (d['action-type'] !== 'PUSH' || d.result !== 'SUCCESS') return;
    if (!ev.account || !/^\d{12}$/.test(ev.account)) throw new InputError('not a 12-digit account', at('account'));
    if (!ev.region || !/^[a-z0-9-]+$/.test(ev.region)) throw new InputError('missing region', at('region'));
    const digest = d['image-digest'];
    if (!digest || !DIGEST.test(digest)) throw new InputError('not a sha256 digest', at('detail.image-digest'));
    const repository = d['repository-name'];
    if (!repository) throw new InputError('missing repository name', at('detail.repository-name'));
    const suffix = ev.region.startsWith('cn-') ? '.com.cn' : '.com';
    const registry = `${ev.account}.dkr.ecr.${ev.region}.amazonaws${suffix}`;
    out.push({
      reference: `${registry}/${repository}@${digest}`,
      registry,
      repository,
      digest,
      ...(d['image-tag'] ? { tag: d['image-tag'] } : {}),
      source: 'ecr',
    });
  });
  return out;
}

/** `Authorization: Bearer <secret>` compared in constant time. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  const a = createHash('sha256').update(m[1].trim()).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}
