import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ImageInventory, ImageLayerInfo } from '../core/index.js';
import { InputError, resolveCacheDir, UsageError, writeFileAtomic } from '../core/index.js';
import { ALL_CATALOGERS, CATALOG_VERSION } from './catalog/index.js';
import type { CatalogContext, Cataloger } from './catalog/types.js';
import { analyzeLayer, emptyLayerAnalysis, type LayerAnalysis, runCatalogers } from './layer.js';
import { type ImageLimits, resolveLimits } from './limits.js';
import { mergeLayers } from './merge.js';
import { purlFor } from './purl.js';
import { openRegistryImage, type RegistryOptions } from './registry.js';
import {
  type LayerRef,
  type OpenedImage,
  openDockerArchiveSpec,
  openOciArchive,
  openOciDirectory,
  parsePlatform,
} from './sources.js';

export interface InventoryOptions extends RegistryOptions {
  /** `os/arch[/variant]` for multi-platform images; default linux/amd64. */
  platform?: string;
  limits?: Partial<ImageLimits>;
  /** Layer cache directory root (default: the Rampart cache dir); `false` disables the cache. */
  cacheDir?: string | false;
  catalogers?: Cataloger[];
  /** Layers analysed at the same time. */
  concurrency?: number;
  /** Layer blobs in files at least this large are hashed (and gunzipped) in a worker thread (default 16 MiB). */
  blobWorkerMinBytes?: number;
  /** Called as layers are read, for a progress display. */
  onProgress?: (event: { done: number; total: number; layer: string; cached: boolean }) => void;
}

/** What the source prefix says; a bare reference means a registry. */
export function parseSourceKind(source: string): { kind: string; rest: string } {
  const m = /^(docker-archive|oci-archive|oci|dir|docker|registry):(.*)$/s.exec(source);
  if (m) {
    const rest = (m[2] ?? '').replace(/^\/\/(?=[^/])/, m[1] === 'docker' ? '' : '//');
    return { kind: m[1] === 'docker' ? 'registry' : (m[1] as string), rest };
  }
  if (source === '') throw new UsageError('an image source is required');
  return { kind: 'registry', rest: source };
}

/**
 * Reads an image (docker-archive:, oci:, oci-archive:, dir:, or a registry reference) and inventories its OS and
 * language packages. Layers are streamed; results per layer are cached by verified digest and cataloger version.
 */
