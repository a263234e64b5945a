import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, UsageError } from '../core/index.js';
import type { BlobFile } from './blob-worker.js';
import type { ImageLimits } from './limits.js';
import { indexTarFile, resolveInTar, type TarIndexEntry } from './tar-index.js';

/** The parts of an image config (OCI image spec / Docker) we read. */
export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Labels?: Record<string, string> | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: Array<{ created_by?: string; empty_layer?: boolean }>;
}

export interface LayerRef {
  /** Digest of the blob as stored (compressed for OCI/registry; for docker-archive the file's diffID). */
  digest: string;
  diffId?: string;
  mediaType?: string;
  size?: number;
  /** `blob`: the raw bytes must hash to `digest`; `diffId`: the uncompressed tar must hash to `diffId`. */
  verify: 'blob' | 'diffId';
  open(): Promise<Readable>;
  /** Where the blob sits when it is (part of) a regular file: allows positioned reads and hashing in a worker. */
  file?: BlobFile;
}

export interface OpenedImage {
  reference: string;
  manifestDigest?: string;
  configDigest?: string;
  config: ImageConfigJson;
  layers: LayerRef[];
  repoTags?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(text = 'linux/amd64'): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture)
    throw new UsageError(`--platform must look like os/arch[/variant], got ${JSON.stringify(text)}`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Reads blobs and files of one image container (a directory or an uncompressed tar). */
export interface BlobReader {
  /** Names the container in errors. */
  label: string;
  has(path: string): boolean;
  bytes(path: string, maxBytes: number): Buffer;
  stream(path: string): Readable;
  size(path: string): number;
  /** The file and byte range holding a blob. */
  locate(path: string): BlobFile;
}

export function directoryReader(dir: string): BlobReader {
  const root = resolve(dir);
  const full = (p: string) => {
    const f = resolve(root, p);
    if (!f.startsWith(`${root}/`)) throw new InputError(`path ${p} leaves the layout`, { file: dir });
    return f;
  };
  return {
    label: dir,
    has: (p) => existsSync(full(p)),
    size: (p) => statSync(full(p)).size,
    bytes: (p, max) => {
      const f = full(p);
      if (!existsSync(f)) throw new InputError(`missing ${p}`, { file: dir });
      const size = statSync(f).size;
      if (size > max) throw new InputError(`${p} is ${size} bytes, over the ${max}-byte limit`, { file: dir });
      return readFileSync(f);
    },
    stream: (p) => createReadStream(full(p), { highWaterMark: 1024 * 1024 }),
    locate: (p) => {
      const f = full(p);
      return { path: f, start: 0, length: statSync(f).size };
    },
  };
}

export function tarReader(file: string, limits: ImageLimits): BlobReader {
  let entries: Map<string, TarIndexEntry>;
  try {
    entries = indexTarFile(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read archive: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const find = (p: string) => resolveInTar(entries, p, file, limits.maxSymlinkHops);
  return {
    label: file,
    has: (p) => {
      try {
        find(p);
        return true;
      } catch {
        return false;
      }
    },
    size: (p) => find(p).size,
    bytes: (p, max) => {
      const e = find(p);
      if (e.size > max) throw new InputError(`${p} is ${e.size} bytes, over the ${max}-byte limit`, { file });
      return readFileRange(file, e.offset, e.size);
    },
    stream: (p) => {
      const e = find(p);
      if (e.size === 0) return createReadStream(file, { start: 1, end: 0 });
      return createReadStream(file, { start: e.offset, end: e.offset + e.size - 1, highWaterMark: 1024 * 1024 });
    },
    locate: (p) => {
      const e = find(p);
      return { path: file, start: e.offset, length: e.size };
    },
  };
}

function readFileRange(file: string, offset: number, size: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, offset + read);
      if (n === 0) throw new InputError('truncated archive', { file });
      read += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function checkDigestSyntax(digest: unknown, where: string, file: string): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new InputError(`${where}: not a sha256 digest: ${JSON.stringify(digest)}`, { file });
  }
  return digest;
}

export function verifiedJson<T>(data: Buffer, digest: string | undefined, what: string, file: string): T {
  if (digest) {
    const actual = sha256(data);
    if (actual !== digest)
      throw new InputError(`digest mismatch for ${what}: expected ${digest}, got ${actual}`, { file });
  }
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw new InputError(`${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface IndexJson {
  manifests?: Descriptor[];
  mediaType?: string;
}

interface ManifestJson {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

export function isIndex(m: { mediaType?: string; manifests?: unknown }): boolean {
  return (m.mediaType !== undefined && INDEX_TYPES.has(m.mediaType)) || Array.isArray(m.manifests);
}

/** Picks the manifest for a platform out of an index; an error lists what is there. */
export function pickPlatform(manifests: Descriptor[], platform: Platform, file: string): Descriptor {
  const match = manifests.filter(
    (m) =>
      m.platform?.os === platform.os &&
      m.platform?.architecture === platform.architecture &&
      (!platform.variant || m.platform?.variant === platform.variant),
  );
  const chosen = match[0];
  if (!chosen) {
    const have = manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ');
    throw new InputError(`no image for platform ${platform.os}/${platform.architecture} in the index (has: ${have})`, {
      file,
    });
  }
  return chosen;
}

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

/** Opens an image from an OCI image layout held by a reader (directory or oci-archive tar). */
export function openOciLayout(
  reader: BlobReader,
  reference: string,
  tag: string | undefined,
  platform: Platform,
  limits: ImageLimits,
): OpenedImage {
  const file = reader.label;
  if (!reader.has('index.json')) throw new InputError('not an OCI image layout: index.json missing', { file });
  const index = verifiedJson<IndexJson>(reader.bytes('index.json', limits.maxJsonBytes), undefined, 'index.json', file);
  const manifests = index.manifests ?? [];
  let chosen: Descriptor | undefined;
  if (tag) {
    chosen = manifests.find((m) => {
      const name = m.annotations?.['org.opencontainers.image.ref.name'];
      return name === tag || name?.endsWith(`:${tag}`);
    });
    if (!chosen) {
      const tags = manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter(Boolean);
      throw new InputError(`no image tagged ${JSON.stringify(tag)} (tags: ${tags.join(', ') || 'none'})`, { file });
    }
  } else if (manifests.length === 1) {
    chosen = manifests[0];
  } else if (manifests.length === 0) {
    throw new InputError('index.json lists no images', { file });
  } else if (manifests.every((m) => m.platform)) {
    chosen = pickPlatform(manifests, platform, file);
  } else {
    const tags = manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? m.digest);
    throw new InputError(`index.json lists ${manifests.length} images; name one with :<tag> (${tags.join(', ')})`, {
      file,
    });
  }
  let descriptor = chosen as Descriptor;
  for (let depth = 0; depth < 4; depth++) {
    const digest = checkDigestSyntax(descriptor.digest, 'manifest digest', file);
    const manifest = verifiedJson<ManifestJson>(
      reader.bytes(blobPath(digest), limits.maxJsonBytes),
      digest,
      `manifest ${digest}`,
      file,
    );
    if (isIndex({ mediaType: manifest.mediaType ?? descriptor.mediaType, manifests: manifest.manifests })) {
      descriptor = pickPlatform(manifest.manifests ?? [], platform, file);
      continue;
    }
    const image = imageFromManifest(
      manifest,
      digest,
      reference,
      file,
      limits,
      (d) => reader.stream(blobPath(d)),
      (d) => reader.bytes(blobPath(d), limits.maxJsonBytes),
    );
    for (const layer of image.layers) attachFile(layer, () => reader.locate(blobPath(layer.digest)));
    return image;
  }
  throw new InputError('image indexes nest too deeply', { file });
}

/** Builds the layer list from a verified manifest; config is fetched and verified here. */
export function imageFromManifest(
  manifest: ManifestJson,
  manifestDigest: string,
  reference: string,
  file: string,
  limits: ImageLimits,
  openBlob: (digest: string) => Readable | Promise<Readable>,
  readBlob: (digest: string) => Buffer,
  preloadedConfig?: Buffer,
): OpenedImage {
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new InputError(`manifest ${manifestDigest} has no config or layers`, { file });
  }
  const configDigest = checkDigestSyntax(manifest.config.digest, 'config digest', file);
  const config = verifiedJson<ImageConfigJson>(
    preloadedConfig ?? readBlob(configDigest),
    configDigest,
    `config ${configDigest}`,
    file,
  );
  void limits;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers: LayerRef[] = manifest.layers.map((l, i) => {
    const digest = checkDigestSyntax(l.digest, `layers[${i}].digest`, file);
    const diffId = diffIds[i];
    return {
      digest,
      ...(diffId ? { diffId } : {}),
      ...(l.mediaType ? { mediaType: l.mediaType } : {}),
      ...(l.size !== undefined ? { size: l.size } : {}),
      verify: 'blob' as const,
      open: async () => openBlob(digest),
    };
  });
  return { reference, manifestDigest, configDigest, config, layers };
}

interface DockerManifestEntry {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

/** Opens a `docker save` archive: manifest.json drives it; without one, an OCI layout inside the tar is used. */
export function openDockerArchive(
  file: string,
  selector: string | undefined,
  platform: Platform,
  limits: ImageLimits,
): OpenedImage {
  const reader = tarReader(file, limits);
  const reference = `docker-archive:${file}${selector ? `:${selector}` : ''}`;
  if (!reader.has('manifest.json')) {
    if (reader.has('index.json')) return openOciLayout(reader, reference, selector, platform, limits);
    throw new InputError('not a docker-archive: manifest.json missing', { file });
  }
  const manifest = verifiedJson<DockerManifestEntry[]>(
    reader.bytes('manifest.json', limits.maxJsonBytes),
    undefined,
    'manifest.json',
    file,
  );
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new InputError('manifest.json lists no images', { file, field: 'manifest.json' });
  }
  let entry: DockerManifestEntry | undefined;
  if (selector === undefined) {
    if (manifest.length > 1) {
      const tags = manifest.flatMap((m) => m.RepoTags ?? []);
      throw new InputError(`archive holds ${manifest.length} images; name one (${tags.join(', ')})`, { file });
    }
    entry = manifest[0];
  } else if (/^@\d+$/.test(selector)) {
    entry = manifest[Number(selector.slice(1))];
  } else {
    entry = manifest.find((m) =>
      (m.RepoTags ?? []).some(
        (t) => t === selector || t === `docker.io/library/${selector}` || t.endsWith(`/${selector}`),
      ),
    );
  }
  if (!entry?.Config || !Array.isArray(entry.Layers)) {
    throw new InputError(`no image ${JSON.stringify(selector ?? '')} with Config and Layers in manifest.json`, {
      file,
    });
  }
  const configBytes = reader.bytes(entry.Config, limits.maxJsonBytes);
  // The config file is named by its digest; verify when it is.
  const configName = entry.Config.replace(/^blobs\/sha256\//, 'sha256:').replace(/\.json$/, '');
  const expectedConfig = /^[a-f0-9]{64}$/.test(configName) ? `sha256:${configName}` : configName;
  const configDigest = DIGEST.test(expectedConfig) ? expectedConfig : undefined;
  const config = verifiedJson<ImageConfigJson>(configBytes, configDigest, `config ${entry.Config}`, file);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) {
    throw new InputError(
      `manifest.json lists ${entry.Layers.length} layers but the config has ${diffIds.length} diff_ids`,
      { file, field: 'Layers' },
    );
  }
  const layers: LayerRef[] = entry.Layers.map((name, i) => {
    const diffId = checkDigestSyntax(diffIds[i], `rootfs.diff_ids[${i}]`, file);
    return {
      digest: diffId,
      diffId,
      size: reader.size(name),
      verify: 'diffId' as const,
      open: async () => reader.stream(name),
    };
  });
  for (const [i, layer] of layers.entries()) attachFile(layer, () => reader.locate(entry.Layers?.[i] as string));
  return {
    reference,
    ...(configDigest ? { configDigest } : {}),
    config,
    layers,
    ...(entry.RepoTags ? { repoTags: entry.RepoTags } : {}),
  };
}

/** A blob that cannot be located stays stream-only: opening it then reports what is wrong, as before. */
function attachFile(layer: LayerRef, locate: () => BlobFile): void {
  try {
    layer.file = locate();
  } catch {
    // left to open()
  }
}

/** Splits `path[:tag]` the way skopeo does: the last `:` starts a tag only when what follows has no `/`. */
export function splitPathAndTag(spec: string): [string, string | undefined] {
  const i = spec.lastIndexOf(':');
  if (i <= 0) return [spec, undefined];
  const tail = spec.slice(i + 1);
  if (tail.includes('/') || existsSync(spec)) return [spec, undefined];
  return [spec.slice(0, i), tail || undefined];
}

export function openOciDirectory(spec: string, platform: Platform, limits: ImageLimits): OpenedImage {
  const [dir, tag] = splitPathAndTag(spec);
  if (!existsSync(dir)) throw new InputError('no such OCI layout directory', { file: dir });
  return openOciLayout(directoryReader(dir), `oci:${spec}`, tag, platform, limits);
}

export function openOciArchive(spec: string, platform: Platform, limits: ImageLimits): OpenedImage {
  const [file, tag] = splitPathAndTag(spec);
  if (!existsSync(file)) throw new InputError('no such file', { file });
  return openOciLayout(tarReader(file, limits), `oci-archive:${spec}`, tag, platform, limits);
}

export function openDockerArchiveSpec(spec: string, platform: Platform, limits: ImageLimits): OpenedImage {
  // docker-archive:path[:name:tag | :@index]
  let file = spec;
  let selector: string | undefined;
  if (!existsSync(spec)) {
    const parts = spec.split(':');
    for (let i = parts.length - 1; i > 0; i--) {
      const candidate = parts.slice(0, i).join(':');
      if (existsSync(candidate)) {
        file = candidate;
        selector = parts.slice(i).join(':');
        break;
      }
    }
  }
  if (!existsSync(file)) throw new InputError('no such file', { file });
  return openDockerArchive(file, selector, platform, limits);
}
