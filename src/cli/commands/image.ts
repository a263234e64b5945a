import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { describeImage, type InventoryFormat } from '../../image/index.js';
import { progress, writeText } from '../output.js';
import { TOOL_VERSION } from '../version.js';

interface ImageCliOptions {
  output: InventoryFormat;
  outputFile?: string;
  platform: string;
  insecureRegistry?: string[];
  dockerConfig?: string;
  username?: string;
  passwordStdin?: boolean;
  cacheDir?: string;
  cache: boolean;
}

const SOURCES = `
Sources:
  docker-archive:<file.tar>[:name:tag]   a \`docker save\` / skopeo archive
  oci:<dir>[:tag]                        an OCI image layout directory
  oci-archive:<file.tar>[:tag]           an OCI layout in a tar
  dir:<rootfs>                           an unpacked root filesystem
  [docker://]<registry>/<repo>[:tag|@digest]   a registry (OCI distribution API; ECR via the AWS SDK chain)`;

function addSourceOptions(cmd: Command, formats: InventoryFormat[], fallback: InventoryFormat): Command {
  return cmd
    .argument('<source>', 'image source (see below)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(formats).default(fallback))
    .option('--output-file <path>', 'write to this file (atomically) instead of stdout')
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-arch index', 'linux/amd64')
    .option('--insecure-registry <host:port...>', 'reach these loopback registries over plain HTTP')
    .option('--docker-config <file>', 'docker config.json with registry auths (default ~/.docker/config.json)')
    .option('--username <name>', 'registry user (password from stdin with --password-stdin)')
    .option('--password-stdin', 'read the registry password from stdin')
    .option('--cache-dir <dir>', 'cache directory (default: $RAMPART_CACHE_DIR or ~/.cache/rampart)')
    .option('--no-cache', 'do not read or write the per-layer analysis cache')
    .addHelpText('after', SOURCES);
}

async function run(source: string, opts: ImageCliOptions): Promise<void> {
  const password = opts.passwordStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : undefined;
  const { text, inventory } = await describeImage(source, opts.output, {
    platform: opts.platform,
    ...(opts.insecureRegistry ? { insecureRegistries: opts.insecureRegistry } : {}),
    ...(opts.dockerConfig ? { dockerConfig: opts.dockerConfig } : {}),
    ...(opts.username !== undefined && password !== undefined ? { username: opts.username, password } : {}),
    cacheDir: opts.cache ? opts.cacheDir : false,
    onProgress: (e) => progress(`layers ${e.done}/${e.total}${e.cached ? ' (cached)' : ''}`),
    toolVersion: TOOL_VERSION,
    now: new Date(),
  });
  progress('');
  writeText(text, opts.outputFile);
  if (opts.output !== 'table' && inventory.problems.length > 0) {
    for (const p of inventory.problems) process.stderr.write(`warning: ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
  }
  process.exitCode = 0;
}

export function register(program: Command): void {
  const image = program.command('image').description('read container images: package inventory and SBOMs');
  addSourceOptions(
    image.command('inventory').description('list the OS and language packages of an image'),
    ['table', 'json', 'cyclonedx', 'spdx'],
    'table',
  )
    .addHelpText(
      'after',
      '\nExample:\n  rampart image inventory docker-archive:app.tar\n  rampart image inventory 127.0.0.1:5000/app:1 --insecure-registry 127.0.0.1:5000 -o json',
    )
    .action(run);
  addSourceOptions(
    image.command('sbom').description('write an SBOM of an image: CycloneDX 1.6 JSON or SPDX 2.3 JSON'),
    ['cyclonedx', 'spdx', 'json', 'table'],
    'cyclonedx',
  )
    .addHelpText('after', '\nExample:\n  rampart image sbom oci:./layout:app -o spdx --output-file app.spdx.json')
    .action(run);
}
