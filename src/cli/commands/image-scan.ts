import type { Command } from 'commander';
import { parseSeverity, type Severity, UsageError } from '../../core/index.js';
import { exitCodeFor, FINDING_FORMATS, filterByRules, parseFailOn } from '../../report/index.js';
import { addFindingOptions, emitResult, type FindingOptions, progress, writeText } from '../output.js';
import { TOOL_VERSION } from '../version.js';

// The vulnerability and hub engines load only when `image scan` / `image rescan` run: `image inventory` and
// `image sbom` share this command group, and loading the advisory DB code and AWS SDK for them would add ~40 MB to
// their peak memory (the image issue's bound is 150 MB).
const loadVuln = () => import('../../vuln/index.js');
const loadHub = () => import('../../hub/index.js');

function cacheDirOf(cmd: Command): string | undefined {
  return (cmd.optsWithGlobals() as { cacheDir?: string }).cacheDir;
}

interface ImageScanCliOptions extends FindingOptions {
  ignoreUnfixed?: boolean;
  severity?: string;
  vex?: string[];
  platform?: string;
  sbom?: string;
  store: boolean;
  securityhub?: boolean;
  region?: string;
  securityhubEndpoint?: string;
  push?: string;
}

function minSeverityOf(severity: string | undefined): Severity | undefined {
  const min = severity ? parseSeverity(severity) : undefined;
  if (severity && !min) throw new UsageError(`--severity ${severity}: expected CRITICAL|HIGH|MEDIUM|LOW|INFO`);
  return min;
}

