import type { Instruction } from 'dockerfile-ast';
import type { FindingStatus, Severity } from '../../core/index.js';
import { type RuleMeta, ruleFamily } from '../rule.js';
import { detectSecret, redact } from '../secrets.js';
import { commandName, isPipeToShell, parseShell, type SimpleCommand } from '../shell.js';
import {
  argumentText,
  type DockerfileModel,
  type DockerStage,
  flagsOf,
  keywordOf,
  lineOf,
  propertiesOf,
  resolveVariables,
} from './model.js';

export interface DockerHit {
  line: number;
  message: string;
  discriminator?: string;
  severity?: Severity;
  status?: FindingStatus;
  reason?: string;
  evidence?: Record<string, unknown>;
}

export interface DockerfileRule {
  meta: RuleMeta;
  check(model: DockerfileModel): DockerHit[];
}

const meta = ruleFamily('dockerfile', 'dockerfile');

function finalStage(m: DockerfileModel): DockerStage | undefined {
  return m.stages[m.stages.length - 1];
}

function ofKeyword(ins: readonly Instruction[], keyword: string): Instruction[] {
  return ins.filter((i) => keywordOf(i) === keyword);
}

/** Simple commands of every RUN (shell form and exec form) with their 1-based line. */
function runCommands(m: DockerfileModel): Array<{ ins: Instruction; commands: SimpleCommand[] }> {
  return ofKeyword(m.instructions, 'RUN').map((ins) => {
    const text = argumentText(ins).trim();
    let shellText = text;
    if (text.startsWith('[')) {
      try {
        const argv = JSON.parse(text) as unknown;
        if (Array.isArray(argv)) {
          const strs = argv.map(String);
          shellText =
            (strs[0] === '/bin/sh' || strs[0] === 'sh' || strs[0] === 'bash') && strs[1] === '-c'
              ? (strs[2] ?? '')
              : strs.join(' ');
        }
      } catch {
        // not JSON after all: shell form starting with [
      }
    }
    return { ins, commands: parseShell(shellText) };
  });
}

function hasArg(cmd: SimpleCommand, ...options: string[]): boolean {
  return cmd.argv.some((a) => options.includes(a) || options.some((o) => o.startsWith('--') && a.startsWith(`${o}=`)));
}

/** `apt-get`/`apt` subcommand (first non-option argument). */
function subcommand(cmd: SimpleCommand): string | undefined {
  return cmd.argv.slice(1).find((a) => !a.startsWith('-'));
}

const ROOT_USERS = new Set(['root', '0']);

function userOf(value: string): string {
  return value.split(':')[0] ?? value;
}

/** The final stage's effective USER: the last USER instruction, resolved. */
function finalUser(m: DockerfileModel): { ins?: Instruction; user?: string; unresolved?: string } | undefined {
  const stage = finalStage(m);
  if (!stage) return undefined;
  const users = ofKeyword(stage.instructions, 'USER');
  const last = users[users.length - 1];
  if (!last) return {};
  const raw = argumentText(last).trim();
  const resolved = resolveVariables(m, stage, last, raw);
  if (resolved === undefined) return { ins: last, unresolved: raw };
  return { ins: last, user: userOf(resolved) };
}

const userRoot: DockerfileRule = {
  meta: meta(
    'user-root',
    'Final stage runs as root',
    'HIGH',
    ['IMG-01', 'BPG-IMG add-USER', 'Trivy DS002'],
    'Add `USER 10001` (a non-root numeric UID) at the end of the final stage and never switch back to root.',
  ),
  check(m) {
    const stage = finalStage(m);
    const u = finalUser(m);
    if (!stage || !u) return [];
    if (!u.ins) {
      return [
        {
          line: lineOf(stage.from),
          message: `the final stage (FROM ${stage.image}) sets no USER, so the container runs as the base image's user (root unless the base says otherwise)`,
          evidence: { base: stage.image },
        },
      ];
    }
    if (u.unresolved !== undefined) {
      return [
        {
          line: lineOf(u.ins),
          message: `USER ${u.unresolved}: the variable has no default, so the user is decided at build time`,
          status: 'unknown',
          reason: 'USER uses a build variable without a default value',
        },
      ];
    }
    if (u.user !== undefined && ROOT_USERS.has(u.user)) {
      return [{ line: lineOf(u.ins), message: `the final USER is ${u.user}: the container runs as root` }];
    }
    return [];
  },
};

