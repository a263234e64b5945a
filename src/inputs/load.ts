import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jsYaml from 'js-yaml';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { InputProblem } from '../core/index.js';
import { isRecord, type KubeObject, type LoadedObject, type SourcePosition, stringMap } from './kube.js';

export interface LoadLimits {
  /** Files larger than this are reported and not read. */
  maxFileBytes: number;
  /** YAML alias expansion limit (billion-laughs guard). */
  maxAliasCount: number;
  /** Deepest nesting of maps and lists accepted in one document. */
  maxDepth: number;
  /** Stop walking directories after this many files. */
  maxFiles: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxFileBytes: 64 * 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 200,
  maxFiles: 100_000,
};

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** An object as read from a file, before namespaces are defaulted. */
export interface RawDocument {
  object: KubeObject;
  source: SourcePosition;
}

export interface FileLoadResult {
  documents: RawDocument[];
  problems: InputProblem[];
}

/**
 * Lists the manifest files under the given paths: files are taken as named (whatever their extension), directories
 * are walked recursively for .yaml/.yml/.json, in sorted order so results are deterministic.
 */
export function listManifestFiles(
  paths: string[],
  limits: LoadLimits = DEFAULT_LOAD_LIMITS,
): {
  files: string[];
  problems: InputProblem[];
} {
  const files: string[] = [];
  const problems: InputProblem[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      problems.push({ level: 'error', file: dir, message: `cannot read directory: ${errMessage(err)}` });
      return;
    }
    for (const name of entries) {
      if (files.length >= limits.maxFiles) {
        problems.push({
          level: 'error',
          file: dir,
          message: `more than ${limits.maxFiles} files; the rest were not read`,
        });
        return;
      }
      const full = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(full);
      } catch (err) {
        problems.push({ level: 'error', file: full, message: `cannot read: ${errMessage(err)}` });
        continue;
      }
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && MANIFEST_EXTENSIONS.has(extname(name).toLowerCase())) files.push(full);
    }
  };
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      problems.push({ level: 'error', file: p, message: 'no such file or directory' });
      continue;
    }
    if (st.isDirectory()) walk(p);
    else files.push(p);
  }
  return { files, problems };
}

/** Reads one file of YAML (multi-document) or JSON. Never throws: every problem is returned with file and line. */
export function loadManifestFile(file: string, limits: LoadLimits = DEFAULT_LOAD_LIMITS): FileLoadResult {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    return { documents: [], problems: [{ level: 'error', file, message: `cannot read: ${errMessage(err)}` }] };
  }
  if (size > limits.maxFileBytes) {
    return {
      documents: [],
      problems: [
        { level: 'error', file, message: `file is ${size} bytes, over the ${limits.maxFileBytes}-byte limit` },
      ],
    };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { documents: [], problems: [{ level: 'error', file, message: `cannot read: ${errMessage(err)}` }] };
  }
  return parseManifestText(text, file, limits);
}

/** One YAML document as parsed: its value or the first error, with positions in the file. */
interface ParsedDocument {
  /** 1-based line of the document's content. */
  line: number;
  value?: unknown;
  error?: { message: string; line?: number; column?: number };
  /** Lines of the members of a top-level `items:` list. */
  itemLines?: Array<number | undefined>;
  /** Keys repeated in one mapping, with their lines (the document is still read, last value wins). */
  duplicateKeys?: Array<{ line: number; key: string | undefined }>;
}

