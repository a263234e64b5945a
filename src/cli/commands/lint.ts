import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import {
  checkPodSecurity,
  configRules,
  lintWithImages,
  loadSettings,
  PSS_LEVELS,
  type PssLevel,
  parsePssLevel,
  parsePssVersion,
  rulesMarkdown,
  rulesTable,
} from '../../config/index.js';
import { type ImageInventory, InputError, UsageError } from '../../core/index.js';
import { addFindingOptions, emitResult, type FindingOptions, writeText } from '../output.js';

interface PssOptions {
  pssLevel?: string;
  pssVersion?: string;
  clusterVersion?: string;
}

function pssArgs(o: PssOptions): {
  pssLevel?: PssLevel;
  pssVersion?: ReturnType<typeof parsePssVersion>;
  clusterVersion?: ReturnType<typeof parsePssVersion>;
} {
  return {
    pssLevel: o.pssLevel ? parsePssLevel(o.pssLevel) : undefined,
    pssVersion: o.pssVersion ? parsePssVersion(o.pssVersion) : undefined,
    clusterVersion: o.clusterVersion ? parsePssVersion(o.clusterVersion) : undefined,
  };
}

/** Image inventories written by `rampart image inventory -o json` (one object or a list). */
function readInventories(files: string[] | undefined): ImageInventory[] {
  const out: ImageInventory[] = [];
  for (const file of files ?? []) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new InputError(`cannot read image inventory: ${(err as Error).message}`, { file });
    }
    const list = Array.isArray(doc) ? doc : [doc];
    list.forEach((inv, i) => {
      if (!inv || typeof inv !== 'object' || typeof (inv as ImageInventory).reference !== 'string') {
        throw new InputError('not an image inventory (no "reference")', {
          file,
          field: Array.isArray(doc) ? `[${i}]` : undefined,
        });
      }
      out.push(inv as ImageInventory);
    });
  }
  return out;
}

/** `image=source` pairs from --image-source. */
function imageSourcePairs(pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      throw new UsageError(`--image-source expects <image>=<source>, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function register(program: Command): void {
  const lintCmd = program
    .command('lint')
    .description('check Dockerfiles, compose files, scripts, Makefiles, CI files and Kubernetes manifests')
    .argument('<paths...>', 'files or directories (read recursively)')
    .option('--config <file>', 'settings file (default: .rampart.yaml in the working directory or the scanned path)')
    .addOption(
      new Option('--pss-level <level>', 'evaluate Pod Security at this level instead of namespace labels').choices([
        ...PSS_LEVELS,
      ]),
    )
    .option('--pss-version <version>', 'Pod Security version with --pss-level: latest or v1.<minor>')
    .option('--cluster-version <version>', 'the cluster minor (v1.<minor>): what `latest` in namespace labels means')
    .option('--image-inventory <files...>', 'image inventory JSON (config.user) for USER consistency checks')
    .option(
      '--image-source <image=source...>',
      'read an image (reference or repository) from oci:dir, oci-archive:file, docker-archive:file or a registry reference',
    )
    .option('--read-images', 'read every container image from its registry for the USER consistency checks');
  addFindingOptions(lintCmd)
    .addHelpText(
      'after',
      '\nExamples:\n  rampart lint examples/acme\n  rampart lint k8s/ --pss-level restricted --pss-version v1.30 -o sarif\n  rampart lint k8s/ --image-source registry.example.org/shop/web=oci-archive:build/web.tar',
    )
    .action(
      async (
        paths: string[],
        opts: FindingOptions &
          PssOptions & { config?: string; imageInventory?: string[]; imageSource?: string[]; readImages?: boolean },
      ) => {
        const result = await lintWithImages(
          paths,
          {
            settings: loadSettings(opts.config, paths),
            images: readInventories(opts.imageInventory),
            ...pssArgs(opts),
          },
          { imageSources: imageSourcePairs(opts.imageSource), readImages: opts.readImages === true },
        );
        process.exitCode = emitResult(result, opts);
      },
    );

  const pss = program
    .command('pss')
    .description('Pod Security Standards, evaluated exactly as the admission controller');
  const check = pss
    .command('check')
    .description('evaluate every workload (through its pod template) at a level, or by its namespace labels')
    .argument('<snapshot...>', 'manifest files or directories')
    .addOption(
      new Option(
        '--level <level>',
        "baseline | restricted (default: each namespace's enforce/audit/warn labels)",
      ).choices([...PSS_LEVELS]),
    )
    .option('--version <version>', 'latest or v1.<minor> (v1.0–v1.37)', 'latest')
    .option('--cluster-version <version>', 'the cluster minor: what `latest` in namespace labels means');
  addFindingOptions(check)
    .addHelpText(
      'after',
      '\nExamples:\n  rampart pss check examples/acme --level restricted --version v1.30\n  rampart pss check dump.yaml',
    )
    .action((paths: string[], opts: FindingOptions & { level?: string; version?: string; clusterVersion?: string }) => {
      const result = checkPodSecurity(
        paths,
        pssArgs({
          pssLevel: opts.level,
          pssVersion: opts.level ? opts.version : undefined,
          clusterVersion: opts.clusterVersion,
        }),
      );
      process.exitCode = emitResult(result, opts);
    });

  program
    .command('rules')
    .description('the rules `rampart lint` and `rampart pss` report')
    .command('list')
    .description('list every config rule with severity, area and title')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'markdown']).default('table'),
    )
    .addHelpText('after', '\nExamples:\n  rampart rules list\n  rampart rules list -o markdown > docs/rules.md')
    .action((opts: { output: string }) => {
      const rules = configRules();
      if (opts.output === 'json') writeText(`${JSON.stringify(rules, null, 2)}\n`);
      else if (opts.output === 'markdown') writeText(rulesMarkdown(rules));
      else writeText(`${rulesTable(rules)}\n`);
    });
}
