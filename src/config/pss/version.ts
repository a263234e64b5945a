import { UsageError } from '../../core/index.js';

/** A Pod Security Standards policy version: `v1.<minor>`. Only Kubernetes 1.x exists. */
export interface PssVersion {
  major: 1;
  minor: number;
}

export type PssLevel = 'privileged' | 'baseline' | 'restricted';
export const PSS_LEVELS: readonly PssLevel[] = ['privileged', 'baseline', 'restricted'];

/**
 * Newest minor whose policy this evaluator implements. `latest` and any newer requested version evaluate as this
 * one, exactly as the API server clamps a version newer than its own policy set.
 */
export const NEWEST_PSS_MINOR = 37;
export const LATEST_PSS_VERSION: PssVersion = { major: 1, minor: NEWEST_PSS_MINOR };

const VERSION_RE = /^v1\.(0|[1-9][0-9]*)$/;

/** Parses `latest` or `v1.N`; anything else is a usage error naming the value. */
export function parsePssVersion(text: string): PssVersion {
  if (text === 'latest') return LATEST_PSS_VERSION;
  const m = VERSION_RE.exec(text);
  if (!m) throw new UsageError(`PSS version "${text}": expected "latest" or v1.<minor> (e.g. v1.30)`);
  return clampVersion({ major: 1, minor: Number(m[1]) });
}

/**
 * Namespace label semantics: an unparsable `…-version` label value is treated as `latest` by admission, not as an
 * error. Returns the version and whether the label was valid, so callers can report the bad label.
 */
export function parseLabelVersion(text: string | undefined): { version: PssVersion; valid: boolean } {
  if (text === undefined || text === 'latest') return { version: LATEST_PSS_VERSION, valid: true };
  const m = VERSION_RE.exec(text);
  if (!m) return { version: LATEST_PSS_VERSION, valid: false };
  return { version: clampVersion({ major: 1, minor: Number(m[1]) }), valid: true };
}

export function parsePssLevel(text: string): PssLevel {
  if ((PSS_LEVELS as readonly string[]).includes(text)) return text as PssLevel;
  throw new UsageError(`PSS level "${text}": expected one of ${PSS_LEVELS.join(', ')}`);
}

export function clampVersion(v: PssVersion): PssVersion {
  return v.minor > NEWEST_PSS_MINOR ? LATEST_PSS_VERSION : v;
}

export function formatPssVersion(v: PssVersion): string {
  return `v${v.major}.${v.minor}`;
}

/** Upstream prints `latest` for the newest version in admission messages only when it was asked for; we print the number. */
export function versionAtLeast(v: PssVersion, minor: number): boolean {
  return v.minor >= minor;
}
