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
