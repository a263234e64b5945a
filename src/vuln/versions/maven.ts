import { compareBytes, compareDigitStrings, parsingScheme, sign, type VersionScheme } from './scheme.js';

/**
 * Maven's ComparableVersion (maven-artifact 3.9.x, the order OSV's "Maven" ecosystem uses): the version is split
 * into a tree of lists (`-` and digit/letter transitions open a sub-list), numbers and qualifiers,
 * trailing null items are dropped, and items compare by kind. Only ASCII digits are numbers (the Maven 4 rule;
 * 3.9.6 also read other Unicode digits as numbers).
 */
type Item = { kind: 'int'; digits: string } | { kind: 'string'; value: string } | { kind: 'list'; items: Item[] };
type StringItem = Extract<Item, { kind: 'string' }>;
type ListItem = Extract<Item, { kind: 'list' }>;

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = '5';

function stringItem(raw: string, followedByDigit: boolean): StringItem {
  let value = raw;
  if (followedByDigit && value.length === 1) {
    value = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[value] ?? value;
  }
  return { kind: 'string', value: ALIASES[value] ?? value };
}

function intItem(digits: string): Item {
  return { kind: 'int', digits: digits.replace(/^0+/, '') };
}

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'int':
      return item.digits === '';
    case 'string':
      return comparableQualifier(item.value) === RELEASE_INDEX;
    case 'list':
      return item.items.length === 0;
  }
}

/** Drops trailing null items (0, "", empty lists), looking through nested lists. */
function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const last = list.items[i] as Item;
    if (isNull(last)) list.items.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

export function parseMaven(version: string): ListItem {
  const text = version.toLowerCase();
  const root: ListItem = { kind: 'list', items: [] };
  let list = root;
  const stack: ListItem[] = [root];
  let isDigitRun = false;
  let start = 0;
  const openList = (): void => {
    const next: ListItem = { kind: 'list', items: [] };
    list.items.push(next);
    list = next;
    stack.push(next);
  };
  const itemOf = (digitRun: boolean, buf: string): Item => (digitRun ? intItem(buf) : stringItem(buf, false));
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '.') {
      list.items.push(i === start ? intItem('0') : itemOf(isDigitRun, text.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.items.push(i === start ? intItem('0') : itemOf(isDigitRun, text.slice(start, i)));
      start = i + 1;
      openList();
    } else if (isDigit(c)) {
      if (!isDigitRun && i > start) {
        // A qualifier directly followed by a number (`alpha1`, `.X1`) starts its own sub-list (MNG-7644).
        if (list.items.length > 0) openList();
        list.items.push(stringItem(text.slice(start, i), true));
        start = i;
        openList();
      }
      isDigitRun = true;
    } else {
      if (isDigitRun && i > start) {
        list.items.push(intItem(text.slice(start, i)));
        start = i;
        openList();
      }
      isDigitRun = false;
    }
  }
  if (text.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: a trailing `.X` qualifier is treated as `-X`.
    if (!isDigitRun && list.items.length > 0) openList();
    list.items.push(itemOf(isDigitRun, text.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop() as ListItem);
  return root;
}

/** `a.compareTo(b)` where an undefined `b` is Maven's null (padding of a shorter list). */
function compareItem(a: Item, b: Item | undefined): number {
  switch (a.kind) {
    case 'int':
      if (b === undefined) return a.digits === '' ? 0 : 1;
      return b.kind === 'int' ? sign(compareDigitStrings(a.digits, b.digits)) : 1;
    case 'string':
      if (b === undefined) return sign(compareBytes(comparableQualifier(a.value), RELEASE_INDEX));
      if (b.kind !== 'string') return -1;
      return sign(compareBytes(comparableQualifier(a.value), comparableQualifier(b.value)));
    case 'list': {
      if (b === undefined) {
        for (const item of a.items) {
          const r = compareItem(item, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return 1;
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const l = a.items[i];
        const r = b.items[i];
        const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

export function compareMaven(a: string, b: string): number {
  return compareItem(parseMaven(a), parseMaven(b));
}

export const maven: VersionScheme = parsingScheme<ListItem>({
  name: 'maven',
  parse: parseMaven,
  compareParsed: compareItem,
  isValid: (v) => v.trim() !== '',
});
