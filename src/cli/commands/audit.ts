import type { Command } from 'commander';
import { formatAuditSummary, pushAudit, renderAuditHtml, runAudit } from '../../boundaries/index.js';
import { UsageError } from '../../core/index.js';
import { exitCodeFor, FINDING_FORMATS, filterByRules, parseFailOn } from '../../report/index.js';
import { addFindingOptions, cacheDirOf, emitResult, type FindingOptions, writeText } from '../output.js';
import { TOOL_VERSION } from '../version.js';

interface AuditCliOptions extends FindingOptions {
  awsSnapshot?: string;
  images?: boolean;
  imageSource?: string[];
  insecureRegistry?: string[];
  dockerConfig?: string;
  push?: string;
}

/** `IMAGE=SOURCE` pairs, split at the first `=` (an image reference never contains one). */
function imageSources(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1)
      throw new UsageError(`--image-source ${p}: expected IMAGE=SOURCE, e.g. ghcr.io/acme/web:1.4=oci:build/web`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('audit')
    .description('every engine on a snapshot: one report by pillar and namespace, a boundary verdict per namespace')
    .argument('<snapshot...>', 'files or directories (read recursively)')
    .option('--aws-snapshot <dir>', 'AWS snapshot directory (access entries, cluster) for the access engine')
    .option('--images', 'also read the workloads’ images (image and vulnerability engines)')
    .option(
      '--image-source <image=source...>',
      'with --images: read IMAGE from a local oci:DIR[:tag], docker-archive:FILE or oci-archive:FILE instead of its registry',
    )
    .option('--insecure-registry <host:port...>', 'with --images: reach these loopback registries over plain HTTP')
    .option('--docker-config <file>', 'with --images: docker config.json with registry auths')
    .option('--push <hub-url>', 'also send the findings to a Rampart hub (token from $RAMPART_HUB_TOKEN)');
  addFindingOptions(cmd);
  // Every foundation format plus the self-contained HTML report.
  cmd.options.find((o) => o.long === '--output')?.choices([...FINDING_FORMATS, 'html']);
  cmd
    .addHelpText(
      'after',
      '\nExamples:\n  rampart audit examples/acme\n  rampart audit examples/acme -o html --output-file dist/acme-audit.html\n  rampart audit dump.yaml --aws-snapshot aws/ -o sarif --fail-on HIGH\n  rampart audit k8s/ --images --image-source ghcr.io/acme/web:1.4=oci:build/web\n  rampart audit k8s/ --push https://hub.example:8443 --cluster prod',
    )
    .action(async (paths: string[], opts: AuditCliOptions, command: Command) => {
      const result = await runAudit(paths, {
        awsSnapshot: opts.awsSnapshot,
        images: opts.images === true,
        cacheDir: cacheDirOf(command),
        imageSources: imageSources(opts.imageSource),
        registry: {
          ...(opts.insecureRegistry ? { insecureRegistries: opts.insecureRegistry } : {}),
          ...(opts.dockerConfig ? { dockerConfig: opts.dockerConfig } : {}),
        },
      });
      const summary = formatAuditSummary(result);
      if (opts.output === 'html') {
        const failOn = parseFailOn(opts.failOn);
        const filtered = { ...result, findings: filterByRules(result.findings, opts.rules) };
        writeText(renderAuditHtml(filtered, { toolVersion: TOOL_VERSION, now: new Date() }), opts.outputFile);
        if (opts.outputFile) process.stdout.write(summary);
        process.exitCode = exitCodeFor(filtered, failOn);
      } else {
        // The summary goes with people-readable output: before the table, or alone when the report goes to a file.
        if (opts.output === 'table' || opts.outputFile) process.stdout.write(`${summary}\n`);
        process.exitCode = emitResult(result, opts);
      }
      if (opts.push) {
        const pushed = await pushAudit(opts.push, result, { cluster: opts.cluster });
        process.stderr.write(
          `pushed to ${new URL(opts.push).origin}: ${pushed.received} findings, ${pushed.new} new, ${pushed.resolved} resolved\n`,
        );
      }
    });
}
