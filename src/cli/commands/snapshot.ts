import { type Command, Option } from 'commander';
import { formatProblem } from '../../core/index.js';
import { loadLiveSnapshot, loadSnapshot, summarizeSnapshot, writeSnapshotDir } from '../../inputs/index.js';
import { renderColumns } from '../../report/index.js';
import { writeText } from '../output.js';

export function register(program: Command): void {
  const snapshot = program.command('snapshot').description('read cluster snapshots (YAML/JSON files, kubectl dumps)');
  snapshot
    .command('summary')
    .description('count objects by kind and namespace; list load errors with file:line')
    .argument('<paths...>', 'files or directories (read recursively)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--output-file <path>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nExample:\n  rampart snapshot summary examples/acme\n  kubectl get all -A -o yaml > dump.yaml && rampart snapshot summary dump.yaml',
    )
    .action((paths: string[], opts: { output: string; outputFile?: string }) => {
      const snap = loadSnapshot(paths);
      const summary = summarizeSnapshot(snap);
      if (opts.output === 'json') {
        writeText(`${JSON.stringify(summary, null, 2)}\n`, opts.outputFile);
      } else {
        const lines = [
          `Snapshot ${paths.length === 1 ? paths[0] : `of ${paths.length} paths`}: ${summary.objects} objects, ${summary.namespaces.defined} namespaces defined` +
            (summary.namespaces.synthesized ? ` (+${summary.namespaces.synthesized} referenced but not defined)` : '') +
            `, ${summary.workloads} workloads`,
          '',
          renderColumns(
            Object.entries(summary.byKind).map(([k, n]) => [k, String(n)]),
            ['KIND', 'COUNT'],
          ),
          '',
          renderColumns(
            Object.entries(summary.byNamespace).map(([k, n]) => [k, String(n)]),
            ['NAMESPACE', 'OBJECTS'],
          ),
        ];
        if (summary.problems.length > 0) {
          lines.push('', `${summary.problems.length} problems:`);
          for (const p of summary.problems) lines.push(`  ${p.level}: ${formatProblem(p)}`);
        }
        writeText(`${lines.join('\n')}\n`, opts.outputFile);
      }
      process.exitCode = snap.hasErrors() ? 2 : 0;
    });
  registerPull(snapshot);
}

function registerPull(snapshot: Command): void {
  snapshot
    .command('pull')
    .description('read the live cluster (kubeconfig credentials, exec plugins included) into a directory of YAML files')
    .requiredOption('--output-dir <dir>', 'directory to write one List file per kind into')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: current-context)')
    .addHelpText(
      'after',
      '\nExample:\n  rampart snapshot pull --context prod --output-dir snap/ && rampart snapshot summary snap/',
    )
    .action(async (opts: { outputDir: string; kubeconfig?: string; context?: string }) => {
      const snap = await loadLiveSnapshot({ kubeconfig: opts.kubeconfig, context: opts.context });
      const files = writeSnapshotDir(snap, opts.outputDir);
      process.stdout.write(
        `wrote ${snap.objects.filter((o) => !o.synthesized).length} objects in ${files.length} files to ${opts.outputDir}\n`,
      );
      for (const p of snap.problems) process.stderr.write(`${p.level}: ${formatProblem(p)}\n`);
      process.exitCode = snap.hasErrors() ? 2 : 0;
    });
}
