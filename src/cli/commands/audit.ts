import type { Command } from 'commander';
import { formatAuditSummary, renderAuditHtml, runAudit } from '../../boundaries/index.js';
import { exitCodeFor, FINDING_FORMATS, filterByRules, parseFailOn } from '../../report/index.js';
import { addFindingOptions, cacheDirOf, emitResult, type FindingOptions, writeText } from '../output.js';
import { TOOL_VERSION } from '../version.js';

interface AuditCliOptions extends FindingOptions {
  awsSnapshot?: string;
  images?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('audit')
    .description('every engine on a snapshot: one report by pillar and namespace, a boundary verdict per namespace')
    .argument('<snapshot...>', 'files or directories (read recursively)')
    .option('--aws-snapshot <dir>', 'AWS snapshot directory (access entries, cluster) for the access engine')
    .option('--images', 'also read the workloads’ images (image and vulnerability engines)');
  addFindingOptions(cmd);
  // Every foundation format plus the self-contained HTML report.
  cmd.options.find((o) => o.long === '--output')?.choices([...FINDING_FORMATS, 'html']);
  cmd
    .addHelpText(
      'after',
      '\nExamples:\n  rampart audit examples/acme\n  rampart audit examples/acme -o html --output-file dist/acme-audit.html\n  rampart audit dump.yaml --aws-snapshot aws/ -o sarif --fail-on HIGH',
    )
    .action(async (paths: string[], opts: AuditCliOptions, command: Command) => {
      const result = await runAudit(paths, {
        awsSnapshot: opts.awsSnapshot,
        images: opts.images === true,
        cacheDir: cacheDirOf(command),
      });
      const summary = formatAuditSummary(result);
      if (opts.output === 'html') {
        const failOn = parseFailOn(opts.failOn);
        const filtered = { ...result, findings: filterByRules(result.findings, opts.rules) };
        writeText(renderAuditHtml(filtered, { toolVersion: TOOL_VERSION, now: new Date() }), opts.outputFile);
        if (opts.outputFile) process.stdout.write(summary);
        process.exitCode = exitCodeFor(filtered, failOn);
        return;
      }
      // The summary goes with people-readable output: before the table, or alone when the report goes to a file.
      if (opts.output === 'table' || opts.outputFile) process.stdout.write(`${summary}\n`);
      process.exitCode = emitResult(result, opts);
    });
}
