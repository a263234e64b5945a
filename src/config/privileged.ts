/**
 * "Never run a container --privileged", wherever it hides: docker/podman/nerdctl command lines in scripts,
 * Makefiles and CI files, CI container options, and compose services.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { InputProblem } from '../core/index.js';
import { type RuleMeta, ruleFamily } from './rule.js';
import { commandName, parseShell, type SimpleCommand } from './shell.js';

export interface PrivilegedHit {
  rule: RuleMeta;
  line: number;
  message: string;
  discriminator: string;
}

const meta = ruleFamily('privileged', 'privileged');

export const PRIVILEGED_RULES = {
  privileged: meta(
    'privileged-flag',
    'Container runs privileged',
    'CRITICAL',
    ['POD-01', 'seed: never --privileged', 'CIS-EKS-4.2.1'],
    'Remove --privileged / privileged: true; grant the single capability or device the workload needs.',
  ),
  capability: meta(
    'dangerous-capability',
    'Container gets a dangerous capability',
    'HIGH',
    ['POD-05'],
    'Do not add ALL, SYS_ADMIN and similar capabilities; drop ALL and add only what is needed (e.g. NET_BIND_SERVICE).',
  ),
  hostNamespace: meta(
    'host-namespace',
    'Container shares a host namespace',
    'HIGH',
    ['POD-06', 'CIS-EKS-4.2.2'],
    'Drop --pid/--network/--ipc/--userns/--uts=host (compose: pid/network_mode/ipc/userns_mode: host).',
  ),
  socket: meta(
    'runtime-socket-mount',
    'Container runtime socket mounted',
    'CRITICAL',
    ['POD-09'],
    'Never mount docker/containerd/crio sockets: it is root on the host. Use a rootless builder (BuildKit rootless, kaniko).',
  ),
  hostRoot: meta(
    'host-root-mount',
    "Host's root filesystem mounted",
    'CRITICAL',
    ['POD-08'],
    'Mount only the specific path needed, read-only.',
  ),
  device: meta(
    'host-device',
    'Host device passed into the container',
    'MEDIUM',
    ['POD-01'],
    'Avoid --device unless the workload needs the hardware; prefer a device plugin.',
  ),
  securityOpt: meta(
    'security-opt-unconfined',
    'Seccomp, AppArmor or SELinux confinement switched off',
    'HIGH',
    ['POD-10', 'POD-11'],
    'Keep the default seccomp/AppArmor profiles; write a custom profile if one syscall is missing.',
  ),
} as const satisfies Record<string, RuleMeta>;

export const DANGEROUS_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'NET_ADMIN',
  'NET_RAW',
  'DAC_READ_SEARCH',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'SYSLOG',
]);

const SOCKET_RE =
  /(?:^|\/)(?:docker|containerd|crio|podman|cri-dockerd|dockershim)\.sock$|^\/var\/run\/docker$|^\/run\/containerd\/?$/;

export function isRuntimeSocket(path: string): boolean {
  return SOCKET_RE.test(path.replace(/\/+$/, '') || '/');
}

const CLIS = new Set(['docker', 'podman', 'nerdctl']);
const CLI_VAR_RE = /^\$[({]?(?:docker|podman|nerdctl)(?:_?cmd|_?bin)?[)}]?$/i;

/** Options of `run`/`create` that take no value (everything else long takes one, unless `--x=y`). */
const BOOLEAN_OPTIONS = new Set([
  '--privileged',
  '--rm',
  '--detach',
  '--interactive',
  '--tty',
  '--init',
  '--read-only',
  '--publish-all',
  '--no-healthcheck',
  '--quiet',
  '--oom-kill-disable',
  '--disable-content-trust',
  '--sig-proxy',
  '--help',
  '--replace',
]);

function normalizeCapability(c: string): string {
  return c.toUpperCase().replace(/^CAP_/, '');
}