export async function inventoryImage(source: string, options: InventoryOptions = {}): Promise<ImageInventory> {
  const limits = resolveLimits(options.limits);
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const { kind, rest } = parseSourceKind(source);
  let scratch: string | undefined;
  const context: CatalogContext = {
    scratchDir: () => {
      scratch ??= mkdtempSync(join(tmpdir(), 'rampart-image-'));
      return scratch;
    },
    maxArchiveDepth: limits.maxArchiveDepth,
    maxFileBytes: limits.maxFileBytes,
  };
  try {
    if (kind === 'dir') return await inventoryDirectory(rest, catalogers, limits, context);
    const platform = parsePlatform(options.platform);
    let image: OpenedImage;
    if (kind === 'docker-archive') image = openDockerArchiveSpec(rest, platform, limits);
    else if (kind === 'oci') image = openOciDirectory(rest, platform, limits);
    else if (kind === 'oci-archive') image = openOciArchive(rest, platform, limits);
    else image = await openRegistryImage(rest, platform, limits, options);
    return await inventoryOpened(image, catalogers, limits, context, options);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function inventoryOpened(
  image: OpenedImage,
  catalogers: Cataloger[],
  limits: ImageLimits,
  context: CatalogContext,
  options: InventoryOptions,
): Promise<ImageInventory> {
  const cacheRoot =
    options.cacheDir === false ? undefined : join(resolveCacheDir(options.cacheDir), 'image-layers', CATALOG_VERSION);
  const useCache = cacheRoot !== undefined && options.catalogers === undefined;
  const analyses: LayerAnalysis[] = new Array(image.layers.length);
  let done = 0;
  const analyzeOne = async (layer: LayerRef, i: number) => {
    const key = layer.verify === 'diffId' ? layer.diffId : layer.digest;
    const cacheFile = useCache && key ? join(cacheRoot, `${key.replace(':', '-')}.json`) : undefined;
    let analysis = cacheFile ? readCached(cacheFile) : undefined;
    const cached = analysis !== undefined;
    if (!analysis) {
      const label = `${i + 1}/${image.layers.length} ${layer.digest}`;
      analysis = await analyzeLayer(layer, {
        label,
        ...(layer.verify === 'blob' ? { expectedDigest: layer.digest } : {}),
        computeDiffId: layer.verify === 'diffId',
        ...(options.blobWorkerMinBytes !== undefined ? { workerMinBytes: options.blobWorkerMinBytes } : {}),
        limits,
        catalogers,
        context,
      });
      if (layer.verify === 'diffId' && analysis.diffId !== layer.diffId) {
        throw new InputError(`digest mismatch for layer ${label}: expected ${layer.diffId}, got ${analysis.diffId}`);
      }
      if (cacheFile) writeFileAtomic(cacheFile, JSON.stringify(analysis));
    }
    analyses[i] = analysis;
    options.onProgress?.({ done: ++done, total: image.layers.length, layer: layer.digest, cached });
  };
  await runBounded(image.layers, options.concurrency ?? 2, analyzeOne);

  const merged = mergeLayers(
    image.layers.map((l, i) => ({ analysis: analyses[i] as LayerAnalysis, digest: l.digest })),
    limits.maxSymlinkHops,
  );
  const layers: ImageLayerInfo[] = image.layers.map((l, i) => {
    const info: ImageLayerInfo = { digest: l.digest };
    const diffId = l.diffId ?? analyses[i]?.diffId;
    if (diffId) info.diffId = diffId;
    if (l.size !== undefined) info.size = l.size;
    if (l.mediaType) info.mediaType = l.mediaType;
    return info;
  });
  attachHistory(layers, image);
  const c = image.config;
  const inv: ImageInventory = {
    reference: image.reference,
    ...(image.manifestDigest ? { digest: image.manifestDigest } : {}),
    ...(image.configDigest ? { imageId: image.configDigest } : {}),
    ...(c.os && c.architecture
      ? { platform: { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) } }
      : {}),
    ...(merged.distro ? { distro: merged.distro } : {}),
    layers,
    packages: finishPackages(merged.packages, merged.distro),
    config: {
      ...(c.config?.User ? { user: c.config.User } : {}),
      ...(c.config?.Env ? { env: c.config.Env } : {}),
      ...(c.config?.Entrypoint ? { entrypoint: c.config.Entrypoint } : {}),
      ...(c.config?.Cmd ? { cmd: c.config.Cmd } : {}),
      ...(c.config?.Labels ? { labels: c.config.Labels } : {}),
      ...(c.config?.WorkingDir ? { workingDir: c.config.WorkingDir } : {}),
      ...(c.config?.ExposedPorts ? { exposedPorts: Object.keys(c.config.ExposedPorts) } : {}),
      ...(c.history
        ? {
            history: c.history.map((h) => ({
              ...(h.created_by ? { createdBy: h.created_by } : {}),
              ...(h.empty_layer ? { emptyLayer: true } : {}),
            })),
          }
        : {}),
    },
    problems: merged.problems,
  };
  if (image.repoTags) (inv as ImageInventory & { repoTags?: string[] }).repoTags = image.repoTags;
  return inv;
}

function attachHistory(layers: ImageLayerInfo[], image: OpenedImage): void {
  const nonEmpty = (image.config.history ?? []).filter((h) => !h.empty_layer);
  if (nonEmpty.length !== layers.length) return;
  nonEmpty.forEach((h, i) => {
    const layer = layers[i];
    if (layer && h.created_by) layer.createdBy = h.created_by;
  });
}

function finishPackages(packages: ImageInventory['packages'], distro: ImageInventory['distro']) {
  for (const p of packages) {
    if (!p.purl) {
      const purl = purlFor(p, distro);
      if (purl) p.purl = purl;
    }
  }
  return packages.sort(
    (a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

function readCached(file: string): LayerAnalysis | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LayerAnalysis> | null;
    const ok =
      parsed &&
      typeof parsed.entries === 'object' &&
      typeof parsed.files === 'object' &&
      Array.isArray(parsed.whiteouts) &&
      Array.isArray(parsed.opaque) &&
      Array.isArray(parsed.problems);
    return ok ? (parsed as LayerAnalysis) : undefined;
  } catch {
    return undefined;
  }
}

async function runBounded<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * `dir:<rootfs>`: an unpacked root filesystem read in place as a single layer. Symlinks are recorded, never
 * followed, so nothing outside the directory is read.
 */
async function inventoryDirectory(
  dir: string,
  catalogers: Cataloger[],
  limits: ImageLimits,
  context: CatalogContext,
): Promise<ImageInventory> {
  const root = resolve(dir);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(root);
  } catch {
    throw new InputError('no such directory', { file: dir });
  }
  if (!st.isDirectory()) throw new InputError('dir: source is not a directory', { file: dir });
  const analysis = emptyLayerAnalysis();
  let count = 0;
  const walk = async (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch (err) {
      analysis.problems.push({ path: `/${rel}`, message: `cannot list: ${(err as Error).message}` });
      return;
    }
    for (const name of names.sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (++count > limits.maxEntries) throw new InputError(`more than ${limits.maxEntries} files`, { file: dir });
      const full = join(root, path);
      const ls = lstatSync(full);
      if (ls.isSymbolicLink()) analysis.entries[path] = ['l', readlinkSync(full)];
      else if (ls.isDirectory()) {
        analysis.entries[path] = ['d'];
        await walk(path);
      } else if (ls.isFile()) {
        analysis.entries[path] = ['f'];
        const wanting = catalogers.filter((c) => c.wants(path, ls.mode, ls.size));
        if (wanting.length === 0) continue;
        if (ls.size > limits.maxFileBytes) {
          analysis.problems.push({
            path: `/${path}`,
            message: `not read: ${ls.size} bytes is over the per-file limit`,
          });
          continue;
        }
        const data = await readFile(full);
        const found = await runCatalogers(wanting, { path, data, mode: ls.mode }, context);
        if (found) analysis.files[path] = found;
      } else analysis.entries[path] = ['o'];
    }
  };
  await walk('');
  const merged = mergeLayers([{ analysis, digest: `dir:${root}` }], limits.maxSymlinkHops);
  return {
    reference: `dir:${dir}`,
    ...(merged.distro ? { distro: merged.distro } : {}),
    layers: [],
    packages: finishPackages(
      merged.packages.map(({ layerDigest: _drop, ...p }) => p),
      merged.distro,
    ),
    problems: merged.problems,
  };
}
