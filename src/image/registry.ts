import { spawnSync } from 'node:child_process';
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

export interface RegistryCredentials {
  username: string;
  password: string;
  /** When the credentials stop working (ECR tokens: 12 hours), in ms since the epoch. */
  expiresAt?: number;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/**
 * Credentials for `registry` from a docker config.json, the way docker resolves them: a per-registry
 * `credHelpers` entry, else the `credsStore`, else `auths` (`auth` = base64 user:pass, or username/password).
 * Helpers are run as `docker-credential-<name> get` with the server URL on stdin.
 */
export function dockerConfigCredentials(registry: string, file?: string): RegistryCredentials | undefined {
  const path = file ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let json: DockerConfigFile;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if (file) throw new InputError(`cannot read docker config: ${(err as Error).message}`, { file });
    return undefined;
  }
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [registry];
  const hostOf = (key: string) => key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const matches = (key: string) => keys.includes(key) || keys.includes(hostOf(key));
  const helper = Object.entries(json.credHelpers ?? {}).find(([key]) => matches(key))?.[1] ?? json.credsStore;
  if (helper) {
    const serverUrl = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
    return credentialHelper(helper, serverUrl, path);
  }
  for (const [key, value] of Object.entries(json.auths ?? {})) {
    if (!matches(key)) continue;
    if (value.auth) {
      const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
    if (value.username && value.password) return { username: value.username, password: value.password };
  }
  return undefined;
}

/**
 * Runs `docker-credential-<name> get` (the docker credential-helper protocol: server URL on stdin, JSON
 * `{ServerURL, Username, Secret}` on stdout). "not found" means anonymous; other failures are auth errors that
 * name the helper but never echo what it printed (it may hold a secret).
 */
function credentialHelper(name: string, serverUrl: string, configFile: string): RegistryCredentials | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new InputError(`bad credential helper name ${JSON.stringify(name)}`, { file: configFile });
  }
  const program = `docker-credential-${name}`;
  const r = spawnSync(program, ['get'], { input: serverUrl, encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 20 });
  // A helper may answer and exit before reading the server URL; writing it then fails with EPIPE, which is not
  // the helper failing: its exit status and output decide.
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (r.error && !(code === 'EPIPE' && r.status !== null)) {
    const missing = code === 'ENOENT';
    throw new RampartError('auth', `${program} ${missing ? 'is not on PATH' : `failed: ${r.error.message}`}`);
  }
  if (r.status !== 0) {
    if (/credentials not found/i.test(`${r.stdout}${r.stderr}`)) return undefined;
    throw new RampartError('auth', `${program} get exited with status ${r.status} for ${serverUrl}`);
  }
  let out: { Username?: unknown; Secret?: unknown };
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new RampartError('auth', `${program} get did not print JSON`);
  }
  if (typeof out.Username !== 'string' || typeof out.Secret !== 'string' || !out.Secret) {
    throw new RampartError('auth', `${program} get printed no Username/Secret`);
  }
  return { username: out.Username, password: out.Secret };
}

/** Where a registry client gets credentials; `refresh` asks for new ones (the old were rejected or expired). */
export interface CredentialSource {
  get(refresh: boolean): Promise<RegistryCredentials | undefined>;
}

const fixedCredentials = (creds: RegistryCredentials | undefined): CredentialSource => ({ get: async () => creds });

/** Refresh ECR tokens this long before they expire. */
const ECR_REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * Amazon ECR: a GetAuthorizationToken call (AWS SDK default credential chain, SSO profiles included) gives
 * `AWS:<password>` valid 12 hours. The token is kept and fetched again when it is about to expire or the registry
 * rejects it, so long scans and servers keep working.
 */
function ecrCredentialSource(registry: string, options: RegistryOptions): CredentialSource | undefined {
  if (!ECR_HOST.test(registry) && !options.ecrEndpoint) return undefined;
  let cached: RegistryCredentials | undefined;
  return {
    async get(refresh) {
      const fresh = cached?.expiresAt === undefined || cached.expiresAt - ECR_REFRESH_MARGIN_MS > Date.now();
      if (cached && fresh && !refresh) return cached;
      cached = await ecrCredentials(registry, options);
      return cached;
    },
  };
}

async function ecrCredentials(registry: string, options: RegistryOptions): Promise<RegistryCredentials> {
  const m = ECR_HOST.exec(registry);
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const region = options.ecrRegion ?? m?.[2] ?? 'us-east-1';
  const client = new ECRClient({ region, ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}) });
  try {
    const out = await client.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData?.[0];
    const token = data?.authorizationToken;
    if (!token) throw new RampartError('auth', `ECR returned no authorization token for ${registry}`);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i <= 0) throw new RampartError('auth', 'ECR authorization token is not user:password');
    const expiresAt = data?.expiresAt instanceof Date ? data.expiresAt.getTime() : undefined;
    return { username: decoded.slice(0, i), password: decoded.slice(i + 1), ...(expiresAt ? { expiresAt } : {}) };
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
  /** When `authorization` was built from credentials that expire (ECR). */
  private authorizationExpiresAt?: number;
  private readonly base: string;
  private readonly credentials: CredentialSource;

  constructor(
    readonly ref: ImageReference,
    private readonly options: RegistryOptions,
    credentials?: CredentialSource | RegistryCredentials,
  ) {
    this.credentials = credentials && 'get' in credentials ? credentials : fixedCredentials(credentials);
    const host = ref.registry === 'docker.io' ? DOCKER_HUB : ref.registry;
    const insecure = (options.insecureRegistries ?? []).includes(ref.registry);
    if (insecure && !isLoopback(ref.registry)) {
      throw new UsageError(`--insecure-registry is only allowed for loopback registries, not ${ref.registry}`);
    }
    this.base = `${insecure ? 'http' : 'https'}://${host}`;
  }

  async fetch(path: string, accept?: string): Promise<Response> {
    const url = `${this.base}/v2/${this.ref.repository}/${path}`;
    // Expiring credentials are dropped shortly before they lapse: the next request is challenged and renews them.
    let renew = false;
    if (this.authorizationExpiresAt !== undefined && this.authorizationExpiresAt - 60_000 <= Date.now()) {
      this.authorization = undefined;
      renew = true;
    }
    let res = await this.send(url, accept);
    if (res.status === 401) {
      await res.body?.cancel();
      // Rejected although we sent credentials: they expired or were revoked, so ask the source for new ones.
      renew ||= this.authorization !== undefined;
      this.authorization = undefined;
      await this.authenticate(res.headers.get('www-authenticate') ?? '', renew);
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

  private async authenticate(challenge: string, renew: boolean): Promise<void> {
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    const creds = await this.credentials.get(renew);
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    this.authorizationExpiresAt = creds?.expiresAt;
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
  const credentials: CredentialSource =
    options.username !== undefined && options.password !== undefined
      ? fixedCredentials({ username: options.username, password: options.password })
      : (ecrCredentialSource(ref.registry, options) ??
        fixedCredentials(dockerConfigCredentials(ref.registry, options.dockerConfig)));
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