/** `image scan` joins the images engineer's `image` group when it is registered, else creates it. */
export function registerImageScan(program: Command): void {
  const image =
    program.commands.find((c) => c.name() === 'image') ?? program.command('image').description('container images');
  const scan = image
    .command('scan')
    .description('find vulnerable packages in an image (or an SBOM) against the advisory DB')
    .argument('[source]', 'docker-archive:x.tar, oci:dir, oci-archive:x.tar, dir:rootfs, or a registry reference')
    .option('--sbom <file>', 'scan a CycloneDX or SPDX 2.x JSON SBOM instead of an image')
    .option('--ignore-unfixed', 'leave out vulnerabilities that have no fixed version yet')
    .option('--severity <level>', 'only report findings at or above CRITICAL|HIGH|MEDIUM|LOW|INFO')
    .option('--vex <files...>', 'OpenVEX 0.2 or CycloneDX VEX documents: not_affected/fixed suppress, reason kept')
    .option('--platform <os/arch>', 'platform of a multi-platform image (default linux/amd64)')
    .option('--no-store', 'do not keep the SBOM and findings in the cache dir for `image rescan`')
    .option('--securityhub', 'also import the findings into AWS Security Hub CSPM (BatchImportFindings)')
    .option('--region <region>', 'Security Hub Region (default --aws-region, $AWS_REGION)')
    .option('--securityhub-endpoint <url>', 'Security Hub endpoint (default: AWS)')
    .option('--push <hub-url>', 'also send the findings to a Rampart hub (token from $RAMPART_HUB_TOKEN)')
    .addHelpText(
      'after',
      '\nExamples:\n  rampart db update && rampart image scan docker-archive:app.tar -o sarif --output-file app.sarif\n  rampart image scan --sbom app.cdx.json -o cyclonedx --output-file app.vex.json\n  rampart image scan oci:build/app --securityhub --region eu-west-1 --fail-on never',
    );
  addFindingOptions(scan);
  // CycloneDX with vulnerabilities is this command's own format on top of the shared finding formats.
  const output = scan.options.find((o) => o.long === '--output');
  if (output) output.argChoices = [...FINDING_FORMATS, 'cyclonedx'];
  scan.action(async (source: string | undefined, opts: ImageScanCliOptions, cmd: Command) => {
    if (!source && !opts.sbom) throw new UsageError('image scan: give an image source or --sbom <file>');
    if (source && opts.sbom) throw new UsageError('image scan: give an image source or --sbom <file>, not both');
    const minSeverity = minSeverityOf(opts.severity);
    const region = opts.region ?? opts.awsRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (opts.securityhub && !region) throw new UsageError('--securityhub needs --region (or $AWS_REGION)');
    const { runImageScan, toCycloneDxWithVulnerabilities } = await loadVuln();
    const out = await runImageScan((opts.sbom ?? source) as string, {
      cacheDir: cacheDirOf(cmd),
      sbom: opts.sbom !== undefined,
      store: opts.store,
      ignoreUnfixed: opts.ignoreUnfixed === true,
      ...(minSeverity ? { minSeverity } : {}),
      ...(opts.vex ? { vexFiles: opts.vex } : {}),
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(opts.securityhub && region
        ? {
            securityHub: {
              region,
              ...(opts.awsAccountId ? { accountId: opts.awsAccountId } : {}),
              ...(opts.productArn ? { productArn: opts.productArn } : {}),
              ...(opts.securityhubEndpoint ? { endpoint: opts.securityhubEndpoint } : {}),
              toolVersion: TOOL_VERSION,
            },
          }
        : {}),
      onProgress: progress,
    });
    progress('');
    if (opts.output === 'cyclonedx') {
      writeText(
        toCycloneDxWithVulnerabilities(out.inventory, out.result, { toolVersion: TOOL_VERSION, now: new Date() }),
        opts.outputFile,
      );
      process.exitCode = exitCodeFor(
        { ...out.result, findings: filterByRules(out.result.findings, opts.rules) },
        parseFailOn(opts.failOn),
      );
    } else {
      process.exitCode = emitResult(out.result, opts);
    }
    if (out.change && !out.change.firstScan) {
      process.stderr.write(
        `since the last scan of this image: ${out.change.added.length} new, ${out.change.resolved.length} resolved\n`,
      );
    }
    const hub = out.securityHub;
    if (hub) {
      process.stderr.write(
        `Security Hub: ${hub.imported - hub.archived} imported, ${hub.archived} archived, ${hub.requests} requests, ${hub.retried} re-sent, ${hub.failed.length} failed\n`,
      );
      for (const f of hub.failed) {
        process.stderr.write(`  failed: ${f.id}: ${f.errorCode ?? 'error'} ${f.errorMessage ?? ''}\n`);
      }
      for (const w of hub.warnings) process.stderr.write(`  warning: ${w}\n`);
      if (hub.failed.length > 0) process.exitCode = Math.max(process.exitCode ?? 0, 2);
    }
    if (opts.push) {
      const { pushFindings } = await loadHub();
      const pushed = await pushFindings(opts.push, out.result, {
        source: 'image scan',
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
      });
      process.stderr.write(
        `pushed to ${new URL(opts.push).origin}: ${pushed.received} findings, ${pushed.new} new, ${pushed.resolved} resolved\n`,
      );
    }
  });

  const rescan = image
    .command('rescan')
    .description('match every stored image SBOM against the current advisory DB: new and resolved findings')
    .option('--all', 'every image scanned before (required: selecting single images is not supported yet)')
    .option('--ignore-unfixed', 'leave out vulnerabilities that have no fixed version yet')
    .option('--severity <level>', 'only report findings at or above CRITICAL|HIGH|MEDIUM|LOW|INFO')
    .option('--vex <files...>', 'OpenVEX 0.2 or CycloneDX VEX documents: not_affected/fixed suppress, reason kept')
    .addHelpText('after', '\nExample:\n  rampart db update && rampart image rescan --all --vex app.openvex.json');
  addFindingOptions(rescan).action(
    async (
      opts: FindingOptions & { all?: boolean; ignoreUnfixed?: boolean; severity?: string; vex?: string[] },
      cmd: Command,
    ) => {
      if (!opts.all) throw new UsageError('image rescan: pass --all (every stored image is re-matched)');
      const minSeverity = minSeverityOf(opts.severity);
      const { rescanStoredImages } = await loadVuln();
      const report = rescanStoredImages({
        cacheDir: cacheDirOf(cmd),
        ignoreUnfixed: opts.ignoreUnfixed === true,
        ...(minSeverity ? { minSeverity } : {}),
        ...(opts.vex ? { vexFiles: opts.vex } : {}),
      });
      for (const c of report.changes) {
        process.stderr.write(`${c.reference}: ${c.added.length} new, ${c.resolved.length} resolved\n`);
      }
      process.exitCode = emitResult(report.result, opts);
    },
  );
}
