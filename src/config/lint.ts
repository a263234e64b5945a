import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import picomatch from 'picomatch';
import {
  type Finding,
  type ImageInventory,
  type InputProblem,
  problemFromError,
  type ScanResult,
} from '../core/index.js';
import { type InventoryOptions, inventoryImage } from '../image/index.js';
import { allContainers, expandWorkloads, loadSnapshot, type Snapshot } from '../inputs/index.js';
import { discoverLintFiles, type LintFile } from './discover.js';
import { lineOf, parseDockerfile, propertiesOf } from './dockerfile/model.js';
import { DOCKERFILE_RULES } from './dockerfile/rules.js';
import { checkObjects } from './objects.js';
import { type PrivilegedHit, scanCiFile, scanComposeFile, scanMakefile, scanShellText } from './privileged.js';
import { scanPodSecurity, workloadRef } from './pss/snapshot.js';
import type { PssLevel, PssVersion } from './pss/version.js';
import { findingOf } from './rule.js';
import { emptySettings, type LintSettings } from './settings.js';
import { applyDirectives, type LineSpan, readDirectives } from './suppress.js';
import { checkUserConsistency, type ImageUserFacts, imageRepository } from './user.js';
import { visitWorkloadHits } from './workload.js';

export interface LintOptions {
  settings?: LintSettings;
  /** Evaluate Pod Security at this level for every workload, instead of namespace labels. */
  pssLevel?: PssLevel;
  pssVersion?: PssVersion;
  /** The cluster's minor: what `latest` in namespace labels means. */
  clusterVersion?: PssVersion;
  /** Image inventories (from the images engine) whose config.user feeds the USER consistency checks. */
  images?: ImageInventory[];
  /** Images the images engine could not read, with the reason (their USER consistency is `unknown`). */
  unreadableImages?: ReadonlyMap<string, string>;
}

export interface ImageReadOptions {
  /** Image (reference or repository) → source, on top of `.rampart.yaml` imageSources. */
  imageSources?: Record<string, string>;
  /** Read every container image without a source from its registry, by its reference. */
  readImages?: boolean;
  /** Passed to the images engine (cache directory, platform, registry options, limits). */
  inventory?: InventoryOptions;
}

interface FileText {
  path: string;
  text: string;
}