/** Flags of a container `run`/`create` command line, as (name, value) pairs; short boolean clusters expanded. */
function runFlags(argv: string[], start: number): Array<{ name: string; value?: string }> {
  const flags: Array<{ name: string; value?: string }> = [];
  for (let i = start; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') break; // the image: options end here
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.push({ name: a.slice(0, eq), value: a.slice(eq + 1) });
      else if (BOOLEAN_OPTIONS.has(a)) flags.push({ name: a });
      else flags.push({ name: a, value: argv[++i] });
      continue;
    }
    // short options: -v x, -p x, -e x, -u x, -w x take values; -d -i -t -P -q are booleans (and cluster)
    const letters = a.slice(1);
    const valueLetter = letters.search(/[vpeuwlmch]/);
    if (valueLetter === -1) {
      for (const l of letters) flags.push({ name: `-${l}` });
    } else {
      for (const l of letters.slice(0, valueLetter)) flags.push({ name: `-${l}` });
      const rest = letters.slice(valueLetter + 1);
      flags.push({ name: `-${letters[valueLetter]}`, value: rest.length > 0 ? rest.replace(/^=/, '') : argv[++i] });
    }
  }
  return flags;
}

/** Where `run`/`create` is in a docker-like command line (`docker run`, `docker container run`, `podman create`). */
function runIndex(cmd: SimpleCommand): number | undefined {
  const name = commandName(cmd);
  let i = 1;
  if (name === 'sudo') {
    return runIndex({ ...cmd, argv: cmd.argv.slice(1) }) !== undefined
      ? (runIndex({ ...cmd, argv: cmd.argv.slice(1) }) as number) + 1
      : undefined;
  }
  if (!CLIS.has(name) && !CLI_VAR_RE.test(cmd.argv[0] ?? '')) return undefined;
  // global options before the subcommand (`docker --context x run`)
  while (i < cmd.argv.length && (cmd.argv[i] as string).startsWith('-')) {
    const a = cmd.argv[i] as string;
    i += a.includes('=') || a === '--debug' || a === '-D' ? 1 : 2;
  }
  if (cmd.argv[i] === 'container') i++;
  const sub = cmd.argv[i];
  return sub === 'run' || sub === 'create' ? i : undefined;
}

/** Flags that weaken isolation in one run/create command line (or a CI `options:` string, with `start` 0). */
export function checkRunFlags(flags: Array<{ name: string; value?: string }>): Array<Omit<PrivilegedHit, 'line'>> {
  const hits: Array<Omit<PrivilegedHit, 'line'>> = [];
  for (const f of flags) {
    const v = f.value ?? '';
    switch (f.name) {
      case '--privileged':
        if (f.value === undefined || f.value === 'true')
          hits.push({
            rule: PRIVILEGED_RULES.privileged,
            message: '--privileged gives the container every capability and all host devices',
            discriminator: '--privileged',
          });
        break;
      case '--cap-add':
        for (const c of v.split(',').map(normalizeCapability)) {
          if (DANGEROUS_CAPABILITIES.has(c))
            hits.push({ rule: PRIVILEGED_RULES.capability, message: `--cap-add ${c}`, discriminator: `cap:${c}` });
        }
        break;
      case '--pid':
      case '--network':
      case '--net':
      case '--ipc':
      case '--userns':
      case '--uts':
      case '--cgroupns':
        if (v === 'host')
          hits.push({
            rule: PRIVILEGED_RULES.hostNamespace,
            message: `${f.name}=host shares the host's namespace`,
            discriminator: f.name,
          });
        break;
      case '-v':
      case '--volume':
      case '--mount': {
        const src =
          f.name === '--mount' ? (/(?:^|,)(?:source|src)=([^,]+)/.exec(v)?.[1] ?? '') : (v.split(':')[0] ?? '');
        if (isRuntimeSocket(src))
          hits.push({
            rule: PRIVILEGED_RULES.socket,
            message: `${f.name} ${v} mounts the container runtime socket`,
            discriminator: `mount:${src}`,
          });
        else if (src === '/')
          hits.push({
            rule: PRIVILEGED_RULES.hostRoot,
            message: `${f.name} ${v} mounts the host's root filesystem`,
            discriminator: 'mount:/',
          });
        break;
      }
      case '--device':
        hits.push({ rule: PRIVILEGED_RULES.device, message: `--device ${v}`, discriminator: `device:${v}` });
        break;
      case '--security-opt':
        if (/^(?:seccomp|apparmor)[=:]unconfined$|^label[=:]disable$|^systempaths=unconfined$/i.test(v)) {
          hits.push({
            rule: PRIVILEGED_RULES.securityOpt,
            message: `--security-opt ${v}`,
            discriminator: `secopt:${v}`,
          });
        }
        break;
    }
  }
  return hits;
}

