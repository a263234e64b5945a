/**
 * A version-ordering scheme: how one ecosystem orders its version strings. `compare` is total over the strings
 * the scheme accepts; for strings it rejects each scheme documents its fallback (dpkg and rpm compare anyway, as
 * their tools do; apk falls back to a string sort as apk-tools does; the rest throw `InvalidVersionError`).
 */
export interface VersionScheme {
  readonly name: string;
  /** Negative, zero or positive like `Array.prototype.sort`'s comparator. */
  compare(a: string, b: string): number;
  isValid(version: string): boolean;
  /**
   * Schemes built with `parsingScheme` split `compare` into a parse and a comparison of parsed forms, so a caller
   * comparing the same versions many times (range evaluation) parses each once: see `withParsedCache`.
   */
  readonly parse?: (version: string) => unknown;
  readonly compareParsed?: (a: unknown, b: unknown) => number;
}

/**
 * A scheme whose `compare(a, b)` is by construction `compareParsed(parse(a), parse(b))`: the same order and the
 * same errors (`parse` throws `InvalidVersionError`, for `a` before `b`) whether or not parsed forms are reused.
 * `compareParsed` must not modify its arguments.
 */
export function parsingScheme<P>(definition: {
  name: string;
  parse: (version: string) => P;
  compareParsed: (a: P, b: P) => number;
  isValid: (version: string) => boolean;
}): VersionScheme {
  const { name, parse, compareParsed, isValid } = definition;
  return {
    name,
    compare: (a, b) => compareParsed(parse(a), parse(b)),
    isValid,
    parse,
    compareParsed: compareParsed as (a: unknown, b: unknown) => number,
  };
}

/** Distinct versions whose parsed form one cache keeps; beyond that it starts over (bounded memory). */
const PARSED_VERSIONS_KEPT = 50_000;

/**
 * The same scheme, with each distinct version string parsed once for as long as the returned object is used:
 * matching compares every installed version with the range events of each of its advisories, and those events
 * recur across packages. Schemes without a parse step (apk compares token by token) are returned as they are.
 */
export function withParsedCache(scheme: VersionScheme): VersionScheme {
  const { parse, compareParsed } = scheme;
  if (!parse || !compareParsed) return scheme;
  const parsed = new Map<string, unknown>();
  const parsedOf = (version: string): unknown => {
    let value = parsed.get(version);
    if (value === undefined) {
      // Invalid versions throw here and are not kept: they are rare, and each caller must see the error.
      value = parse(version);
      if (parsed.size >= PARSED_VERSIONS_KEPT) parsed.clear();
      parsed.set(version, value);
    }
    return value;
  };
  return { ...scheme, compare: (a, b) => compareParsed(parsedOf(a), parsedOf(b)) };
}

export class InvalidVersionError extends Error {
  constructor(
    readonly scheme: string,
    readonly version: string,
    reason?: string,
  ) {
    super(`${scheme}: invalid version ${JSON.stringify(version)}${reason ? ` (${reason})` : ''}`);
    this.name = 'InvalidVersionError';
  }
}

export function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares two strings of ASCII digits without leading zeros by value, whatever their length. */
export function compareDigitStrings(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Byte-wise string order (C `strcmp`), not locale order. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
