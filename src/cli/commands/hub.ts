import type { Command } from 'commander';
import { TOOL_VERSION } from '../version.js';

interface HubPushOptions {
  to: string;
  region?: string;
  awsAccountId?: string;
  productArn?: string;
  securityhubEndpoint?: string;
  cluster?: string;
}

export function register(program: Command): void {
  const hub = program.command('hub').description('send saved results to AWS Security Hub or a Rampart hub');
  hub
    .command('push')
    .description('import the findings of a saved `-o json` result into AWS Security Hub or a Rampart hub')
    .argument('<findings.json>', 'the -o json output of any rampart command (image scan, audit, lint, …)')
    .requiredOption('--to <target>', '"securityhub" (BatchImportFindings) or a hub URL (token from $RAMPART_HUB_TOKEN)')
    .option('--region <region>', 'Security Hub Region (default $AWS_REGION)')
    .option(
      '--aws-account-id <id>',
      "Security Hub: 12-digit account the findings belong to (default $AWS_ACCOUNT_ID, else the caller's, from STS)",
    )
    .option('--product-arn <arn>', "Security Hub product ARN (default: the account's own default product)")
    .option('--securityhub-endpoint <url>', 'Security Hub endpoint (default: AWS)')
    .option('--cluster <name>', 'cluster name: ASFF resource ids and hub grouping')
    .addHelpText(
      'after',
      '\nImage scan results are imported image by image: a finding the previous push (or `image scan --securityhub`) of\nthe same image digest had and this scan has not is re-imported ARCHIVED (what Security Hub holds ACTIVE for the image,\nread with GetFindings, and the record of past imports in the cache dir).\n\nExamples:\n  rampart image scan oci:build/app -o json --output-file app.json --fail-on never\n  rampart hub push app.json --to securityhub --region eu-west-1 --aws-account-id 111122223333\n  RAMPART_HUB_TOKEN=… rampart hub push audit.json --to https://hub.example:8080 --cluster prod',
    )
    .action(async (file: string, opts: HubPushOptions, cmd: Command) => {
      const { cacheDir } = cmd.optsWithGlobals() as { cacheDir?: string };
      // On use: the hub module brings its store and server libraries, which `hub --help` does not need.
      const { pushFindingsFile } = await import('../../hub/index.js');
      const report = await pushFindingsFile(file, {
        ...(cacheDir ? { cacheDir } : {}),
        to: opts.to,
        toolVersion: TOOL_VERSION,
        ...(opts.region ? { region: opts.region } : {}),
        ...(opts.awsAccountId ? { accountId: opts.awsAccountId } : {}),
        ...(opts.productArn ? { productArn: opts.productArn } : {}),
        ...(opts.securityhubEndpoint ? { endpoint: opts.securityhubEndpoint } : {}),
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
      });
      if (report.target === 'securityhub') {
        const s = report.securityHub;
        process.stdout.write(
          `Security Hub: ${s.imported - s.archived} of ${report.findings} findings imported, ${s.requests} requests, ${s.retried} re-sent, ${s.failed.length} failed${s.archived > 0 ? `, ${s.archived} archived (gone from the newer scan of their image)` : ''}\n`,
        );
        for (const f of s.failed) {
          process.stderr.write(`  failed: ${f.id}: ${f.errorCode ?? 'error'} ${f.errorMessage ?? ''}\n`);
        }
        for (const w of s.warnings) process.stderr.write(`  warning: ${w}\n`);
        process.exitCode = s.failed.length > 0 ? 2 : 0;
      } else {
        const h = report.hub;
        process.stdout.write(
          `pushed to ${report.origin}: ${h.received} findings, ${h.new} new, ${h.reopened} reopened, ${h.resolved} resolved (scan ${h.scanId})\n`,
        );
      }
    });
}
