import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InputError, RampartError, UsageError } from '../core/index.js';
import type { ImageLimits } from './limits.js';
import {
  checkDigestSyntax,
  imageFromManifest,
  isIndex,
  type OpenedImage,
  type Platform,
  pickPlatform,
  sha256,
  verifiedJson,
} from './sources.js';

export interface RegistryOptions {
  /** Registries (host[:port]) reached over plain HTTP; only loopback hosts are accepted. */
  insecureRegistries?: string[];
  /** Explicit credentials for the image's registry. */
  username?: string;
  password?: string;
  /** Docker config.json to read `auths` from (default `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`). */
  dockerConfig?: string;
  /** Amazon ECR: endpoint override (tests) and region override. */
  ecrEndpoint?: string;
  ecrRegion?: string;
  /** Timeout per HTTP request in milliseconds. */
  timeoutMs?: number;
}

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'registry-1.docker.io';

/** Parses `[registry/]repo[:tag][@digest]` the way docker does (docker.io/library defaults). */
export function parseReference(ref: string): ImageReference {
  let rest = ref.trim();
  if (!rest || /\s/.test(rest)) throw new UsageError(`not an image reference: ${JSON.stringify(ref)}`);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new UsageError(`bad digest in ${ref}`);
  }
  let registry = 'docker.io';
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw new UsageError(`bad repository name in ${JSON.stringify(ref)}`);
  }
  if (registry === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Reads `auths` of a docker config.json: `auth` (base64 user:pass) or username/password. */
export function dockerConfigCredentials(
  registry: string,
  file?: string,
): { username: string; password: string } | undefined {
  const path = file ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let json: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if (file) throw new InputError(`cannot read docker config: ${(err as Error).message}`, { file });
    return undefined;
  }
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [registry];
  for (const [key, value] of Object.entries(json.auths ?? {})) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!keys.includes(key) && !keys.includes(host)) continue;
    if (value.auth) {
      const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
    if (value.username && value.password) return { username: value.username, password: value.password };
  }
  return undefined;
}

async function ecrCredentials(
  registry: string,
  options: RegistryOptions,
): Promise<{ username: string; password: string } | undefined> {
  const m = ECR_HOST.exec(registry);
  if (!m && !options.ecrEndpoint) return undefined;
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const region = options.ecrRegion ?? m?.[2] ?? 'us-east-1';
  const client = new ECRClient({ region, ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}) });
  try {
    const out = await client.send(new GetAuthorizationTokenCommand({}));
    const token = out.authorizationData?.[0]?.authorizationToken;
    if (!token) throw new RampartError('auth', `ECR returned no authorization token for ${registry}`);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i <= 0) throw new RampartError('auth', 'ECR authorization token is not user:password');
    return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  } catch (err) {
    if (err instanceof RampartError) throw err;
    throw new RampartError('auth', `ECR GetAuthorizationToken for ${registry} failed: ${(err as Error).message}`);
  } finally {
    client.destroy();
  }
}

/** Talks the OCI distribution API to one repository, handling bearer-token and basic challenges. */
export class RegistryClient {
  private authorization?: string;
  private readonly base: string;

  constructor(
    readonly ref: ImageReference,
    private readonly options: RegistryOptions,
    private readonly credentials?: { username: string; password: string },
  ) {
    const host = ref.registry === 'docker.io' ? DOCKER_HUB : ref.registry;
    const insecure = (options.insecureRegistries ?? []).includes(ref.registry);
    if (insecure && !isLoopback(ref.registry)) {
      throw new UsageError(`--insecure-registry is only allowed for loopback registries, not ${ref.registry}`);
    }
    this.base = `${insecure ? 'http' : 'https'}://${host}`;
  }

  async fetch(path: string, accept?: string): Promise<Response> {
    const url = `${this.base}/v2/${this.ref.repository}/${path}`;
    let res = await this.send(url, accept);
    if (res.status === 401) {
      await res.body?.cancel();
      await this.authenticate(res.headers.get('www-authenticate') ?? '');
      res = await this.send(url, accept);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      const kind = res.status === 401 || res.status === 403 ? 'auth' : 'network';
      throw new RampartError(
        kind,
        `${this.ref.registry}/${this.ref.repository}: GET ${path} → HTTP ${res.status} ${text}`,
      );
    }
    return res;
  }

