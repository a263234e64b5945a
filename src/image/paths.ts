/**
 * Path handling for image contents. Every path inside an image is kept relative to the image root, without a
 * leading `./` or `/` (`etc/os-release`). `..` never climbs above the root.
 */

/**
 * Normalises a tar entry name. With `strict`, a path that would climb above the root returns undefined (used for
 * link targets inside archives); otherwise `..` at the root is dropped, as the kernel does for `/..`.
 */
/** A `.` or `..` path segment. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

export function normalizeTarPath(name: string, strict: true): string | undefined;
export function normalizeTarPath(name: string, strict?: false): string;
export function normalizeTarPath(name: string, strict = false): string | undefined {
  // Fast path for the common case (`./usr/bin/x`, `usr/bin/x`): nothing but a leading `./` to drop.
  let plain = name;
  while (plain.startsWith('./')) plain = plain.slice(2);
  if (plain !== '' && plain[0] !== '/' && !plain.endsWith('/') && !plain.includes('//') && !DOT_SEGMENT.test(plain)) {
    return plain;
  }
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) {
        if (strict) return undefined;
        continue;
      }
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

/** Every ancestor directory of a path, nearest first (`a/b/c` → `a/b`, `a`). */
export function* ancestors(path: string): Generator<string> {
  let p = parentOf(path);
  while (p !== '') {
    yield p;
    p = parentOf(p);
  }
}
