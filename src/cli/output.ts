import { type Command, Option } from 'commander';
import type { ScanResult } from '../core/index.js';
import { resolveCacheDir, writeFileAtomic } from '../core/index.js';
import {
  exitCodeFor,
  FINDING_FORMATS,
  filterByRules,
  parseFailOn,
  shouldColor,
  type WriterContext,
  writerFor,
} from '../report/index.js';
import { TOOL_VERSION } from './version.js';

export interface FindingOptions {
  output: string;
  outputFile?: string;
  failOn?: string;
  rules?: string[];
  showPassed?: boolean;
  awsAccountId?: string;
  awsRegion?: string;
  productArn?: string;
  cluster?: string;
}

/** The options every command that reports findings takes (docs/output.md). */
export function addFindingOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format').choices([...FINDING_FORMATS]).default('table'))
    .option('--output-file <path>', 'write the report to this file (atomically) instead of stdout')
    .option(
      '--fail-on <severity>',
      'exit 1 when a failing finding is at or above: CRITICAL|HIGH|MEDIUM|LOW|INFO|never',
      'LOW',
    )
    .option('--rules <globs...>', 'only rules whose id matches one of these globs (comma or space separated)')
    .option('--show-passed', 'also list pass and skipped results')
    .option('--aws-account-id <id>', 'ASFF: account the findings are imported into')
    .option('--aws-region <region>', 'ASFF: Region the findings are imported into')
    .option('--product-arn <arn>', "ASFF: product ARN (default: the account's default custom product)")
    .option('--cluster <name>', 'cluster name used in resource ids');
}

/** Filters, renders and writes a result; returns the exit code. */
export function emitResult(result: ScanResult, opts: FindingOptions): number {
  const failOn = parseFailOn(opts.failOn);
  const filtered: ScanResult = { ...result, findings: filterByRules(result.findings, opts.rules) };
  const ctx: WriterContext = {
    toolVersion: TOOL_VERSION,
    now: new Date(),
    color: !opts.outputFile && shouldColor(process.stdout),
    showPassed: opts.showPassed === true,
    aws: { accountId: opts.awsAccountId, region: opts.awsRegion, productArn: opts.productArn },
    cluster: opts.cluster,
  };
  const text = writerFor(opts.output)(filtered, ctx);
  writeText(text, opts.outputFile);
  return exitCodeFor(filtered, failOn);
}

export function writeText(text: string, outputFile?: string): void {
  if (outputFile) writeFileAtomic(outputFile, text);
  else process.stdout.write(text);
}

/** Progress for long work: stderr, and only on a TTY. */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${message}`);
}

/** The cache directory for a command: global `--cache-dir`, else the environment chain in core's resolveCacheDir. */
export function cacheDirOf(cmd: Command): string {
  const globals = cmd.optsWithGlobals() as { cacheDir?: string };
  return resolveCacheDir(globals.cacheDir);
}
