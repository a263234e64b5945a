import { type Command, Option } from 'commander';
import { UsageError } from '../../core/index.js';
import { MATRIX_FORMATS, netpolMatrix } from '../../network/index.js';
import { writeText } from '../output.js';

interface MatrixFlags {
  output: string;
  outputFile?: string;
  compat?: string;
  ipblockMatchesPods: boolean;
  focusWorkload?: string[];
  focusworkload?: string;
  focusworkloadPeer?: string;
  focusDirection?: 'ingress' | 'egress';
  focusConn?: string;
}

const splitList = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function register(program: Command): void {
  const netpol = program
    .command('netpol')
    .description(
      'NetworkPolicy reachability: matrix, check, explain, lint, diff (K8s NP, ANP/BANP, ClusterNetworkPolicy)',
    );

  netpol
    .command('matrix')
    .description('every ordered pair of workloads and external ranges with its allowed connections')
    .argument('<paths...>', 'snapshot files or directories (read recursively)')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...MATRIX_FORMATS]).default('txt'))
    .option('--output-file <path>', 'write to this file (atomically) instead of stdout')
    .addOption(
      new Option('--compat <tool>', "reproduce another tool's conventions and output grammar").choices([
        'netpol-analyzer',
      ]),
    )
    .option('--no-ipblock-matches-pods', 'ipBlock peers never match pod IPs (default: they do, as upstream e2e)')
    .option('--focus-workload <names...>', 'only pairs with one of these workloads (name or ns/name)')
    .option('--focusworkload <names>', 'netpol-analyzer spelling: comma-separated focus workloads')
    .option('--focusworkload-peer <names>', 'with a focus workload: only pairs whose other side is one of these')
    .addOption(
      new Option('--focus-direction <dir>', 'with a focus workload: only ingress to or egress from it').choices([
        'ingress',
        'egress',
      ]),
    )
    .option('--focus-conn <proto-port>', 'only pairs allowing this connection, e.g. tcp-80')
    .addHelpText(
      'after',
      '\nExamples:\n  rampart netpol matrix examples/acme\n  rampart netpol matrix --compat netpol-analyzer -o json <dir>',
    )
    .action((paths: string[], opts: MatrixFlags) => {
      const focusWorkloads = [...(opts.focusWorkload ?? []), ...(splitList(opts.focusworkload) ?? [])];
      if ((opts.focusworkloadPeer || opts.focusDirection) && focusWorkloads.length === 0)
        throw new UsageError('--focusworkload-peer and --focus-direction need --focusworkload');
      const report = netpolMatrix({
        paths,
        format: opts.output,
        compat: opts.compat === 'netpol-analyzer' ? 'netpol-analyzer' : undefined,
        ipblockMatchesPods: opts.ipblockMatchesPods,
        focusWorkloads,
        focusWorkloadPeers: splitList(opts.focusworkloadPeer),
        focusDirection: opts.focusDirection,
        focusConnText: opts.focusConn,
      });
      for (const p of report.problems) process.stderr.write(`rampart: ${p.level}: ${p.text}\n`);
      if (!report.fatal)
        writeText(report.text.endsWith('\n') || report.text === '' ? report.text : `${report.text}\n`, opts.outputFile);
      // netpol-analyzer reads past junk documents (non-fatal); only an invalid policy is fatal there
      const inputErrors = opts.compat ? false : report.problems.some((p) => p.level === 'error');
      process.exitCode = report.fatal || inputErrors ? 2 : 0;
    });
}