/** docker/podman/nerdctl run|create lines in shell text; `baseLine` is the 1-based line the text starts on. */
export function scanShellText(text: string, baseLine: number): PrivilegedHit[] {
  const hits: PrivilegedHit[] = [];
  for (const cmd of parseShell(text)) {
    const at = runIndex(cmd);
    if (at === undefined) continue;
    const line = baseLine + cmd.lineOffset;
    for (const h of checkRunFlags(runFlags(cmd.argv, at + 1)))
      hits.push({ ...h, line, discriminator: `${line}:${h.discriminator}` });
  }
  return hits;
}

/** Make recipes: `$$` is a literal `$`, and recipe prefixes `@ - +` are not part of the command. */
export function scanMakefile(text: string): PrivilegedHit[] {
  const shellish = text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\t[@+-]*/, '\t').replace(/\$\$/g, '$'))
    .join('\n');
  return scanShellText(shellish, 1);
}

interface YamlSource {
  lineCounter: LineCounter;
  docs: Document.Parsed[];
}

function parseYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false }) as Document.Parsed[];
  return { lineCounter, docs: Array.isArray(docs) ? docs : [docs] };
}

function nodeLine(src: YamlSource, node: Node | null | undefined): number {
  const offset = node?.range?.[0] ?? 0;
  return src.lineCounter.linePos(offset).line;
}

/** Block scalars (`run: |`) start their text on the line after the indicator. */
function scalarTextLine(src: YamlSource, node: Node): number {
  const type = isScalar(node) ? node.type : undefined;
  return nodeLine(src, node) + (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED' ? 1 : 0);
}

export function yamlProblems(file: string, src: YamlSource): InputProblem[] {
  return src.docs.flatMap((d) =>
    d.errors.map((e) => ({
      level: 'error' as const,
      file,
      line: e.linePos?.[0]?.line,
      message: `YAML: ${e.message.split('\n')[0]}`,
    })),
  );
}

/** Visits every map pair in a YAML tree. */
function walkPairs(
  node: unknown,
  visit: (key: string, value: Node, path: string[]) => void,
  path: string[] = [],
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (pair.value) {
        visit(key, pair.value as Node, path);
        walkPairs(pair.value, visit, [...path, key]);
      }
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      walkPairs(item, visit, [...path, String(i)]);
    });
  }
}

function shellBlocks(src: YamlSource, keys: ReadonlySet<string>): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  for (const doc of src.docs) {
    walkPairs(doc.contents, (key, value) => {
      if (!keys.has(key)) return;
      if (isScalar(value) && typeof value.value === 'string')
        out.push({ text: value.value, line: scalarTextLine(src, value) });
      else if (isSeq(value)) {
        for (const item of value.items) {
          if (isScalar(item) && typeof item.value === 'string')
            out.push({ text: item.value, line: scalarTextLine(src, item as Node) });
        }
      }
    });
  }
  return out;
}

