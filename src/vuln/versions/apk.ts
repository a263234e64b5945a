import { compareBytes, compareDigitStrings, sign, type VersionScheme } from './scheme.js';

/**
 * Alpine apk-tools version order (Gentoo-like): `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`.
 * Invalid versions are compared as plain strings, as apk-tools does.
 */
enum Token {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNumber = 4,
  CommitHash = 5,
  Revision = 6,
  End = 7,
  Invalid = 8,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];
/** alpha=1 … rc=4, none=5, cvs=6 … p=10. */
const SUFFIX_NONE = 5;
function suffixValue(s: string): number {
  const pre = PRE_SUFFIXES.indexOf(s);
  if (pre >= 0) return pre + 1;
  const post = POST_SUFFIXES.indexOf(s);
  return post >= 0 ? SUFFIX_NONE + 1 + post : 0;
}

interface TokenState {
  token: Token;
  /** The token's text (digits, letter, suffix name, hash). */
  value: string;
  suffix: number;
}

class Tokenizer {
  pos = 0;
  constructor(readonly text: string) {}

  private digits(t: TokenState): void {
    const m = /^[0-9]+/.exec(this.text.slice(this.pos));
    t.value = m ? m[0] : '';
    this.pos += t.value.length;
    if (t.value === '') t.token = Token.Invalid;
  }

  first(t: TokenState): void {
    t.token = Token.InitialDigit;
    this.digits(t);
  }

  private invalid(t: TokenState): undefined {
    t.token = Token.Invalid;
    return undefined;
  }

  next(t: TokenState): undefined {
    const rest = this.text.slice(this.pos);
    if (rest === '') {
      t.token = Token.End;
      return;
    }
    const c = rest[0] as string;
    if (c >= 'a' && c <= 'z') {
      if (t.token > Token.Digit) return this.invalid(t);
      t.token = Token.Letter;
      t.value = c;
      this.pos++;
    } else if (c === '.') {
      if (t.token > Token.Digit) return this.invalid(t);
      this.pos++;
      t.token = Token.Digit;
      this.digits(t);
    } else if (c === '_') {
      if (t.token > Token.SuffixNumber) return this.invalid(t);
      const m = /^[a-z]*/.exec(rest.slice(1));
      const name = m ? m[0] : '';
      const value = suffixValue(name);
      if (value === 0) return this.invalid(t);
      this.pos += 1 + name.length;
      t.token = Token.Suffix;
      t.value = name;
      t.suffix = value;
      if (/^[0-9]/.test(this.text.slice(this.pos))) {
        // The suffix number is its own token so `_pre1 < _pre2` compares numerically.
        this.pendingSuffixNumber = true;
      }
    } else if (c === '~') {
      // A commit hash is only allowed after a pre/post suffix.
      if (t.token !== Token.Suffix && t.token !== Token.SuffixNumber) return this.invalid(t);
      const m = /^[0-9a-f]+/.exec(rest.slice(1));
      if (!m) return this.invalid(t);
      this.pos += 1 + m[0].length;
      t.token = Token.CommitHash;
      t.value = m[0];
    } else if (c === '-') {
      if (t.token === Token.Revision) return this.invalid(t);
      if (rest[1] !== 'r') return this.invalid(t);
      this.pos += 2;
      t.token = Token.Revision;
      this.digits(t);
    } else if (c >= '0' && c <= '9' && this.pendingSuffixNumber) {
      this.pendingSuffixNumber = false;
      t.token = Token.SuffixNumber;
      this.digits(t);
    } else {
      return this.invalid(t);
    }
  }
  private pendingSuffixNumber = false;
}

function tokenCompare(a: TokenState, b: TokenState): number {
  switch (a.token) {
    case Token.Digit:
      // A leading zero after a dot compares as a string (Gentoo rule: 1.01 < 1.1).
      if (a.value.startsWith('0') || b.value.startsWith('0')) return sign(compareBytes(a.value, b.value));
      return sign(compareDigitStrings(a.value, b.value));
    case Token.InitialDigit:
    case Token.SuffixNumber:
    case Token.Revision:
      return sign(compareDigitStrings(a.value, b.value));
    case Token.Letter:
      return sign(compareBytes(a.value, b.value));
    case Token.Suffix:
      return sign(a.suffix - b.suffix);
    default:
      return sign(compareBytes(a.value, b.value));
  }
}

/** Walks both versions token by token; `fuzzy` makes a version equal to any longer one it is a prefix of. */
function compareTokens(a: string, b: string, fuzzy: boolean): number {
  const ta = new Tokenizer(a);
  const tb = new Tokenizer(b);
  const sa: TokenState = { token: Token.InitialDigit, value: '', suffix: 0 };
  const sb: TokenState = { token: Token.InitialDigit, value: '', suffix: 0 };
  ta.first(sa);
  tb.first(sb);
  while (sa.token === sb.token && sa.token !== Token.End && sa.token !== Token.Invalid) {
    const r = tokenCompare(sa, sb);
    if (r !== 0) return r;
    ta.next(sa);
    tb.next(sb);
  }
  if (sa.token === Token.Invalid || sb.token === Token.Invalid) return sign(compareBytes(a, b));
  if (fuzzy && sb.token === Token.End) return 0;
  if (sa.token === sb.token) return 0;
  // The longer version is newer unless what follows is a pre-release suffix.
  if (sa.token === Token.Suffix && sa.suffix < SUFFIX_NONE) return -1;
  if (sb.token === Token.Suffix && sb.suffix < SUFFIX_NONE) return 1;
  return sa.token > sb.token ? -1 : 1;
}

export function isValidApk(v: string): boolean {
  const t = new Tokenizer(v);
  const s: TokenState = { token: Token.InitialDigit, value: '', suffix: 0 };
  t.first(s);
  while (s.token !== Token.End && s.token !== Token.Invalid) t.next(s);
  // A suffix must be followed by something legal; `_pre2~` etc. end up Invalid above.
  return s.token === Token.End;
}

export function compareApk(a: string, b: string): number {
  return compareTokens(a, b, false);
}

/** apk's `~` operator: `version ~ pattern` when the pattern is a prefix at a component boundary. */
export function apkFuzzyMatch(version: string, pattern: string): boolean {
  return compareTokens(version, pattern, true) === 0;
}

export const apk: VersionScheme = { name: 'apk', compare: compareApk, isValid: isValidApk };
