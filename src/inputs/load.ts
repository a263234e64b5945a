import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
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

/** Parses manifest text; `file` is only used to name positions. */
export function parseManifestText(
  text: string,
  file: string,
  limits: LoadLimits = DEFAULT_LOAD_LIMITS,
): FileLoadResult {
  const documents: RawDocument[] = [];
  const problems: InputProblem[] = [];
  const lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    docs = Array.isArray(parsed) ? parsed : [];
    if (!Array.isArray(parsed)) {
      // parseAllDocuments returns an EmptyStream for empty input
      return { documents, problems };
    }
  } catch (err) {
    problems.push({ level: 'error', file, message: `cannot parse: ${parseFailure(err)}` });
    return { documents, problems };
  }
  docs.forEach((doc, documentIndex) => {
    const startOffset = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const docLine = lineCounter.linePos(startOffset).line;
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = e?.pos ? lineCounter.linePos(e.pos[0]) : undefined;
      problems.push({
        level: 'error',
        file,
        line: pos?.line ?? docLine,
        column: pos?.col,
        message: `malformed YAML/JSON document ${documentIndex + 1}: ${firstLine(e?.message ?? 'parse error')}`,
      });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      problems.push({
        level: 'error',
        file,
        line: docLine,
        message: `document ${documentIndex + 1}: ${parseFailure(err)}`,
      });
      return;
    }
    if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
    const depth = nestingDepth(value, limits.maxDepth);
    if (depth > limits.maxDepth) {
      problems.push({
        level: 'error',
        file,
        line: docLine,
        message: `document ${documentIndex + 1} is nested deeper than ${limits.maxDepth} levels`,
      });
      return;
    }
    if (!isRecord(value)) {
      problems.push({
        level: 'error',
        file,
        line: docLine,
        message: `document ${documentIndex + 1} is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a Kubernetes object`,
      });
      return;
    }
    const itemLines = listItemLines(doc, lineCounter);
    collectObjects(value, { file, line: docLine, documentIndex }, itemLines, documents, problems);
  });
  return { documents, problems };
}

/** Unwraps `kind: List` / `*List` into their items, keeping each item's own line. */
function collectObjects(
  value: Record<string, unknown>,
  source: SourcePosition,
  itemLines: number[] | undefined,
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
      collectObjects(item, itemSource, undefined, out, problems);
    });
    return;
  }
  const problem = identityProblem(value);
  if (problem) {
    problems.push({
      level: 'error',
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

/** Depth of nested maps/lists, walked iteratively so hostile input cannot overflow the stack; stops past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return max;
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
  return err instanceof Error ? firstLine(err.message) : String(err);
}

function parseFailure(err: unknown): string {
  if (err instanceof RangeError) return 'input is nested too deeply to parse';
  return err instanceof Error ? firstLine(err.message) : String(err);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i === -1 ? s : s.slice(0, i);
}