function readText(path: string, problems: InputProblem[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    problems.push({
      level: 'error',
      file: path,
      message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
    return undefined;
  }
}

function privilegedFindings(file: string, hits: PrivilegedHit[]): Finding[] {
  return hits.map((h) =>
    findingOf(h.rule, {
      resource: { type: 'file', path: file, line: h.line },
      message: h.message,
      discriminator: h.discriminator,
    }),
  );
}

/** Dockerfile findings, with the final USER kept for the consistency checks. */
function lintDockerfile(
  f: FileText,
  findings: Finding[],
  problems: InputProblem[],
): { finalUser?: string; imageLabel?: string } {
  let model: ReturnType<typeof parseDockerfile>;
  try {
    model = parseDockerfile(f.path, f.text);
  } catch (err) {
    problems.push(problemFromError(err, { file: f.path }));
    return {};
  }
  if (model.stages.length === 0) {
    problems.push({ level: 'error', file: f.path, line: 1, message: 'no FROM instruction: not a Dockerfile' });
    return {};
  }
  for (const rule of DOCKERFILE_RULES) {
    let hits: ReturnType<typeof rule.check>;
    try {
      hits = rule.check(model);
    } catch (err) {
      problems.push(problemFromError(err, { file: f.path, field: rule.meta.id }));
      continue;
    }
    for (const h of hits) {
      findings.push(
        findingOf(rule.meta, {
          resource: { type: 'file', path: f.path, line: h.line },
          message: h.message,
          discriminator: h.discriminator ?? String(h.line),
          severity: h.severity,
          status: h.status,
          reason: h.reason,
          evidence: h.evidence,
        }),
      );
    }
  }
  const final = model.stages[model.stages.length - 1];
  const users = final?.instructions.filter((i) => i.getKeyword().toUpperCase() === 'USER') ?? [];
  const last = users[users.length - 1];
  const label = model.instructions
    .filter((i) => i.getKeyword().toUpperCase() === 'LABEL')
    .flatMap(propertiesOf)
    .find(([k, v]) => k === 'org.opencontainers.image.ref.name' && v?.includes('/'))?.[1];
  return {
    finalUser: last ? `${(last.getArgumentsContent() ?? '').trim()}@${lineOf(last)}` : undefined,
    imageLabel: label ?? undefined,
  };
}

/** Kubernetes findings: workload controls, default ServiceAccounts, Pod Security. */
function lintManifests(snapshot: Snapshot, options: LintOptions, settings: LintSettings): Finding[] {
  const findings: Finding[] = [];
  const workloads = expandWorkloads(snapshot);
  const ctx = {
    snapshot,
    options: { allowedRegistries: settings.allowedRegistries, hostPathAllowList: settings.hostPathAllowList },
  };
  for (const w of workloads) {
    const resource = workloadRef(w);
    visitWorkloadHits(w, ctx, (rule, h) => {
      findings.push(
        findingOf(rule, {
          resource,
          message: h.message,
          discriminator: h.discriminator,
          severity: h.severity,
          evidence: { field: h.field },
        }),
      );
    });
  }
  for (const h of checkObjects(snapshot)) {
    findings.push(findingOf(h.rule, { resource: h.resource, message: h.message, discriminator: h.discriminator }));
  }
  findings.push(
    ...scanPodSecurity(snapshot, {
      level: options.pssLevel,
      version: options.pssVersion,
      clusterVersion: options.clusterVersion,
    }).filter((f) => f.status !== 'pass'),
  );
  return findings;
}

/** Image user facts per container image: image inventories first, then settings, then mapped Dockerfiles. */
function userFacts(
  options: LintOptions,
  settings: LintSettings,
  dockerfiles: Map<string, { finalUser?: string; imageLabel?: string }>,
): (image: string) => ImageUserFacts | undefined {
  const byRepo = new Map<string, ImageUserFacts>();
  const byRef = new Map<string, ImageUserFacts>();
  const facts = (key: string, map: Map<string, ImageUserFacts>): ImageUserFacts => {
    let f = map.get(key);
    if (!f) map.set(key, (f = {}));
    return f;
  };
  for (const inv of options.images ?? []) {
    const src = { user: inv.config?.user ?? '', from: `image config of ${inv.reference}` };
    facts(inv.reference, byRef).imageConfig = src;
    if (inv.digest) facts(`${imageRepository(inv.reference)}@${inv.digest}`, byRef).imageConfig = src;
  }
  for (const [img, user] of Object.entries(settings.imageUsers)) {
    const f = facts(img, img.includes(':') || img.includes('@') ? byRef : byRepo);
    f.imageConfig ??= { user, from: `.rampart.yaml imageUsers ${img}` };
  }
  const addDockerfile = (path: string, image: string): void => {
    const d = dockerfiles.get(path);
    if (!d) return;
    const [user, line] = d.finalUser
      ? [d.finalUser.slice(0, d.finalUser.lastIndexOf('@')), d.finalUser.slice(d.finalUser.lastIndexOf('@') + 1)]
      : ['', ''];
    facts(imageRepository(image), byRepo).dockerfile = {
      user,
      from: d.finalUser ? `Dockerfile ${path}:${line}` : `Dockerfile ${path} (no USER)`,
    };
  };
  for (const m of settings.dockerfiles) addDockerfile(m.path, m.image);
  for (const [path, d] of dockerfiles) if (d.imageLabel) addDockerfile(path, d.imageLabel);
  if (byRef.size === 0 && byRepo.size === 0) return () => undefined;
  return (image) => {
    const exact = byRef.get(image);
    const repo = byRepo.get(imageRepository(image));
    if (!exact && !repo) return undefined;
    return { imageConfig: exact?.imageConfig ?? repo?.imageConfig, dockerfile: exact?.dockerfile ?? repo?.dockerfile };
  };
}

function isDisabled(ruleId: string, settings: LintSettings): boolean {
  return settings.disable.some((p) => p === ruleId || picomatch.isMatch(ruleId, p));
}

/**
 * What a suppression directive can point at: a file finding's line, or any line of the Kubernetes object (from its
 * first line to the line before the next object in the same file).
 */
function spanFinder(objectStarts: Map<string, number[]>): (f: Finding) => LineSpan | undefined {
  return (f) => {
    if (f.resource.type === 'file')
      return f.resource.line === undefined ? undefined : { start: f.resource.line, end: f.resource.line };
    if (f.resource.type !== 'kubernetes' || f.resource.line === undefined) return undefined;
    const start = f.resource.line;
    const next = (objectStarts.get(f.resource.file ?? '') ?? []).find((l) => l > start);
    return { start, end: next === undefined ? Number.MAX_SAFE_INTEGER : next - 1 };
  };
}

/**
 * `rampart lint`: finds Dockerfiles, compose files, scripts, Makefiles, CI files and Kubernetes manifests under
 * the paths and checks them all. Unreadable input is reported with file:line and the rest is still checked.
 */
export function lint(paths: string[], options: LintOptions = {}): ScanResult {
  const settings = options.settings ?? emptySettings();
  const { files, problems } = discoverLintFiles(paths);
  const findings: Finding[] = [];
  const texts = new Map<string, string>();
  const dockerfiles = new Map<string, { finalUser?: string; imageLabel?: string }>();
  const manifests: string[] = [];
  const objectStarts = new Map<string, number[]>();
  const read = (f: LintFile): FileText | undefined => {
    const text = readText(f.path, problems);
    if (text === undefined) return undefined;
    texts.set(f.path, text);
    return { path: f.path, text };
  };
  for (const f of files) {
    if (f.kind === 'manifest') {
      manifests.push(f.path);
      continue;
    }
    const ft = read(f);
    if (!ft) continue;
    switch (f.kind) {
      case 'dockerfile':
        dockerfiles.set(resolve(f.path), lintDockerfile(ft, findings, problems));
        break;
      case 'shell':
        findings.push(...privilegedFindings(f.path, scanShellText(ft.text, 1)));
        break;
      case 'makefile':
        findings.push(...privilegedFindings(f.path, scanMakefile(ft.text)));
        break;
      case 'github-actions':
      case 'gitlab-ci': {
        const r = scanCiFile(f.path, ft.text, f.kind);
        findings.push(...privilegedFindings(f.path, r.hits));
        problems.push(...r.problems);
        break;
      }
      case 'compose': {
        const r = scanComposeFile(f.path, ft.text);
        findings.push(...privilegedFindings(f.path, r.hits));
        problems.push(...r.problems);
        break;
      }
    }
  }
  if (manifests.length > 0) {
    const { snapshot, kubeFiles } = loadManifests(manifests, problems);
    for (const o of snapshot.objects) {
      if (o.synthesized || o.source.line === undefined) continue;
      const starts = objectStarts.get(o.source.file) ?? [];
      starts.push(o.source.line);
      objectStarts.set(o.source.file, starts);
    }
    for (const starts of objectStarts.values()) starts.sort((a, b) => a - b);
    for (const file of kubeFiles) if (!texts.has(file)) texts.set(file, readText(file, problems) ?? '');
    findings.push(...lintManifests(snapshot, options, settings));
    const facts = userFacts(options, settings, dockerfiles);
    for (const h of checkUserConsistency(expandWorkloads(snapshot), facts, workloadRef, options.unreadableImages)) {
      findings.push(
        findingOf(h.rule, {
          resource: h.resource,
          message: h.message,
          discriminator: h.discriminator,
          evidence: h.evidence,
          status: h.status,
          reason: h.reason,
        }),
      );
    }
  }
  // Inline suppressions, then settings: disabled rules go, severities change.
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    const file =
      f.resource.type === 'file' ? f.resource.path : f.resource.type === 'kubernetes' ? f.resource.file : undefined;
    const key = file ?? '';
    let list = byFile.get(key);
    if (!list) byFile.set(key, (list = []));
    list.push(f);
  }
  const out: Finding[] = [];
  for (const [file, list] of byFile) {
    const text = file ? texts.get(file) : undefined;
    if (!text) {
      out.push(...list);
      continue;
    }
    const { directives, problems: dp } = readDirectives(file, text);
    problems.push(...dp);
    out.push(...applyDirectives(list, directives, spanFinder(objectStarts)));
  }
  const final = out
    .filter((f) => !isDisabled(f.ruleId, settings))
    .map((f) =>
      settings.severity[f.ruleId] ? { ...f, severity: settings.severity[f.ruleId] as Finding['severity'] } : f,
    );
  return { command: 'lint', targets: paths, findings: final, errors: problems };
}

/**
 * Loads manifest files into a snapshot. Documents without apiVersion/kind in a scanned tree are usually not
 * Kubernetes (app config, compose-like YAML): syntax errors are kept, "not a Kubernetes object" is dropped for files
 * that hold no Kubernetes object at all.
 */
function loadManifests(files: string[], problems: InputProblem[]): { snapshot: Snapshot; kubeFiles: Set<string> } {
  const snapshot = loadSnapshot(files);
  const kubeFiles = new Set(snapshot.objects.filter((o) => !o.synthesized).map((o) => o.source.file));
  for (const p of snapshot.problems) {
    if (p.file && !kubeFiles.has(p.file) && /kind|apiVersion|not a Kubernetes|not an object/i.test(p.message)) continue;
    problems.push(p);
  }
  return { snapshot, kubeFiles };
}

/** Where to read each container image from: an exact reference entry, then a repository entry, then the registry. */
function imageSourceFor(image: string, sources: Record<string, string>, readImages: boolean): string | undefined {
  return sources[image] ?? sources[imageRepository(image)] ?? (readImages ? image : undefined);
}

/**
 * `rampart lint` with image contents: the container images named in the manifests are read through the images
 * engine (its sources and layer cache), and their config User feeds the USER consistency checks. An image that
 * cannot be read makes its containers `unknown` with the reason; the rest of the lint is unchanged.
 */
export async function lintWithImages(
  paths: string[],
  options: LintOptions = {},
  read: ImageReadOptions = {},
): Promise<ScanResult> {
  const settings = options.settings ?? emptySettings();
  const sources = { ...settings.imageSources, ...read.imageSources };
  const readImages = read.readImages === true;
  if (Object.keys(sources).length === 0 && !readImages) return lint(paths, options);
  const problems: InputProblem[] = [];
  const manifests = discoverLintFiles(paths)
    .files.filter((f) => f.kind === 'manifest')
    .map((f) => f.path);
  const wanted = new Map<string, string>();
  if (manifests.length > 0) {
    for (const w of expandWorkloads(loadManifests(manifests, problems).snapshot)) {
      for (const { container, list } of allContainers(w.spec)) {
        if (list === 'ephemeralContainers' || typeof container.image !== 'string') continue;
        const source = imageSourceFor(container.image, sources, readImages);
        if (source !== undefined) wanted.set(container.image, source);
      }
    }
  }
  const images: ImageInventory[] = [...(options.images ?? [])];
  const unreadable = new Map(options.unreadableImages ?? []);
  const bySource = new Map<string, Promise<ImageInventory>>();
  for (const [image, source] of wanted) {
    let pending = bySource.get(source);
    if (!pending) bySource.set(source, (pending = inventoryImage(source, read.inventory)));
    try {
      images.push({ ...(await pending), reference: image });
    } catch (err) {
      unreadable.set(image, `cannot read image from ${source}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return lint(paths, { ...options, images, unreadableImages: unreadable });
}

/** `rampart pss check`: Pod Security only, at a fixed level or by namespace labels. */
export function checkPodSecurity(paths: string[], options: Omit<LintOptions, 'settings' | 'images'> = {}): ScanResult {
  const { files, problems } = discoverLintFiles(paths);
  const manifests = files.filter((f) => f.kind === 'manifest').map((f) => f.path);
  const { snapshot } = loadManifests(manifests, problems);
  const findings = scanPodSecurity(snapshot, {
    level: options.pssLevel,
    version: options.pssVersion,
    clusterVersion: options.clusterVersion,
  });
  return { command: 'pss check', targets: paths, findings, errors: problems };
}