const userNumeric: DockerfileRule = {
  meta: meta(
    'user-not-numeric',
    'Final USER is a name, not a numeric UID',
    'LOW',
    ['IMG-02'],
    'Use a numeric UID (e.g. `USER 10001:10001`): the kubelet can only verify runAsNonRoot against a number.',
  ),
  check(m) {
    const u = finalUser(m);
    if (!u?.ins || u.user === undefined || ROOT_USERS.has(u.user) || /^\d+$/.test(u.user)) return [];
    return [
      {
        line: lineOf(u.ins),
        message: `USER ${u.user} is a name; with runAsNonRoot the kubelet cannot verify it and refuses to start the container`,
      },
    ];
  },
};

const runInsecure: DockerfileRule = {
  meta: meta(
    'run-security-insecure',
    'RUN --security=insecure',
    'HIGH',
    ['IMG-01', 'seed: never --privileged'],
    'Remove `--security=insecure`: it runs the build step with all privileges (like docker run --privileged).',
  ),
  check(m) {
    return ofKeyword(m.instructions, 'RUN')
      .filter((ins) => flagsOf(ins).some((f) => f.name === 'security' && f.value === 'insecure'))
      .map((ins) => ({ line: lineOf(ins), message: 'RUN --security=insecure runs this build step privileged' }));
  },
};

function stageNames(m: DockerfileModel, before: number): Set<string> {
  return new Set(m.stages.slice(0, before).flatMap((s) => (s.name ? [s.name] : [])));
}

/** Splits an image reference into tag and digest (a port in the registry is not a tag). */
export function imageTagDigest(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  return { tag, digest };
}

const fromLatest: DockerfileRule = {
  meta: meta(
    'from-unpinned',
    'FROM uses latest or no tag',
    'MEDIUM',
    ['IMG-03', 'Trivy DS001'],
    'Pin the base image to a version tag, better to a digest (`image:1.2.3@sha256:…`).',
  ),
  check(m) {
    const hits: DockerHit[] = [];
    for (const s of m.stages) {
      const img = s.image;
      if (img.toLowerCase() === 'scratch' || stageNames(m, s.index).has(img.toLowerCase())) continue;
      if (img.includes('$')) {
        hits.push({
          line: lineOf(s.from),
          message: `FROM ${img}: the image comes from a build argument without a default`,
          status: 'unknown',
          reason: 'base image is a build argument without a default value',
        });
        continue;
      }
      const { tag, digest } = imageTagDigest(img);
      if (digest) continue;
      if (!tag) hits.push({ line: lineOf(s.from), message: `FROM ${img} has no tag (means :latest)` });
      else if (tag === 'latest')
        hits.push({ line: lineOf(s.from), message: `FROM ${img} uses the moving :latest tag` });
    }
    return hits;
  },
};

const fromDigest: DockerfileRule = {
  meta: meta(
    'from-no-digest',
    'FROM not pinned by digest',
    'LOW',
    ['IMG-03'],
    'Append the digest: `FROM image:tag@sha256:…`.',
  ),
  check(m) {
    const hits: DockerHit[] = [];
    for (const s of m.stages) {
      const img = s.image;
      if (img.toLowerCase() === 'scratch' || stageNames(m, s.index).has(img.toLowerCase()) || img.includes('$'))
        continue;
      const { tag, digest } = imageTagDigest(img);
      if (!digest && tag && tag !== 'latest') {
        hits.push({ line: lineOf(s.from), message: `FROM ${img} is pinned by tag only; a tag can be moved` });
      }
    }
    return hits;
  },
};

