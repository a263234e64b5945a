// Types of scripts/debian-image.mjs for the TypeScript tests that use it.
export interface DebianImagePaths {
  /** docker-archive with one uncompressed layer. */
  archive: string;
  /** OCI layout directory, the same layer gzip-compressed. */
  layout: string;
  layoutTag: string;
}
export function imageCacheDir(env?: NodeJS.ProcessEnv): string;
export function debianImagePaths(cache?: string): DebianImagePaths;
export function buildDebianImages(options?: { cache?: string; log?: (line: string) => void }): DebianImagePaths;