/** Parses manifest text; `file` is only used to name positions. Never throws. */
export function parseManifestText(
  text: string,
  file: string,
  limits: LoadLimits = DEFAULT_LOAD_LIMITS,
): FileLoadResult {
  const documents: RawDocument[] = [];
  const problems: InputProblem[] = [];
  // The yaml library rejects multi-line quoted scalars with CRLF endings that Go's parser (and kubectl) accept;
  // normalising keeps line numbers unchanged.
  if (text.includes('\r\n')) text = text.replace(/\r\n/g, '\n');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: ParsedDocument[];
  try {
    parsed = parseDocuments(text, 1, limits);
    if (parsed.some((d) => d.error)) parsed = parseDocumentByDocument(text, limits);
  } catch (err) {
    problems.push({ level: 'error', file, message: `cannot parse: ${parseFailure(err)}` });
    return { documents, problems };
  }
  parsed.forEach((doc, documentIndex) => {
    const where = { file, line: doc.line };
    if (doc.error) {
      problems.push({
        level: 'error',
        file,
        line: doc.error.line ?? doc.line,
        column: doc.error.column,
        message: `malformed YAML/JSON document ${documentIndex + 1}: ${doc.error.message}`,
      });
      return;
    }
    for (const dup of doc.duplicateKeys ?? []) {
      problems.push({
        level: 'warning',
        file,
        line: dup.line,
        message: `duplicate key${dup.key ? ` "${dup.key}"` : ''} in document ${documentIndex + 1} (a missing \`---\` between objects?): the last value is used`,
      });
    }
    const value = doc.value;
    if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
    const size = measure(value, limits.maxDepth, MAX_NODES_PER_DOCUMENT);
    if (size.depth > limits.maxDepth || size.nodes > MAX_NODES_PER_DOCUMENT) {
      problems.push({
        level: 'error',
        ...where,
        message:
          size.depth > limits.maxDepth
            ? `document ${documentIndex + 1} is nested deeper than ${limits.maxDepth} levels`
            : `document ${documentIndex + 1} has more than ${MAX_NODES_PER_DOCUMENT} values (alias expansion?)`,
      });
      return;
    }
    if (!isRecord(value)) {
      // Directories mix manifests with other YAML/JSON (package.json, CI workflows, compose files, stale outputs):
      // they are skipped and listed as warnings, never silently.
      problems.push({
        level: 'warning',
        ...where,
        message: `document ${documentIndex + 1} is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a Kubernetes object; skipped`,
      });
      return;
    }
    collectObjects(value, { file, line: doc.line, documentIndex }, doc.itemLines, documents, problems);
  });
  return { documents, problems };
}

/** Parses all documents of `text` with the `yaml` library; `firstLine` is the file line `text` starts at. */
function parseDocuments(text: string, firstLine: number, limits: LoadLimits): ParsedDocument[] {
  const lc = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(parsed)) return []; // an EmptyStream: no documents at all
  const shift = firstLine - 1;
  return parsed.map((doc) => {
    const line = lc.linePos(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0).line + shift;
    // A repeated key is not fatal (the document is read, the last value wins), but it is never silent: a second
    // `securityContext:` or a forgotten `---` between two objects changes what is checked, and other tools may
    // keep a different value or reject the file.
    const duplicates = doc.errors.filter((x) => x.code === 'DUPLICATE_KEY');
    const duplicateKeys = duplicates.map((x) => ({
      line: lc.linePos(x.pos[0]).line + shift,
      key: /^["']?([^"':\s{}[\],]+)/.exec(text.slice(x.pos[0], x.pos[0] + 256))?.[1],
    }));
    const e = doc.errors.find((x) => x.code !== 'DUPLICATE_KEY');
    if (e) {
      const pos = e.pos ? lc.linePos(e.pos[0]) : undefined;
      return {
        line,
        error: { message: firstLineOf(e.message), line: pos ? pos.line + shift : undefined, column: pos?.col },
      };
    }
    try {
      const value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
      return {
        line,
        value,
        itemLines: listItemLines(doc, lc)?.map((l) => (l === undefined ? l : l + shift)),
        ...(duplicateKeys.length ? { duplicateKeys } : {}),
      };
    } catch (err) {
      return { line, error: { message: parseFailure(err) } };
    }
  });
}

/**
 * The fallback when the `yaml` library finds an error: split the stream at document markers and parse each document
 * alone, so one bad document cannot swallow the next. A document the `yaml` library rejects but a libyaml-style
 * parser (js-yaml) accepts is taken, because kubectl's go-yaml accepts it too (tabs inside flow sequences, quoted
 * scalars continued at the parent's indentation). The rest keep the `yaml` library's error and position.
 */
function parseDocumentByDocument(text: string, limits: LoadLimits): ParsedDocument[] {
  const out: ParsedDocument[] = [];
  const lines = text.split('\n');
  let start = 0;
  const flush = (end: number) => {
    const chunk = lines.slice(start, end).join('\n');
    if (chunk.trim() === '' || /^---\s*$/.test(chunk.trim())) return;
    const docs = parseDocuments(chunk, start + 1, limits);
    for (const d of docs) {
      if (d.error) {
        const lenient = parseLeniently(chunk);
        out.push(lenient.ok ? { line: d.line, value: lenient.value } : d);
      } else out.push(d);
    }
  };
  lines.forEach((line, i) => {
    if (i > start && /^---(\s|$)/.test(line)) {
      flush(i);
      start = i;
    }
  });
  flush(lines.length);
  return out;
}