const ARCHIVE_RE = /\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$/i;
const URL_RE = /^(?:https?|ftp):\/\//i;
const GIT_RE = /^(?:git@|https?:\/\/.*\.git(?:#.*)?$)/i;

/** Source arguments of ADD/COPY: everything but the destination, flags already removed. */
function sources(ins: Instruction): string[] {
  const text = argumentText(ins).trim();
  let args: string[];
  if (text.startsWith('[')) {
    try {
      args = (JSON.parse(text) as unknown[]).map(String);
    } catch {
      args = ins.getArguments().map((a) => a.getValue());
    }
  } else args = ins.getArguments().map((a) => a.getValue());
  return args.slice(0, -1);
}

const addInsteadOfCopy: DockerfileRule = {
  meta: meta(
    'add-instead-of-copy',
    'ADD used where COPY fits, or ADD of a URL without a checksum',
    'LOW',
    ['IMG-06', 'Trivy DS005'],
    'Use COPY for local files; download with a pinned checksum (`ADD --checksum=sha256:…` or curl + sha256sum).',
  ),
  check(m) {
    const hits: DockerHit[] = [];
    for (const ins of ofKeyword(m.instructions, 'ADD')) {
      const hasChecksum = flagsOf(ins).some((f) => f.name === 'checksum');
      for (const src of sources(ins)) {
        if (URL_RE.test(src) || GIT_RE.test(src)) {
          if (!hasChecksum) {
            hits.push({
              line: lineOf(ins),
              message: `ADD ${src} downloads at build time without an integrity check`,
              severity: 'MEDIUM',
              discriminator: src,
            });
          }
        } else if (!ARCHIVE_RE.test(src)) {
          hits.push({
            line: lineOf(ins),
            message: `ADD ${src}: use COPY for local files (ADD also extracts archives and fetches URLs)`,
            discriminator: src,
          });
        }
      }
    }
    return hits;
  },
};

const secretsInBuild: DockerfileRule = {
  meta: meta(
    'secret-in-build',
    'Secret in ENV, ARG or LABEL',
    'CRITICAL',
    ['IMG-07', 'Trivy DS031'],
    'Never bake secrets into images: use `RUN --mount=type=secret` at build time and a Secret or IRSA at run time.',
  ),
  check(m) {
    const hits: DockerHit[] = [];
    for (const ins of m.instructions) {
      const kw = keywordOf(ins);
      if (kw !== 'ENV' && kw !== 'ARG' && kw !== 'LABEL') continue;
      for (const [name, value] of propertiesOf(ins)) {
        const found = detectSecret(name, value);
        if (found) {
          hits.push({
            line: lineOf(ins),
            message: `${kw} ${name}=${redact(value ?? '')}: ${found.kind}; it stays in the image history`,
            discriminator: `${kw}:${name}`,
            evidence: { instruction: kw, name, detector: found.kind },
          });
        }
      }
    }
    return hits;
  },
};

const SECRET_ARG_NAME_RE = /(?:pass(?:word)?|secret|token|api[_-]?key|private[_-]?key|credentials?)$/i;

const secretBuildArg: DockerfileRule = {
  meta: meta(
    'secret-build-arg',
    'Credential passed as a build argument',
    'HIGH',
    ['IMG-07', 'Trivy DS031'],
    'Build arguments are recorded in the image history; use `RUN --mount=type=secret,id=…` instead.',
  ),
  check(m) {
    return m.instructions
      .filter((ins) => keywordOf(ins) === 'ARG')
      .flatMap((ins) =>
        propertiesOf(ins)
          .filter(([name, value]) => SECRET_ARG_NAME_RE.test(name) && (value === null || value === ''))
          .map(([name]) => ({
            line: lineOf(ins),
            message: `ARG ${name} looks like a credential; its value is visible in \`docker history\``,
            discriminator: name,
          })),
      );
  },
};

const CREDENTIAL_FILE_RE =
  /(?:^|\/)(?:\.aws(?:\/|$)|\.ssh(?:\/|$)|id_(?:rsa|dsa|ecdsa|ed25519)(?:$|[^.])|\.env(?:$|\.)|[^/]*\.pem$|[^/]*\.key$|\.npmrc$|\.pypirc$|\.netrc$|\.git-credentials$|\.docker\/config\.json$|kubeconfig$|\.kube(?:\/|$)|credentials(?:\.json)?$)/i;

const copiedCredentials: DockerfileRule = {
  meta: meta(
    'credential-file-copied',
    'Credential file copied into the image',
    'HIGH',
    ['IMG-07'],
    'Keep credential files out of the build context (.dockerignore) and mount secrets at build or run time.',
  ),
  check(m) {
    const hits: DockerHit[] = [];
    for (const ins of m.instructions) {
      const kw = keywordOf(ins);
      if (kw !== 'COPY' && kw !== 'ADD') continue;
      if (flagsOf(ins).some((f) => f.name === 'from')) continue;
      for (const src of sources(ins)) {
        if (CREDENTIAL_FILE_RE.test(src)) {
          hits.push({
            line: lineOf(ins),
            message: `${kw} ${src} puts a credential file into a layer`,
            discriminator: src,
          });
        }
      }
    }
    return hits;
  },
};

/** An index refresh (`apt-get update`) with no install after it in the same RUN: the refreshed index is wasted. */
function updateWithoutLaterInstall(
  commands: SimpleCommand[],
  tools: ReadonlySet<string>,
  update: string,
  install: string,
): boolean {
  let pending = false;
  for (const c of commands) {
    if (!tools.has(commandName(c))) continue;
    const sub = subcommand(c);
    if (sub === update) pending = true;
    else if (sub === install) pending = false;
  }
  return pending;
}

/** Package managers: what refreshes the index, what installs, and what cleans up. */
const aptLike = new Set(['apt-get', 'apt']);

const packageManagerHygiene: DockerfileRule = {
  meta: meta(
    'package-manager-hygiene',
    'Package manager use leaves stale indexes, prompts or caches',
    'LOW',
    [
      'IMG-08',
      'Trivy DS015',
      'Trivy DS017',
      'Trivy DS019',
      'Trivy DS020',
      'Trivy DS021',
      'Trivy DS024',
      'Trivy DS025',
      'Trivy DS027',
      'Trivy DS029',
    ],
    'Update and install in one RUN, with -y and --no-install-recommends, and remove caches in the same RUN (or use apk --no-cache).',
  ),
  check(m) {
    const hits: DockerHit[] = [];
    for (const { ins, commands } of runCommands(m)) {
      const line = lineOf(ins);
      const text = argumentText(ins);
      const add = (id: string, message: string): void => {
        hits.push({ line, message, discriminator: `${line}:${id}` });
      };
      const aptCmds = commands.filter((c) => aptLike.has(commandName(c)));
      const aptInstall = aptCmds.filter((c) => subcommand(c) === 'install');
      if (updateWithoutLaterInstall(commands, aptLike, 'update', 'install'))
        add(
          'apt-update-alone',
          'apt-get update without a later install in the same RUN: a later RUN may install from a stale index',
        );
      for (const c of aptInstall) {
        if (!hasArg(c, '-y', '--yes', '--assume-yes', '-qy', '-yq', '-qqy', '-yqq'))
          add('apt-y', `${commandName(c)} install without -y`);
        if (!hasArg(c, '--no-install-recommends'))
          add('apt-recommends', `${commandName(c)} install without --no-install-recommends`);
      }
      if (
        aptInstall.length > 0 &&
        !/\/var\/lib\/apt\/lists/.test(text) &&
        !flagsOf(ins).some((f) => f.name === 'mount' && /\/var\/(?:lib|cache)\/apt/.test(f.value ?? ''))
      ) {
        add('apt-cache', 'apt-get install without removing /var/lib/apt/lists in the same RUN');
      }
      if (aptCmds.some((c) => subcommand(c) === 'dist-upgrade'))
        add('apt-dist-upgrade', 'apt-get dist-upgrade upgrades across releases; pin a newer base image instead');
      for (const c of commands.filter((x) => commandName(x) === 'apk')) {
        const sub = subcommand(c);
        if (sub === 'add' && !hasArg(c, '--no-cache')) add('apk-no-cache', 'apk add without --no-cache');
      }
      if (updateWithoutLaterInstall(commands, new Set(['apk']), 'update', 'add'))
        add('apk-update-alone', 'apk update without a later apk add in the same RUN');
      for (const [tool, clean] of [
        ['yum', 'yum clean all'],
        ['dnf', 'dnf clean all'],
        ['microdnf', 'microdnf clean all'],
        ['zypper', 'zypper clean'],
      ] as const) {
        const installs = commands.filter(
          (c) => commandName(c) === tool && /^(?:install|in|update|up|upgrade)$/.test(subcommand(c) ?? ''),
        );
        if (installs.length === 0) continue;
        const cleaned = commands.some((c) => commandName(c) === tool && /^(?:clean|cc)$/.test(subcommand(c) ?? ''));
        if (!cleaned && !/\/var\/cache\/(?:yum|dnf|zypp)/.test(text))
          add(`${tool}-clean`, `${tool} install without \`${clean}\` in the same RUN`);
        if (tool === 'yum' || tool === 'zypper') {
          if (installs.some((c) => !hasArg(c, '-y', '--assumeyes', '-n', '--non-interactive')))
            add(`${tool}-y`, `${tool} without -y / non-interactive flag`);
        }
      }
    }
    return hits;
  },
};

const curlPipeShell: DockerfileRule = {
  meta: meta(
    'curl-pipe-shell',
    'Downloaded script piped into a shell',
    'HIGH',
    ['IMG-06'],
    'Download to a file, verify its checksum or signature, then run it.',
  ),
  check(m) {
    return runCommands(m).flatMap(({ ins, commands }) =>
      commands.filter(isPipeToShell).map((c) => ({
        line: lineOf(ins),
        message: `${c.pipedFrom ? commandName(c.pipedFrom) : 'download'} | ${commandName(c)} runs unverified code from the network`,
        discriminator: `${lineOf(ins)}`,
      })),
    );
  },
};

const sudo: DockerfileRule = {
  meta: meta(
    'sudo',
    'RUN uses sudo',
    'MEDIUM',
    ['IMG-10', 'Trivy DS010'],
    'Switch USER for the step instead of using sudo; do not install sudo.',
  ),
  check(m) {
    return runCommands(m).flatMap(({ ins, commands }) =>
      commands.some((c) => commandName(c) === 'sudo' || (subcommand(c) === 'install' && c.argv.includes('sudo')))
        ? [
            {
              line: lineOf(ins),
              message: 'sudo in a RUN: it is not needed at build time and stays in the image as an escalation path',
            },
          ]
        : [],
    );
  },
};

/** Modes that give everyone write access: 777/0777/1777/2777, o+w, a+w, a+rwx, a=rwx, ugo=rwx. */
/** Whether a chmod mode argument gives every user write access (octal others-write bit, or o/a +w / =w). */
export function isWorldWritableMode(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) return (Number(mode.slice(-1)) & 2) === 2;
  return mode.split(',').some((clause) => /^[ugo]*[ao][ugoa]*[+=][rwxXst]*w/.test(clause));
}

const chmod777: DockerfileRule = {
  meta: meta(
    'chmod-world-writable',
    'chmod makes files world-writable',
    'MEDIUM',
    ['IMG-10'],
    'Grant the least permissions needed (e.g. 755/644) and chown to the runtime user.',
  ),
  check(m) {
    return runCommands(m).flatMap(({ ins, commands }) =>
      commands
        .filter(
          (c) =>
            commandName(c) === 'chmod' && c.argv.slice(1).some((a) => !a.startsWith('-') && isWorldWritableMode(a)),
        )
        .map((c) => ({
          line: lineOf(ins),
          message: `${c.argv.join(' ')} makes files writable by every user`,
          discriminator: `${lineOf(ins)}`,
        })),
    );
  },
};

const workdirRelative: DockerfileRule = {
  meta: meta('workdir-relative', 'WORKDIR is not absolute', 'LOW', ['Trivy DS009'], 'Use an absolute WORKDIR path.'),
  check(m) {
    const hits: DockerHit[] = [];
    for (const s of m.stages) {
      for (const ins of ofKeyword(s.instructions, 'WORKDIR')) {
        const raw = argumentText(ins)
          .trim()
          .replace(/^["']|["']$/g, '');
        const resolved = resolveVariables(m, s, ins, raw) ?? raw;
        if (!resolved.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(resolved) && !resolved.startsWith('$')) {
          hits.push({
            line: lineOf(ins),
            message: `WORKDIR ${raw} is relative to the previous WORKDIR`,
            discriminator: `${lineOf(ins)}`,
          });
        }
      }
    }
    return hits;
  },
};

function exposedPorts(ins: Instruction): Array<{ text: string; port: number }> {
  return ins
    .getArguments()
    .map((a) => a.getValue())
    .flatMap((text) => {
      const m = /^(\d+)(?:-(\d+))?(?:\/\w+)?$/.exec(text);
      if (!m) return [];
      const lo = Number(m[1]);
      const hi = m[2] ? Number(m[2]) : lo;
      const out: Array<{ text: string; port: number }> = [{ text, port: lo }];
      if (hi !== lo) out.push({ text, port: hi });
      if (lo <= 22 && hi >= 22 && lo !== 22 && hi !== 22) out.push({ text, port: 22 });
      return out;
    });
}

const exposeSsh: DockerfileRule = {
  meta: meta(
    'expose-ssh',
    'Port 22 exposed',
    'MEDIUM',
    ['Trivy DS004'],
    'Do not run sshd in containers; use kubectl exec or SSM.',
  ),
  check(m) {
    return ofKeyword(m.instructions, 'EXPOSE').flatMap((ins) =>
      exposedPorts(ins).some((p) => p.port === 22)
        ? [{ line: lineOf(ins), message: 'EXPOSE 22: an SSH server in a container is a remote entry point' }]
        : [],
    );
  },
};

const exposeRange: DockerfileRule = {
  meta: meta('expose-invalid-port', 'EXPOSE port out of range', 'LOW', ['Trivy DS008'], 'Ports are 0–65535.'),
  check(m) {
    return ofKeyword(m.instructions, 'EXPOSE').flatMap((ins) =>
      exposedPorts(ins)
        .filter((p) => p.port > 65535)
        .map((p) => ({
          line: lineOf(ins),
          message: `EXPOSE ${p.text}: port ${p.port} is out of range`,
          discriminator: p.text,
        })),
    );
  },
};

const healthcheck: DockerfileRule = {
  meta: meta(
    'healthcheck-missing',
    'No HEALTHCHECK',
    'LOW',
    ['Trivy DS026'],
    'Add a HEALTHCHECK (Kubernetes ignores it; define probes there too).',
  ),
  check(m) {
    const stage = finalStage(m);
    if (!stage || ofKeyword(stage.instructions, 'HEALTHCHECK').length > 0) return [];
    return [{ line: lineOf(stage.from), message: 'the final stage defines no HEALTHCHECK' }];
  },
};

function duplicatesPerStage(keyword: string, id: string, title: string, trivy: string): DockerfileRule {
  return {
    meta: meta(id, title, 'LOW', [trivy], `Keep one ${keyword} per stage; only the last one takes effect.`),
    check(m) {
      return m.stages.flatMap((s) => {
        const found = ofKeyword(s.instructions, keyword);
        const first = found[0];
        if (!first) return [];
        return found.slice(1).map((ins) => ({
          line: lineOf(ins),
          message: `${keyword} at line ${lineOf(ins)} overrides the one at line ${lineOf(first)}`,
          discriminator: `${lineOf(ins)}`,
        }));
      });
    },
  };
}

const maintainer: DockerfileRule = {
  meta: meta(
    'maintainer-deprecated',
    'MAINTAINER is deprecated',
    'LOW',
    ['Trivy DS022'],
    'Use `LABEL org.opencontainers.image.authors=…`.',
  ),
  check(m) {
    return ofKeyword(m.instructions, 'MAINTAINER').map((ins) => ({
      line: lineOf(ins),
      message: 'MAINTAINER is deprecated',
    }));
  },
};

const runCd: DockerfileRule = {
  meta: meta('run-cd', 'RUN cd instead of WORKDIR', 'LOW', ['Trivy DS013'], 'Use WORKDIR to change directory.'),
  check(m) {
    return runCommands(m).flatMap(({ ins, commands }) =>
      commands[0] && commandName(commands[0]) === 'cd' && commands.length === 1
        ? [{ line: lineOf(ins), message: '`RUN cd` has no effect on later instructions; use WORKDIR' }]
        : [],
    );
  },
};

const curlAndWget: DockerfileRule = {
  meta: meta(
    'curl-and-wget',
    'Both curl and wget used',
    'LOW',
    ['Trivy DS014'],
    'Use one downloader to keep the image small.',
  ),
  check(m) {
    const all = runCommands(m);
    const wget = all.find(({ commands }) => commands.some((c) => commandName(c) === 'wget'));
    const curl = all.find(({ commands }) => commands.some((c) => commandName(c) === 'curl'));
    if (!wget || !curl) return [];
    return [
      {
        line: lineOf(wget.ins),
        message: `wget (line ${lineOf(wget.ins)}) and curl (line ${lineOf(curl.ins)}) both used`,
      },
    ];
  },
};

const copyFromSelf: DockerfileRule = {
  meta: meta(
    'copy-from-own-stage',
    'COPY --from refers to the stage it is in',
    'MEDIUM',
    ['Trivy DS006'],
    'COPY --from must name an earlier stage or an image.',
  ),
  check(m) {
    return m.stages.flatMap((s) =>
      ofKeyword(s.instructions, 'COPY')
        .filter(
          (ins) =>
            s.name !== undefined && flagsOf(ins).some((f) => f.name === 'from' && f.value?.toLowerCase() === s.name),
        )
        .map((ins) => ({ line: lineOf(ins), message: `COPY --from=${s.name} inside stage ${s.name}` })),
    );
  },
};

const duplicateAlias: DockerfileRule = {
  meta: meta(
    'duplicate-stage-name',
    'Two stages share a name',
    'MEDIUM',
    ['Trivy DS012'],
    'Give every stage a unique name.',
  ),
  check(m) {
    const seen = new Map<string, number>();
    const hits: DockerHit[] = [];
    for (const s of m.stages) {
      if (!s.name) continue;
      const first = seen.get(s.name);
      if (first !== undefined)
        hits.push({
          line: first,
          message: `stage name ${s.name} is defined again at line ${lineOf(s.from)}`,
          discriminator: `${lineOf(s.from)}`,
        });
      else seen.set(s.name, lineOf(s.from));
    }
    return hits;
  },
};

const copyMultiDest: DockerfileRule = {
  meta: meta(
    'copy-dest-not-dir',
    'COPY of several sources to a destination without a trailing slash',
    'LOW',
    ['Trivy DS011'],
    'End the destination with `/` when copying several files.',
  ),
  check(m) {
    return ofKeyword(m.instructions, 'COPY').flatMap((ins) => {
      const args = ins.getArguments().map((a) => a.getValue());
      if (argumentText(ins).trim().startsWith('[') || args.length <= 2) return [];
      const dest = args[args.length - 1] as string;
      return dest.endsWith('/')
        ? []
        : [{ line: lineOf(ins), message: `COPY with ${args.length - 1} sources to ${dest} (no trailing /)` }];
    });
  },
};

/** Every Dockerfile rule, in report order. */
export const DOCKERFILE_RULES: readonly DockerfileRule[] = [
  userRoot,
  userNumeric,
  runInsecure,
  fromLatest,
  fromDigest,
  addInsteadOfCopy,
  secretsInBuild,
  secretBuildArg,
  copiedCredentials,
  packageManagerHygiene,
  curlPipeShell,
  sudo,
  chmod777,
  workdirRelative,
  exposeSsh,
  exposeRange,
  healthcheck,
  duplicatesPerStage('CMD', 'multiple-cmd', 'Several CMD in one stage', 'Trivy DS016'),
  duplicatesPerStage('ENTRYPOINT', 'multiple-entrypoint', 'Several ENTRYPOINT in one stage', 'Trivy DS007'),
  duplicatesPerStage('HEALTHCHECK', 'multiple-healthcheck', 'Several HEALTHCHECK in one stage', 'Trivy DS023'),
  maintainer,
  runCd,
  curlAndWget,
  copyFromSelf,
  duplicateAlias,
  copyMultiDest,
];
