import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/** One entry of a hand-made layer. */
export interface LayerEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

/** Builds an uncompressed tar with tar-stream (our own small cases: hostile paths, whiteouts, links). */
export async function makeTar(entries: LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
        ...(type === 'file' ? { size: content.length } : {}),
      };
      if (type === 'file') pack.entry(header, content, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function digestOf(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export type Compression = 'gzip' | 'zstd' | 'none';

function compress(data: Buffer, how: Compression, dir: string): Buffer {
  if (how === 'gzip') return gzipSync(data);
  if (how === 'none') return data;
  const file = join(dir, 'zstd-input');
  writeFileSync(file, data);
  const r = spawnSync('zstd', ['-q', '-c', file]);
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Writes an OCI image layout with the given layers (tars) into a new temp directory. `tamper` may change a blob
 * after its digest was recorded, for the mismatch tests.
 */
export function writeOciLayout(
  layers: Buffer[],
  options: {
    compression?: Compression;
    config?: Record<string, unknown>;
    tag?: string;
    tamper?: (layerBlobs: Buffer[]) => void;
  } = {},
): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-oci-'));
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const how = options.compression ?? 'gzip';
  const stored = layers.map((l) => compress(l, how, dir));
  const put = (data: Buffer) => {
    const digest = digestOf(data);
    writeFileSync(join(blobs, digest.slice(7)), data);
    return digest;
  };
  const layerDescs = stored.map((blob) => ({
    mediaType: `application/vnd.oci.image.layer.v1.tar${how === 'none' ? '' : `+${how}`}`,
    digest: digestOf(blob),
    size: blob.length,
  }));
  options.tamper?.(stored);
  for (const [i, blob] of stored.entries()) {
    writeFileSync(join(blobs, (layerDescs[i] as { digest: string }).digest.slice(7)), blob);
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { User: '1000', Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map(digestOf) },
      history: layers.map(() => ({ created_by: 'test layer' })),
      ...(options.config ?? {}),
    }),
  );
  const configDigest = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layerDescs,
    }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': options.tag ?? 'test' },
        },
      ],
    }),
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * The README recipe: a two-layer OCI image from an Alpine minirootfs with umoci (layer 2 deletes etc/motd →
 * whiteout; user 1000), converted by skopeo into docker-archive and oci-archive.
 */
export function buildAlpineImages(rootfsTarball: string): {
  dir: string;
  oci: string;
  dockerArchive: string;
  ociArchive: string;
  rootfs: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-umoci-'));
  run('umoci', ['init', '--layout', 'oci'], dir);
  run('umoci', ['new', '--image', 'oci:alpine'], dir);
  run('umoci', ['unpack', '--rootless', '--image', 'oci:alpine', 'bundle'], dir);
  run('tar', ['-xzf', rootfsTarball, '-C', join(dir, 'bundle', 'rootfs')]);
  run('umoci', ['repack', '--image', 'oci:alpine', 'bundle'], dir);
  run('umoci', ['config', '--image', 'oci:alpine', '--config.user', '1000', '--config.cmd', '/bin/sh'], dir);
  run('umoci', ['unpack', '--rootless', '--image', 'oci:alpine', 'b2'], dir);
  rmSync(join(dir, 'b2', 'rootfs', 'etc', 'motd'));
  run('umoci', ['repack', '--image', 'oci:alpine', 'b2'], dir);
  run('skopeo', ['copy', '-q', 'oci:oci:alpine', 'docker-archive:alpine-save.tar:alpine:test'], dir);
  run('skopeo', ['copy', '-q', 'oci:oci:alpine', 'oci-archive:alpine-oci.tar:alpine'], dir);
  return {
    dir,
    oci: join(dir, 'oci'),
    dockerArchive: join(dir, 'alpine-save.tar'),
    ociArchive: join(dir, 'alpine-oci.tar'),
    rootfs: join(dir, 'b2', 'rootfs'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