/** Unwraps `kind: List` / `*List` into their items, keeping each item's own line. */
function collectObjects(
  value: Record<string, unknown>,
  source: SourcePosition,
  itemLines: Array<number | undefined> | undefined,
  out: RawDocument[],
  problems: InputProblem[],
): void {
  const kind = value.kind;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item, i) => {
      const itemSource = { ...source, line: itemLines?.[i] ?? source.line };
      if (!isRecord(item)) {
        problems.push({ level: 'error', ...itemSource, field: `items[${i}]`, message: 'list item is not an object' });
        return;
      }
      // Typed lists from the API (`PodList`, `NamespaceList`) omit kind and apiVersion on their items.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      const typed =
        itemKind && item.kind === undefined
          ? { kind: itemKind, apiVersion: item.apiVersion ?? value.apiVersion, ...item }
          : item;
      collectObjects(typed, itemSource, undefined, out, problems);
    });
    return;
  }
  const problem = identityProblem(value);
  if (problem) {
    problems.push({
      // Neither kind nor apiVersion: some other YAML/JSON file, skipped with a warning. A document that claims to be
      // a Kubernetes object but is incomplete is an error.
      level: value.kind === undefined && value.apiVersion === undefined ? 'warning' : 'error',
      file: source.file,
      line: source.line,
      field: problem.field,
      message: problem.message,
    });
    return;
  }
  out.push({ object: value as KubeObject, source });
}

function identityProblem(value: Record<string, unknown>): { field: string; message: string } | undefined {
  if (value.kind === undefined && value.apiVersion === undefined)
    return { field: 'kind', message: 'no kind or apiVersion: not a Kubernetes object; skipped' };
  if (typeof value.kind !== 'string' || value.kind === '')
    return { field: 'kind', message: 'missing kind; not a Kubernetes object' };
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '')
    return { field: 'apiVersion', message: `missing apiVersion on ${value.kind}` };
  const md = value.metadata;
  if (md !== undefined && !isRecord(md)) return { field: 'metadata', message: 'metadata is not a map' };
  const name = isRecord(md) ? md.name : undefined;
  const generateName = isRecord(md) ? md.generateName : undefined;
  if ((typeof name !== 'string' || name === '') && (typeof generateName !== 'string' || generateName === ''))
    return { field: 'metadata.name', message: `${value.kind} has no metadata.name` };
  if (isRecord(md) && md.namespace !== undefined && typeof md.namespace !== 'string')
    return { field: 'metadata.namespace', message: 'metadata.namespace is not a string' };
  return undefined;
}

/** Lines of the items of a top-level `items:` list, so List members keep their own positions. */
function listItemLines(doc: ReturnType<typeof parseAllDocuments>[number], lc: LineCounter): number[] | undefined {
  const contents = doc.contents as unknown as { items?: Array<{ key?: { value?: unknown }; value?: unknown }> } | null;
  if (!contents || !Array.isArray(contents.items)) return undefined;
  const pair = contents.items.find((p) => p.key && (p.key as { value?: unknown }).value === 'items');
  const seq = pair?.value as { items?: Array<{ range?: [number, number, number] }> } | undefined;
  if (!seq || !Array.isArray(seq.items)) return undefined;
  return seq.items.map((n) => (n?.range ? lc.linePos(n.range[0]).line : undefined)) as number[];
}

/** Values one document may hold once aliases are expanded: a guard against alias bombs in the lenient parser. */
const MAX_NODES_PER_DOCUMENT = 2_000_000;

/**
 * Depth and number of nested maps/lists, walked iteratively so hostile input cannot overflow the stack; stops as
 * soon as either limit is passed (a shared alias target counts once per use, as it would once serialised).
 */
export function measure(value: unknown, maxDepth: number, maxNodes: number): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    nodes++;
    if (d > depth) depth = d;
    if (depth > maxDepth || nodes > maxNodes) break;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return { depth, nodes };
}

function parseLeniently(source: string): { ok: true; value: unknown } | { ok: false } {
  try {
    const docs = jsYaml.loadAll(source, undefined, { json: true });
    return docs.length === 1 ? { ok: true, value: docs[0] } : { ok: false };
  } catch {
    return { ok: false };
  }
}

export function toLoadedObject(doc: RawDocument, namespaced: boolean): LoadedObject {
  const { object, source } = doc;
  const md = object.metadata ?? {};
  const name = (typeof md.name === 'string' && md.name) || `${md.generateName ?? ''}`;
  return {
    apiVersion: object.apiVersion as string,
    kind: object.kind as string,
    name,
    namespace: namespaced
      ? typeof md.namespace === 'string' && md.namespace !== ''
        ? md.namespace
        : 'default'
      : undefined,
    labels: stringMap(md.labels),
    annotations: stringMap(md.annotations),
    raw: object,
    source,
  };
}

function errMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return err instanceof Error ? firstLineOf(err.message) : String(err);
}

function parseFailure(err: unknown): string {
  if (err instanceof RangeError) return 'input is nested too deeply to parse';
  return err instanceof Error ? firstLineOf(err.message) : String(err);
}

function firstLineOf(s: string): string {
  const i = s.indexOf('\n');
  return i === -1 ? s : s.slice(0, i);
}
