import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import type { InputProblem } from '../core/index.js';

export type LintFileKind =
  | 'dockerfile'
  | 'compose'
  | 'github-actions'
  | 'gitlab-ci'
  | 'makefile'
  | 'shell'
  | 'manifest';

export interface LintFile {
  path: string;
  kind: LintFileKind;
}

/** Directories never worth walking: dependencies and VCS metadata. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn', 'vendor', '.terraform']);
const MAX_FILES = 100_000;

const DOCKERFILE_RE = /^(?:(?:dockerfile|containerfile)(?:[.-][\w.-]+)?|[\w.-]+\.(?:dockerfile|containerfile))$/i;
const COMPOSE_RE = /^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$/i;
const MAKEFILE_RE = /^(?:makefile|gnumakefile|[\w.-]+\.mk)$/i;
const SHELL_RE = /\.(?:sh|bash|ksh|zsh)$/i;
const YAML_JSON_RE = /\.(?:ya?ml|json)$/i;
const SHEBANG_RE = /^#!\s*\S*(?:\/|\s)(?:env\s+)?(?:ba|da|k|z)?sh\b/;

/** What a file is, from its name and location; `undefined` for files lint does not read. */
export function classifyFile(path: string, readHead: () => string = () => ''): LintFileKind | undefined {
  const name = basename(path);
  if (DOCKERFILE_RE.test(name)) return 'dockerfile';
  if (COMPOSE_RE.test(name)) return 'compose';
  if (/^\.gitlab-ci\.ya?ml$/i.test(name)) return 'gitlab-ci';
  const norm = path.split(sep).join('/');
  if (/(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i.test(norm) || /(?:^|\/)action\.ya?ml$/i.test(norm)) {
    return 'github-actions';
  }
  if (MAKEFILE_RE.test(name)) return 'makefile';
  if (SHELL_RE.test(name)) return 'shell';
  if (YAML_JSON_RE.test(name)) return 'manifest';
  if (!name.includes('.')) {
    const head = readHead();
    if (SHEBANG_RE.test(head)) return 'shell';
  }
  return undefined;
}

function readHead(path: string): string {
  try {
    return readFileSync(path, { encoding: 'utf8', flag: 'r' }).slice(0, 128);
  } catch {
    return '';
  }
}

/**
 * Lists the files under the given paths that lint reads, sorted.
 *
 * This walk does not reuse `listManifestFiles` (src/inputs/load.ts) because that one keeps only .yaml/.yml/.json
 * (lint also needs Dockerfile, Containerfile, Makefile and extension-less shell scripts), does not skip .git,
 * node_modules or vendor, and takes any explicitly named file as a manifest. Once the loader accepts a file
 * predicate and skipped directories, this function can become a classifier over its list. A file named explicitly is taken even when its
 * name says nothing (treated as a manifest if it is YAML/JSON, else reported).
 */
export function discoverLintFiles(paths: string[]): { files: LintFile[]; problems: InputProblem[] } {
  const files: LintFile[] = [];
  const problems: InputProblem[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      problems.push({ level: 'error', file: dir, message: `cannot read directory: ${(err as Error).message}` });
      return;
    }
    for (const name of entries) {
      if (files.length >= MAX_FILES) {
        problems.push({ level: 'error', file: dir, message: `more than ${MAX_FILES} files; the rest were not read` });
        return;
      }
      const full = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(full);
      } catch (err) {
        problems.push({ level: 'error', file: full, message: `cannot read: ${(err as Error).message}` });
        continue;
      }
      if (st.isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) walk(full);
      } else if (st.isFile()) {
        const kind = classifyFile(full, () => readHead(full));
        if (kind) files.push({ path: full, kind });
      }
    }
  };
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (err) {
      problems.push({
        level: 'error',
        file: p,
        message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      });
      continue;
    }
    if (st.isDirectory()) walk(p);
    else {
      const kind = classifyFile(p, () => readHead(p));
      if (kind) files.push({ path: p, kind });
      else
        problems.push({
          level: 'error',
          file: p,
          message: 'not a Dockerfile, compose file, script, Makefile, CI file or manifest',
        });
    }
  }
  return { files, problems };
}