  private async send(url: string, accept?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (accept) headers.accept = accept;
    if (this.authorization) headers.authorization = this.authorization;
    try {
      return await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000) });
    } catch (err) {
      throw new RampartError('network', `cannot reach ${url}: ${(err as Error).message}`);
    }
  }

  private async authenticate(challenge: string): Promise<void> {
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    const basic = this.credentials
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
      : undefined;
    if (scheme === 'basic') {
      if (!basic) throw new RampartError('auth', `${this.ref.registry} requires credentials (basic auth)`);
      this.authorization = basic;
      return;
    }
    if (scheme !== 'bearer')
      throw new RampartError('auth', `${this.ref.registry}: unsupported auth challenge ${challenge}`);
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    if (!params.realm) throw new RampartError('auth', `${this.ref.registry}: bearer challenge without realm`);
    const url = new URL(params.realm);
    if (url.protocol !== 'https:' && !isLoopback(url.host)) {
      throw new RampartError('auth', `refusing token realm over plain HTTP: ${params.realm}`);
    }
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`);
    const res = await fetch(url, {
      headers: basic ? { authorization: basic } : {},
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
    }).catch((err: Error) => {
      throw new RampartError('network', `cannot reach token realm ${url.origin}: ${err.message}`);
    });
    if (!res.ok) throw new RampartError('auth', `token realm ${url.origin} answered HTTP ${res.status}`);
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RampartError('auth', `token realm ${url.origin} returned no token`);
    this.authorization = `Bearer ${token}`;
  }
}

async function readLimited(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new InputError(`${what} is ${declared} bytes, over the ${max}-byte limit`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > max) throw new InputError(`${what} is over the ${max}-byte limit`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Opens an image in a registry: manifest (index → platform), config, lazily streamed layers. */
export async function openRegistryImage(
  reference: string,
  platform: Platform,
  limits: ImageLimits,
  options: RegistryOptions,
): Promise<OpenedImage> {
  const ref = parseReference(reference);
  const credentials =
    options.username !== undefined && options.password !== undefined
      ? { username: options.username, password: options.password }
      : ((await ecrCredentials(ref.registry, options)) ?? dockerConfigCredentials(ref.registry, options.dockerConfig));
  const client = new RegistryClient(ref, options, credentials);
  const where = `${ref.registry}/${ref.repository}`;
  let target = ref.digest ?? ref.tag ?? 'latest';
  for (let depth = 0; depth < 4; depth++) {
    const res = await client.fetch(`manifests/${target}`, MANIFEST_ACCEPT);
    const body = await readLimited(res, limits.maxJsonBytes, `manifest ${target}`);
    const digest = sha256(body);
    if (target.startsWith('sha256:') && digest !== target) {
      throw new InputError(`digest mismatch for manifest: expected ${target}, got ${digest}`, { file: where });
    }
    const headerDigest = res.headers.get('docker-content-digest');
    if (headerDigest?.startsWith('sha256:') && headerDigest !== digest) {
      throw new InputError(`registry says manifest digest ${headerDigest} but content hashes to ${digest}`, {
        file: where,
      });
    }
    const manifest = verifiedJson<{ mediaType?: string; manifests?: never[]; config?: never; layers?: never[] }>(
      body,
      undefined,
      `manifest ${target}`,
      where,
    );
    const mediaType = manifest.mediaType ?? res.headers.get('content-type') ?? undefined;
    if (isIndex({ ...(mediaType ? { mediaType } : {}), manifests: manifest.manifests })) {
      target = checkDigestSyntax(pickPlatform(manifest.manifests ?? [], platform, where).digest, 'index digest', where);
      continue;
    }
    const configDigest = checkDigestSyntax(
      (manifest as { config?: { digest?: string } }).config?.digest,
      'config digest',
      where,
    );
    const configBody = await readLimited(
      await client.fetch(`blobs/${configDigest}`),
      limits.maxJsonBytes,
      `config ${configDigest}`,
    );
    const opened = imageFromManifest(
      manifest as never,
      digest,
      reference,
      where,
      limits,
      async (d) => {
        const blob = await client.fetch(`blobs/${d}`);
        if (!blob.body) throw new InputError(`empty body for blob ${d}`, { file: where });
        return Readable.fromWeb(blob.body as unknown as WebReadableStream<Uint8Array>);
      },
      () => configBody,
      configBody,
    );
    return opened;
  }
  throw new InputError('image indexes nest too deeply', { file: where });
}
