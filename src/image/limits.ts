/**
 * Bounds that keep a hostile image from exhausting memory or time. Every reader checks them and throws an
 * `InputError` naming the layer and path that crossed a bound.
 */
export interface ImageLimits {
  /** Largest single file a cataloger may hold in memory. */
  maxFileBytes: number;
  /** Largest uncompressed size of one layer. */
  maxLayerBytes: number;
  /** Largest ratio uncompressed/compressed of a layer once it is past 64 MiB (gzip/zstd bombs). */
  maxCompressionRatio: number;
  /** Most tar entries in one layer. */
  maxEntries: number;
  /** Most symlinks followed while resolving one path (loops stop here). */
  maxSymlinkHops: number;
  /** Largest manifest, index or config JSON. */
  maxJsonBytes: number;
  /** Nesting depth of archives inside archives (jar in jar). */
  maxArchiveDepth: number;
}

export const DEFAULT_LIMITS: ImageLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxLayerBytes: 16 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxEntries: 2_000_000,
  maxSymlinkHops: 40,
  maxJsonBytes: 8 * 1024 * 1024,
  maxArchiveDepth: 4,
};

export function resolveLimits(partial?: Partial<ImageLimits>): ImageLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}
