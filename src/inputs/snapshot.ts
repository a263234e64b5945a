import type { InputProblem } from '../core/index.js';
import { CLUSTER_SCOPED_KINDS, isRecord, type LoadedObject, objectKey } from './kube.js';
import {
  DEFAULT_LOAD_LIMITS,
  type LoadLimits,
  listManifestFiles,
  loadManifestFile,
  type RawDocument,
  toLoadedObject,
} from './load.js';

/**
 * A cluster as files: every object with its source position, indexed by kind/namespace/name and by labels.
 * Engines read snapshots; they never read files themselves.
 */
export class Snapshot {
  readonly objects: readonly LoadedObject[];
  readonly problems: readonly InputProblem[];
  /** The paths the snapshot was loaded from, as given. */
  readonly paths: readonly string[];
  private readonly byKindIndex = new Map<string, LoadedObject[]>();
  private readonly byKey = new Map<string, LoadedObject>();

  constructor(objects: LoadedObject[], problems: InputProblem[], paths: string[] = []) {
    this.objects = objects;
    this.problems = problems;
    this.paths = paths;
    for (const o of objects) {
      let list = this.byKindIndex.get(o.kind);
      if (!list) this.byKindIndex.set(o.kind, (list = []));
      list.push(o);
      // First definition wins; a later duplicate is reported by the loader.
      const key = objectKey(o.kind, o.namespace, o.name);
      if (!this.byKey.has(key)) this.byKey.set(key, o);
    }
  }

  /** Objects of one kind (e.g. `NetworkPolicy`), optionally restricted to an apiVersion group. */
  ofKind(kind: string, namespace?: string): LoadedObject[] {
    const all = this.byKindIndex.get(kind) ?? [];
    return namespace === undefined ? all : all.filter((o) => o.namespace === namespace);
  }

  get(kind: string, namespace: string | undefined, name: string): LoadedObject | undefined {
    return this.byKey.get(objectKey(kind, namespace, name));
  }

  kinds(): string[] {
    return [...this.byKindIndex.keys()].sort();
  }

  /** Namespace names, defined or synthesised, sorted. */
  namespaces(): string[] {
    return this.ofKind('Namespace')
      .map((n) => n.name)
      .sort();
  }

  /** Objects whose labels match `selector` (a Kubernetes LabelSelector), of one kind, optionally in one namespace. */
  select(kind: string, selector: unknown, namespace?: string): LoadedObject[] {
    return this.ofKind(kind, namespace).filter((o) => matchesLabelSelector(selector, o.labels));
  }

  /** True when any load problem is an error (not a warning): the CLI's exit code reflects it. */
  hasErrors(): boolean {
    return this.problems.some((p) => p.level === 'error');
  }
}

export interface LoadSnapshotOptions {
  limits?: Partial<LoadLimits>;
  /** Add Namespace objects for namespaces that objects use but no file defines (default true). */
  synthesizeNamespaces?: boolean;
}

/** Loads files and directories (recursive) of YAML and JSON into one snapshot. Never throws on bad input. */
export function loadSnapshot(paths: string[], options: LoadSnapshotOptions = {}): Snapshot {
  const limits = { ...DEFAULT_LOAD_LIMITS, ...options.limits };
  const { files, problems } = listManifestFiles(paths, limits);
  const raw: RawDocument[] = [];
  for (const file of files) {
    const r = loadManifestFile(file, limits);
    raw.push(...r.documents);
    problems.push(...r.problems);
  }
  return buildSnapshot(raw, problems, paths, options);
}

/** Builds a snapshot from already-parsed documents (live API reads, tests). */
export function buildSnapshot(
  raw: RawDocument[],
  problems: InputProblem[] = [],
  paths: string[] = [],
  options: LoadSnapshotOptions = {},
): Snapshot {
  const clusterScoped = new Set(CLUSTER_SCOPED_KINDS);
  const namespacedCustom = new Set<string>();
  for (const d of raw) {
    if (d.object.kind !== 'CustomResourceDefinition') continue;
    const spec = d.object.spec;
    if (!isRecord(spec) || !isRecord(spec.names) || typeof spec.names.kind !== 'string') continue;
    if (spec.scope === 'Cluster') clusterScoped.add(spec.names.kind);
    else if (spec.scope === 'Namespaced') namespacedCustom.add(spec.names.kind);
  }
  const objects: LoadedObject[] = [];
  const seen = new Map<string, LoadedObject>();
  for (const d of raw) {
    const kind = d.object.kind as string;
    const namespaced = namespacedCustom.has(kind) || !clusterScoped.has(kind);
    const o = toLoadedObject(d, namespaced);
    const key = objectKey(o.kind, o.namespace, o.name);
    const first = seen.get(key);
    if (first) {
      problems.push({
        level: 'warning',
        file: o.source.file,
        line: o.source.line,
        message: `duplicate ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}; first defined at ${first.source.file}:${first.source.line ?? '?'}`,
      });
    } else seen.set(key, o);
    objects.push(o);
  }
  if (options.synthesizeNamespaces !== false) {
    const defined = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.name));
    const used = new Map<string, LoadedObject>();
    for (const o of objects)
      if (o.namespace && !defined.has(o.namespace) && !used.has(o.namespace)) used.set(o.namespace, o);
    for (const [ns, firstUser] of [...used.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
        labels: { 'kubernetes.io/metadata.name': ns },
        annotations: {},
        raw: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
        },
        source: {
          file: firstUser.source.file,
          line: firstUser.source.line,
          documentIndex: firstUser.source.documentIndex,
        },
        synthesized: true,
      });
    }
    // The API server sets this label on every namespace; files often omit it.
    for (const o of objects) {
      if (o.kind === 'Namespace' && o.labels['kubernetes.io/metadata.name'] === undefined) {
        o.labels = { ...o.labels, 'kubernetes.io/metadata.name': o.name };
      }
    }
  }
  return new Snapshot(objects, problems, paths);
}

/**
 * Kubernetes LabelSelector semantics: matchLabels AND matchExpressions (In, NotIn, Exists, DoesNotExist).
 * An empty selector `{}` matches everything; a missing (null/undefined) selector matches nothing.
 * A malformed selector matches nothing (the API server would have rejected it).
 */
export function matchesLabelSelector(selector: unknown, labels: Record<string, string>): boolean {
  if (selector === null || selector === undefined) return false;
  if (!isRecord(selector)) return false;
  const ml = selector.matchLabels;
  if (ml !== undefined && ml !== null) {
    if (!isRecord(ml)) return false;
    for (const [k, v] of Object.entries(ml)) if (labels[k] !== String(v)) return false;
  }
  const me = selector.matchExpressions;
  if (me !== undefined && me !== null) {
    if (!Array.isArray(me)) return false;
    for (const expr of me) {
      if (!isRecord(expr) || typeof expr.key !== 'string') return false;
      const has = Object.hasOwn(labels, expr.key);
      const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
      switch (expr.operator) {
        case 'In':
          if (!has || !values.includes(labels[expr.key] as string)) return false;
          break;
        case 'NotIn':
          if (has && values.includes(labels[expr.key] as string)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
  }
  return true;
}
