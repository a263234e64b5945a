import type { VersionScheme } from './scheme.js';

/** The parts of an OSV `affected[]` entry that decide whether a version is affected. */
export interface OsvRangeEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  repo?: string;
  events: OsvRangeEvent[];
}

export interface OsvAffectedVersions {
  ranges?: OsvRange[];
  versions?: string[];
}

export interface RangeVerdict {
  affected: boolean;
  /** False when some range could not be evaluated (GIT ranges, unknown scheme, unparsable versions). */
  evaluable: boolean;
  /** Versions that fix the affected interval the version falls into (ECOSYSTEM/SEMVER `fixed` events). */
  fixedIn: string[];
  /** Why something was not evaluable. */
  notes: string[];
}

interface SortedEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

const KIND_ORDER = { introduced: 0, fixed: 1, last_affected: 2, limit: 3 } as const;

function eventsOf(range: OsvRange): SortedEvent[] {
  const out: SortedEvent[] = [];
  for (const e of range.events) {
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const v = e[kind];
      if (typeof v === 'string') out.push({ kind, version: v });
    }
  }
  return out;
}

/** `introduced: "0"` means "from the first version"; it is below every version of every scheme. */
function isZero(e: SortedEvent): boolean {
  return e.kind === 'introduced' && e.version === '0';
}

interface CompiledRange {
  scheme: VersionScheme;
  sorted: SortedEvent[];
  limits: SortedEvent[];
}

/**
 * A range's events in version order, kept per range object: the same stored range is evaluated against many
 * installed versions, and sorting it each time cost more than the comparisons that decide the verdict.
 */
const compiledRanges = new WeakMap<OsvRange, CompiledRange>();

function sortedEvents(range: OsvRange, scheme: VersionScheme): CompiledRange {
  const cached = compiledRanges.get(range);
  if (cached && cached.scheme === scheme) return cached;
  const cmp = (a: SortedEvent, b: SortedEvent): number => {
    if (isZero(a) || isZero(b)) return isZero(a) === isZero(b) ? 0 : isZero(a) ? -1 : 1;
    return scheme.compare(a.version, b.version) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  };
  const sorted = eventsOf(range).sort(cmp);
  const compiled = { scheme, sorted, limits: sorted.filter((e) => e.kind === 'limit') };
  compiledRanges.set(range, compiled);
  return compiled;
}

/**
 * Evaluates one ECOSYSTEM or SEMVER range as the OSV schema specifies: events sorted by version, a version is
 * affected after an `introduced` at or below it until a `fixed` at or below it or a `last_affected` below it;
 * `limit` events cap the range (the version must be below some limit).
 */
export function evaluateRange(
  version: string,
  range: OsvRange,
  scheme: VersionScheme,
): { affected: boolean; fixedIn?: string } {
  const outcome = rangeOutcome(version, range, scheme);
  return outcome === NOT_IN_RANGE ? { affected: false } : { affected: true, fixedIn: outcome };
}

const NOT_IN_RANGE = null;

/** `evaluateRange` without an object per call: NOT_IN_RANGE, or the fixing version (undefined when none). */
function rangeOutcome(
  version: string,
  range: OsvRange,
  scheme: VersionScheme,
): string | undefined | typeof NOT_IN_RANGE {
  const { sorted, limits } = sortedEvents(range, scheme);
  if (limits.length > 0 && !limits.some((l) => l.version === '*' || scheme.compare(version, l.version) < 0)) {
    return NOT_IN_RANGE;
  }
  let affected = false;
  let fixedIn: string | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as SortedEvent;
    if (e.kind === 'introduced') {
      if (isZero(e) || scheme.compare(version, e.version) >= 0) {
        affected = true;
        fixedIn = undefined;
      }
    } else if (e.kind === 'fixed') {
      if (scheme.compare(version, e.version) >= 0) affected = false;
      else if (affected && fixedIn === undefined) fixedIn = e.version;
    } else if (e.kind === 'last_affected') {
      if (scheme.compare(version, e.version) > 0) affected = false;
    }
  }
  return affected ? fixedIn : NOT_IN_RANGE;
}

/**
 * The verdict of most evaluations (evaluable, not affected): one frozen object instead of three per call, as
 * matching evaluates every advisory of every installed package.
 */
const NONE_LISTED = Object.freeze([]) as unknown as string[];
const NOT_AFFECTED: RangeVerdict = Object.freeze({
  affected: false,
  evaluable: true,
  fixedIn: NONE_LISTED,
  notes: NONE_LISTED,
});

/**
 * Whether `version` is affected by an OSV `affected[]` entry: listed in `versions`, or inside one of the
 * ECOSYSTEM/SEMVER ranges. GIT ranges name commits and cannot be evaluated against a package version offline:
 * they make the verdict non-evaluable unless the version is listed or another range decides. The verdict is
 * read-only (a shared object when not affected).
 */
export function evaluateAffected(
  version: string,
  affected: OsvAffectedVersions,
  scheme: VersionScheme | undefined,
): RangeVerdict {
  let isAffected = affected.versions?.includes(version) === true;
  let fixedIn: string[] | undefined;
  // Why a range could not be evaluated; none means evaluable. (No helper closure: this runs for every advisory of
  // every installed package.)
  let notes: string[] | undefined;
  const ranges = affected.ranges ?? [];
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as OsvRange;
    if (range.type === 'GIT') {
      if (!affected.versions?.length) {
        (notes ??= []).push(`GIT range${range.repo ? ` of ${range.repo}` : ''} cannot be evaluated offline`);
      }
      continue;
    }
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') {
      (notes ??= []).push(`unknown range type ${range.type}`);
      continue;
    }
    if (!scheme) {
      (notes ??= []).push('no version scheme for this ecosystem');
      continue;
    }
    try {
      const outcome = rangeOutcome(version, range, scheme);
      if (outcome !== NOT_IN_RANGE) {
        isAffected = true;
        if (outcome !== undefined) {
          if (!fixedIn) fixedIn = [outcome];
          else if (!fixedIn.includes(outcome)) fixedIn.push(outcome);
        }
      }
    } catch (err) {
      (notes ??= []).push(err instanceof Error ? err.message : String(err));
    }
  }
  if (isAffected) return { affected: true, evaluable: true, fixedIn: fixedIn ?? [], notes: notes ?? NONE_LISTED };
  if (!notes) return NOT_AFFECTED;
  return { affected: false, evaluable: false, fixedIn: [], notes };
}