/** GitHub Actions and GitLab CI: shell in `run:` / `script:` blocks, docker flags in container `options:`. */
export function scanCiFile(
  file: string,
  text: string,
  kind: 'github-actions' | 'gitlab-ci',
): { hits: PrivilegedHit[]; problems: InputProblem[] } {
  const src = parseYaml(text);
  const problems = yamlProblems(file, src);
  const keys = kind === 'github-actions' ? new Set(['run']) : new Set(['script', 'before_script', 'after_script']);
  const hits: PrivilegedHit[] = [];
  for (const b of shellBlocks(src, keys)) hits.push(...scanShellText(b.text, b.line));
  if (kind === 'github-actions') {
    for (const b of shellBlocks(src, new Set(['options']))) {
      const argv = parseShell(b.text).flatMap((c) => c.argv);
      for (const h of checkRunFlags(runFlags(argv, 0)))
        hits.push({ ...h, line: b.line, discriminator: `${b.line}:${h.discriminator}` });
    }
  } else {
    // GitLab: services/image with `command: ["--privileged"]` is rare; dind services need privileged runners, which
    // are configured on the runner, not here. Report docker:dind services so the reader knows a privileged runner is needed.
    for (const doc of src.docs) {
      walkPairs(doc.contents, (key, value) => {
        if (key !== 'services' || !isSeq(value)) return;
        for (const item of value.items) {
          const name = isScalar(item)
            ? String(item.value)
            : isMap(item)
              ? String((item.get('name') as unknown) ?? '')
              : '';
          if (/(?:^|\/)docker:.*dind/.test(name)) {
            const line = nodeLine(src, item as Node);
            hits.push({
              rule: PRIVILEGED_RULES.privileged,
              line,
              message: `service ${name} (Docker-in-Docker) only runs on a privileged runner`,
              discriminator: `${line}:dind`,
            });
          }
        }
      });
    }
  }
  return { hits, problems };
}

/** Compose services: privileged, cap_add, pid/ipc/network_mode/userns_mode host, socket volumes, security_opt, devices. */
export function scanComposeFile(file: string, text: string): { hits: PrivilegedHit[]; problems: InputProblem[] } {
  const src = parseYaml(text);
  const problems = yamlProblems(file, src);
  const hits: PrivilegedHit[] = [];
  for (const doc of src.docs) {
    const services = isMap(doc.contents) ? doc.contents.get('services', true) : undefined;
    if (!isMap(services)) continue;
    for (const pair of services.items) {
      const svc = isScalar(pair.key) ? String(pair.key.value) : '?';
      if (!isMap(pair.value)) continue;
      for (const field of pair.value.items) {
        const key = isScalar(field.key) ? String(field.key.value) : '';
        const value = field.value as Node;
        const line = nodeLine(src, value ?? (field.key as Node));
        const add = (rule: RuleMeta, message: string, d: string): void => {
          hits.push({ rule, line, message: `service ${svc}: ${message}`, discriminator: `${svc}:${d}` });
        };
        const scalar = isScalar(value) ? String(value.value) : undefined;
        const items = isSeq(value)
          ? value.items.map((i) => (isScalar(i) ? String(i.value) : isMap(i) ? i.toJSON() : ''))
          : [];
        switch (key) {
          case 'privileged':
            if (scalar === 'true') add(PRIVILEGED_RULES.privileged, 'privileged: true', 'privileged');
            break;
          case 'cap_add':
            for (const c of items.map((x) => normalizeCapability(String(x)))) {
              if (DANGEROUS_CAPABILITIES.has(c)) add(PRIVILEGED_RULES.capability, `cap_add ${c}`, `cap:${c}`);
            }
            break;
          case 'pid':
          case 'ipc':
          case 'network_mode':
          case 'userns_mode':
          case 'uts':
          case 'cgroup':
            if (scalar === 'host') add(PRIVILEGED_RULES.hostNamespace, `${key}: host`, key);
            break;
          case 'volumes':
            for (const v of items) {
              const source =
                typeof v === 'string' ? (v.split(':')[0] ?? '') : String((v as Record<string, unknown>).source ?? '');
              if (isRuntimeSocket(source))
                add(PRIVILEGED_RULES.socket, `volume ${source} is the container runtime socket`, `vol:${source}`);
              else if (source === '/')
                add(PRIVILEGED_RULES.hostRoot, "volume / mounts the host's root filesystem", 'vol:/');
            }
            break;
          case 'security_opt':
            for (const o of items.map(String)) {
              if (/^(?:seccomp|apparmor)[=:]unconfined$|^label[=:]disable$/i.test(o))
                add(PRIVILEGED_RULES.securityOpt, `security_opt ${o}`, `secopt:${o}`);
            }
            break;
          case 'devices':
            for (const d of items.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))))
              add(PRIVILEGED_RULES.device, `device ${d}`, `dev:${d}`);
            break;
        }
      }
    }
  }
  return { hits, problems };
}
